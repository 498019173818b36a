"""The caller's session: POST /api/sessions/current/logout/."""

from __future__ import annotations

from flask import Blueprint, Response

from xmlapi.catalog import auth
from xmlapi.db import get_session
from xmlapi.http.auth import clear_cookie, current_identity

bp = Blueprint("sessions", __name__)


@bp.post("/sessions/current/logout/")
def logout() -> Response:
    """End the session and release its locks; 204."""
    auth.end_session(get_session(), current_identity().id)
    response = Response(status=204)
    clear_cookie(response)
    return response
