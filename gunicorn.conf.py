"""gunicorn settings for ``make run``; each can be overridden on the command line."""

import os

bind = f"127.0.0.1:{os.environ.get('PORT', '8080')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("XMLAPI_THREADS", "4"))
# Load the app once in the master: a bad setting or an old schema stops start-up with
# one line, and workers share the imported code.
preload_app = True
# Legacy clients send X_PAPPID; gunicorn drops header names with underscores unless
# they are mapped (to the same key as X-PAPPID).
header_map = "dangerous"
accesslog = "-"
timeout = 60
