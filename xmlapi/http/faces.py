"""A face: its blueprints under one prefix, its registry entries, and how it writes
errors. Which face a request is for is known from its blueprint, or from its path when
no route matched."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.test import EnvironBuilder

from xmlapi.http.endpoints import Endpoint

if TYPE_CHECKING:
    from xmlapi.http.reference import Documents

ErrorTable = tuple[tuple[type[Exception], int, str], ...]


class ErrorWriter(Protocol):
    """How a face writes an error: status, stable type, message, the fields it names,
    and headers."""

    def __call__(
        self,
        status: int,
        error_type: str,
        message: str,
        fields: Mapping[str, str] | None,
        headers: Mapping[str, str],
    ) -> Response: ...


@dataclass(frozen=True)
class Face:
    name: str
    prefix: str
    blueprints: tuple[Blueprint, ...]
    endpoints: tuple[Endpoint, ...]
    write_error: ErrorWriter
    errors: ErrorTable = ()  # the face's own exceptions: (class, status, type)
    error_fields: Callable[[Exception], dict[str, str] | None] | None = None
    # What an endpoint takes and returns, for the API reference (None: not published).
    documents: Callable[[Endpoint], Documents] | None = None
    # A check of the face's own on each of its routed requests, after authentication and
    # before the request changes anything (lock claims): the pages' CSRF token.
    check_request: Callable[[], None] | None = None


def faces() -> list[Face]:
    return current_app.extensions["xmlapi.faces"]


def check_request() -> None:
    """Run the check of the face whose blueprint the request was routed to, if it has
    one (a request routed nowhere is left to its 404)."""
    face = _routed_face()
    if face is not None and face.check_request is not None:
        face.check_request()


def _routed_face() -> Face | None:
    """The face of the blueprint the request was routed to (None: routed nowhere)."""
    blueprint = request.blueprint
    for face in faces():
        if any(bp.name == blueprint for bp in face.blueprints):
            return face
    return None


def face_of_request() -> Face:
    """The face of the request's blueprint; with no route, the face whose prefix the
    path starts with (the longest); else the first face registered."""
    routed = _routed_face()
    if routed is not None:
        return routed
    registered = faces()
    by_prefix = [face for face in registered if request.path.startswith(face.prefix)]
    if by_prefix:
        return max(by_prefix, key=lambda face: len(face.prefix))
    return registered[0]


# Enough of a refused request's path to tell its face by.
_PATH_KEPT = 512


def pre_routing_errors(app: Flask) -> Callable[[str, int, str, str], tuple[bytes, str]]:
    """How an answer made before the app sees the request (a cap the middleware
    enforces) is written: ``(path, status, type, message) -> (body, content type)`` in
    the format of the face the path belongs to. The face is found in a request of the
    path alone: the refused request's own target or headers are what broke a cap."""

    def error_body(path: str, status: int, error_type: str, message: str):
        environ = EnvironBuilder(path=path[:_PATH_KEPT]).get_environ()
        with app.request_context(environ):
            face = face_of_request()
            response = face.write_error(status, error_type, message, None, {})
            return response.get_data(), response.content_type

    return error_body
