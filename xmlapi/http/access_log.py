"""gunicorn's access log without secrets: a ``bearer_token`` query parameter and the
credentials of an ``Authorization`` header never reach it."""

from __future__ import annotations

import re

from gunicorn.glogging import Logger

HIDDEN = "[hidden]"
# The parameter as a client may spell it (werkzeug decodes %5F in names too).
_TOKEN_PARAMETER = re.compile(r"((?:^|[?&;])bearer(?:_|%5f)token=)[^&;\s]*", re.IGNORECASE)


def scrub(text: str) -> str:
    """``text`` with the value of every ``bearer_token`` parameter hidden."""
    return _TOKEN_PARAMETER.sub(lambda match: match.group(1) + HIDDEN, text)


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
