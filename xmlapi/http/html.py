"""What every face that answers people with HTML shares: whether the client prefers a
page, and a page's answer with the headers that keep it strict (no inline script or
style, no framing, no foreign sources)."""

from __future__ import annotations

from flask import Response, request

# Scripts and styles come only from our own files (served by a registered route): no
# inline code, so an injected tag can run nothing.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' blob:",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
HTML = "text/html; charset=utf-8"


def prefers_html() -> bool:
    """Whether the client ranks HTML above XML (a browser); ``*/*`` or no Accept at all
    means XML, as API clients always got."""
    best = request.accept_mimetypes.best_match(["application/xml", "text/html"])
    return best == "text/html" and request.accept_mimetypes["text/html"] > 0


def page_response(body: str, status: int = 200, headers: dict | None = None) -> Response:
    """A page, with the strict policy and no sniffing or referrer leaks."""
    response = Response(body, status, headers, content_type=HTML)
    secure_page(response)
    return response


def secure_page(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    return response
