"""gunicorn's access log without secrets: a ``bearer_token`` query parameter and the
credentials of an ``Authorization`` header never reach it."""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

from gunicorn.glogging import Logger

from xmlapi.http.auth import TOKEN_PARAMETER

HIDDEN = "[hidden]"
# A query parameter: its name (as sent, percent-encoded or not) and its value.
_PARAMETER = re.compile(r"((?:^|[?&;])([^=&;?\s]+)=)[^&;\s]*")


def scrub(text: str) -> str:
    """``text`` with the value of every ``bearer_token`` parameter hidden, however its
    name is spelled (werkzeug decodes percent-escapes in names: b%65arer_token works)."""
    return _PARAMETER.sub(_hide_token, text)


def _hide_token(match: re.Match) -> str:
    if unquote_plus(match.group(2)).lower() == TOKEN_PARAMETER:
        return match.group(1) + HIDDEN
    return match.group(0)


class ScrubbingLogger(Logger):
    """gunicorn's logger, whose access log atoms (request line, query, headers and
    environ) have tokens hidden."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if isinstance(value, str):
                atoms[key] = scrub(value)
        if "{authorization}i" in atoms:
            scheme = str(atoms["{authorization}i"]).split(" ", 1)[0]
            atoms["{authorization}i"] = f"{scheme} {HIDDEN}"
        atoms.pop("{http_authorization}e", None)
        return atoms
