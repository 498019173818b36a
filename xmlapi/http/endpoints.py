"""The endpoint registry: every route of every face, with its flags and description.

The four flags are the contract's (``spec/products-xml-api.txt``): ``can_lock`` (LOCK and
UNLOCK work on the URL), ``requires_lock`` (the write needs the product's lock),
``has_etag`` and ``requires_etag``. Authentication, rate limits, the read-only check and
lock claims are applied from an entry, never from a path; a route is public only when
its entry says so. ``check_routes`` refuses to start an app with a route that has no
entry, whatever its prefix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Flask, current_app


@dataclass(frozen=True)
class Endpoint:
    view: str
    method: str
    path: str  # in the contract's notation, relative to the face: "/products/(d+)/"
    description: str
    can_lock: bool = False
    requires_lock: bool = False
    has_etag: bool = False
    requires_etag: bool = False
    contract: bool = True  # False: our extension, not in the legacy contract
    read_only_ok: bool = False  # read-only users and apps may call it though it is no GET
    public: bool = False  # answered without authentication (and so without a rate limit)
    tokens: bool = False  # bearer tokens authenticate it too (the JSON faces)
    prefix: str = "/api"  # the face's prefix, which ``path`` is relative to
    light: bool = False  # counted against the lighter budget (images: a page shows many)

    @property
    def flags(self) -> tuple[bool, bool, bool, bool]:
        return (self.can_lock, self.requires_lock, self.has_etag, self.requires_etag)

    @property
    def writes(self) -> bool:
        """Whether read-only users and apps are refused (403)."""
        return self.method not in {"GET", "HEAD", "OPTIONS"} and not self.read_only_ok


class Registry:
    """The entries of every face's routes, by view and method."""

    def __init__(self) -> None:
        self.entries: list[Endpoint] = []
        self._by_view: dict[tuple[str, str], Endpoint] = {}

    def add(self, entries: tuple[Endpoint, ...]) -> None:
        for entry in entries:
            key = (entry.view, entry.method)
            if key in self._by_view:
                raise RouteTableError(f"{entry.method} {entry.view} is registered twice")
            self._by_view[key] = entry
            self.entries.append(entry)

    def lookup(self, view: str | None, method: str) -> Endpoint | None:
        """The entry of a view and method (HEAD counts as GET)."""
        return self._by_view.get((view, "GET" if method == "HEAD" else method))


def registry() -> Registry:
    return current_app.extensions["xmlapi.registry"]


def lookup(view: str | None, method: str) -> Endpoint | None:
    """The registry entry of the current app for a view and method."""
    return registry().lookup(view, method)


class RouteTableError(RuntimeError):
    """The app's routes and the registry disagree."""


_CONVERTER = re.compile(r"<int:[a-z_]+>")
_PATH_CONVERTER = re.compile(r"<path:[a-z_]+>")
_IMPLICIT = {"HEAD", "OPTIONS"}


def contract_path(rule: str, prefix: str = "/api") -> str:
    """A Flask rule in the contract's notation: /api/products/<int:x>/ -> /products/(d+)/."""
    path = rule.removeprefix(prefix) or "/"
    return _PATH_CONVERTER.sub("(path)", _CONVERTER.sub("(d+)", path))


def check_routes(app: Flask, entries: Registry) -> None:
    """Raise RouteTableError unless every route and method of the app, whatever its
    prefix, is in the registry with the same path, and every entry has its route."""
    problems, seen = [], set()
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - _IMPLICIT):
            entry = entries.lookup(rule.endpoint, method)
            seen.add((rule.endpoint, method))
            if entry is None:
                problems.append(f"{method} {rule.rule} ({rule.endpoint}) has no registry entry")
            elif entry.path != contract_path(rule.rule, entry.prefix):
                problems.append(f"{method} {rule.rule}: registry says {entry.path}")
    problems += [
        f"{e.method} {e.path} ({e.view}) is registered but has no route"
        for e in entries.entries
        if (e.view, e.method) not in seen
    ]
    if problems:
        raise RouteTableError("; ".join(problems))
