"""gunicorn settings for ``make run``; each can be overridden on the command line."""

import os

from gunicorn.http import message as _message

from xmlapi.faces.legacy import server_errors

bind = f"127.0.0.1:{os.environ.get('PORT', '8080')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
# A client that trickles its body holds a thread until XMLAPI_BODY_TIMEOUT_SECONDS
# (without a database connection: the body is read before the app runs). A worker
# accepts connections whatever its threads are doing, so a handful of such clients may
# all land on one worker: enough threads that they leave room for everyone else.
threads = int(os.environ.get("XMLAPI_THREADS", "16"))
# Load the app once in the master: a bad setting or an old schema stops start-up with
# one line, and workers share the imported code.
preload_app = True
# Legacy clients send X_PAPPID; gunicorn drops header names with underscores unless
# they are mapped (to the same key as X-PAPPID).
header_map = "dangerous"
accesslog = "-"
# Hides bearer_token values (and Authorization credentials) from the access log.
logger_class = "xmlapi.http.access_log.ScrubbingLogger"
timeout = 60

# gunicorn's refusals are HTML pages; the app's own caps (XMLAPI_MAX_URL_BYTES,
# XMLAPI_MAX_HEADER_BYTES) answer in XML, so gunicorn's are set above them. It caps the
# request line at 8190 bytes unless unlimited; a long filter needs more, and unlimited
# would let one request line fill a worker's memory, so its ceiling is raised instead.
_message.MAX_REQUEST_LINE = max(_message.MAX_REQUEST_LINE, 64 * 1024)
limit_request_line = 64 * 1024
limit_request_field_size = 32 * 1024
limit_request_fields = 128
# A folded header line (obs-fold) is joined with a space, as RFC 9112 allows, rather
# than refused with an HTML page.
permit_obsolete_folding = True

# What gunicorn still refuses itself is answered in XML too.
server_errors.install()
