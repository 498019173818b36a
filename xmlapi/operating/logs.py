"""Log lines: each carries the id of the request it was written for; ``text`` or one
JSON object a line (XMLAPI_LOG_FORMAT); secrets are masked in every line."""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import sys
from typing import IO

from xmlapi.settings import Settings

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "xmlapi_request_id", default=None
)
MASK = "[redacted]"

# What a secret looks like wherever a message may quote one: credentials in headers,
# in query strings or form fields, in database URLs.
_SECRETS = (
    (re.compile(r"(?i)\b(basic|bearer|digest)\s+[A-Za-z0-9+/=._~-]+"), rf"\1 {MASK}"),
    (
        re.compile(
            r"(?i)\b(authorization|proxy-authorization|cookie|set-cookie|x-pappid)"
            r"(['\"]?\s*[:=]\s*['\"]?)[^\r\n'\"]+"
        ),
        rf"\1\2{MASK}",
    ),
    (
        re.compile(
            r"(?i)\b([a-z_]*(?:password|passwd|secret|token|private_id)[a-z_]*"
            r"|ls_server_session_id)(['\"]?\s*[=:]\s*['\"]?)[^\s&;,'\"]+"
        ),
        rf"\1\2{MASK}",
    ),
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]+@"), rf"\1{MASK}@"),
)


# Words one of the patterns needs; a line with none of them (most lines) is let be
# without running the patterns.
_TRIGGERS = (
    "basic", "bearer", "digest", "auth", "cookie", "pappid", "passw", "secret", "token",
    "private_id", "session_id", "://",
)  # fmt: skip


def redact(text: str) -> str:
    """``text`` with anything that looks like a credential masked."""
    lowered = text.lower()
    if not any(trigger in lowered for trigger in _TRIGGERS):
        return text
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class RequestIdFilter(logging.Filter):
    """Give every record the id of the request being answered ("-" outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get() or "-"
        return True


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


# Fields the access line adds to its record (``extra``), copied into the JSON object.
ACCESS_FIELDS = ("user", "endpoint", "method", "path", "status", "duration_ms")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", None),
            "message": redact(record.getMessage()),
        }
        for name in ACCESS_FIELDS:
            if hasattr(record, name):
                value = getattr(record, name)
                line[name] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False, default=str)


_HANDLER_NAME = "xmlapi"


def configure(settings: Settings, stream: IO[str] | None = None) -> logging.Handler:
    """Send the ``xmlapi`` loggers' lines to ``stream`` (default stderr) in the
    configured format; replaces the handler an earlier call installed."""
    logger = logging.getLogger("xmlapi")
    logger.setLevel(settings.log_level)
    for old in [h for h in logger.handlers if h.get_name() == _HANDLER_NAME]:
        logger.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    logger.addHandler(handler)
    return handler


def handler() -> logging.Handler | None:
    """The handler ``configure`` installed, if any."""
    return next(
        (h for h in logging.getLogger("xmlapi").handlers if h.get_name() == _HANDLER_NAME), None
    )
