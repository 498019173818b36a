"""WSGI middleware for what legacy clients send."""

from __future__ import annotations


class TrailingSlash:
    """Answer ``/api/products/2`` exactly like ``/api/products/2/``, for every method.

    Legacy clients leave the slash off, for LOCK and UNLOCK too; a redirect would lose
    the method or the body, so the path is completed before routing instead.
    The last segment of a file path (``schemas/in/product.xsd``) is left alone.
    """

    def __init__(self, app, prefix: str = "/api"):
        self.app = app
        self.prefix = prefix

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith(self.prefix) and not path.endswith("/"):
            last = path.rsplit("/", 1)[-1]
            if "." not in last:
                environ["PATH_INFO"] = path + "/"
        return self.app(environ, start_response)
