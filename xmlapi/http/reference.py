"""The API reference, format-neutral: every endpoint of every face registered in the
app, described from the registry (methods, flags, documents, error types, a curl
example). A face renders it (the legacy face as a page for browsers); a new endpoint
appears by itself."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask import current_app

from xmlapi.http.endpoints import Endpoint
from xmlapi.http.errors import ERRORS
from xmlapi.http.faces import Face


@dataclass(frozen=True)
class Link:
    """A document an endpoint takes or returns: its name and where its schema is
    served (None: the face publishes no schema for it)."""

    name: str
    href: str | None = None


@dataclass(frozen=True)
class Documents:
    """What a face says an endpoint takes and returns, and the media type it sends."""

    takes: tuple[Link, ...] = ()
    returns: tuple[Link, ...] = ()
    media_type: str | None = None
    errors: tuple[str, ...] = ()  # shared error types of this endpoint's own work


@dataclass(frozen=True)
class EndpointReference:
    face: str
    method: str
    url: str  # the full path template: /api/products/{id}/
    description: str
    flags: tuple[tuple[str, bool], ...]
    takes: tuple[Link, ...]
    returns: tuple[Link, ...]
    errors: tuple[tuple[int, str], ...]
    curl: str
    anchor: str


@dataclass(frozen=True)
class FaceReference:
    name: str
    prefix: str
    endpoints: tuple[EndpointReference, ...]


FLAG_NAMES = ("can_lock", "requires_lock", "has_etag", "requires_etag", "public", "tokens")
_PLACEHOLDER = re.compile(r"\(d\+\)|\(path\)")
_EXAMPLE = {"(d+)": "1", "(path)": "in/product.xsd"}


def describe(base_url: str = "http://127.0.0.1:8080") -> tuple[FaceReference, ...]:
    """Every face of the current app with its endpoints, in registration order."""
    return tuple(
        _face(face, base_url.rstrip("/")) for face in current_app.extensions["xmlapi.faces"]
    )


def _face(face: Face, base_url: str) -> FaceReference:
    described = tuple(_entry(face, entry, base_url) for entry in face.endpoints)
    return FaceReference(face.name, face.prefix, described)


def _entry(face: Face, entry: Endpoint, base_url: str) -> EndpointReference:
    documents = face.documents(entry) if face.documents else Documents()
    url = entry.prefix + _template(entry.path)
    return EndpointReference(
        face=face.name,
        method=entry.method,
        url=url,
        description=entry.description,
        flags=tuple((name, bool(getattr(entry, name))) for name in FLAG_NAMES),
        takes=documents.takes,
        returns=documents.returns,
        errors=error_types(face, entry, documents),
        curl=curl_example(entry, documents, base_url),
        anchor=f"{face.name}-{entry.view}-{entry.method}".replace(".", "-").lower(),
    )


def _template(path: str) -> str:
    """The contract's ``(d+)`` as ``{id}``: what a person reads in a URL."""
    return _PLACEHOLDER.sub(lambda m: "{id}" if m.group() == "(d+)" else "{name}", path)


def _example_path(entry: Endpoint) -> str:
    return entry.prefix + _PLACEHOLDER.sub(lambda m: _EXAMPLE[m.group()], entry.path)


def error_types(
    face: Face, entry: Endpoint, documents: Documents = Documents()
) -> tuple[tuple[int, str], ...]:
    """The (status, type) errors the policies of ``entry``, its face and what the face
    says of it can answer."""
    found: dict[str, int] = {error_type: _status_of(error_type) for error_type in documents.errors}
    if not entry.public:
        found.update({"auth.required": 401, "rate.limited": 429})
    if entry.writes:
        found["auth.forbidden"] = 403
    if "(d+)" in entry.path or "(path)" in entry.path:
        found["not_found"] = 404
    if entry.requires_lock:
        found.update({"lock.required": 428, "lock.held": 423})
    if entry.method == "LOCK":
        found["lock.held"] = 423
    if entry.method == "UNLOCK":
        found["lock.not_held"] = 409
    if entry.requires_etag or (entry.has_etag and entry.method != "GET"):
        found["precondition.failed"] = 412
    if entry.method in {"POST", "PUT", "PATCH"}:
        found.update({"body.too_large": 413, "field.invalid": 422})
        found.update({error_type: status for _cls, status, error_type in face.errors})
    return tuple(sorted(((status, name) for name, status in found.items())))


def _status_of(error_type: str) -> int:
    """The status of one of the shared error types (400 for a face's own)."""
    return next((status for _cls, status, name in ERRORS if name == error_type), 400)


def curl_example(entry: Endpoint, documents: Documents, base_url: str) -> str:
    """A command line that calls ``entry`` (credentials and bodies as placeholders)."""
    parts = ["curl -s"]
    if entry.tokens:
        parts.append("-H 'Authorization: Bearer $TOKEN'")
    elif not entry.public:
        parts.append('-u "$USER:$PASSWORD"')
    if entry.method != "GET":
        parts.append(f"-X {entry.method}")
    if entry.method in {"POST", "PUT", "PATCH"} and documents.takes:
        if documents.media_type:
            parts.append(f"-H 'Content-Type: {documents.media_type}'")
        parts.append(f"--data-binary @{documents.takes[0].name.rsplit('/', 1)[-1]}")
    parts.append(f"'{base_url}{_example_path(entry)}'")
    return " ".join(parts)


SchemaTable = Mapping[str, tuple[str | None, str | None]]


def schema_documents(schemas_url: str, table: SchemaTable) -> Callable[[Endpoint], Documents]:
    """A JSON face's ``documents``: from ``table`` (view -> the JSON Schema it takes and
    the one it returns, file names served under ``schemas_url``)."""

    def link(name: str | None) -> tuple[Link, ...]:
        return (Link(name, schemas_url + name),) if name else ()

    def describe(entry: Endpoint) -> Documents:
        takes, returns = table.get(entry.view, (None, None))
        return Documents(link(takes), link(returns), "application/json" if takes else None)

    return describe
