"""Case and accent folding shared by Python and both databases.

``contains[cd]`` filters compare folded text. PostgreSQL folds with ``translate()``
over the table below and SQLite with a Python function built from the same table,
so a filter matches the same rows on either database.
"""

import unicodedata

from sqlalchemy import String, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


def _accent_table() -> tuple[str, str]:
    accented, plain = [], []
    for code_point in range(0xC0, 0x250):
        char = chr(code_point)
        base = unicodedata.normalize("NFKD", char)[0]
        if base != char and base.isascii() and base.isalpha():
            accented.append(char)
            plain.append(base)
    return "".join(accented), "".join(plain)


ACCENTED, UNACCENTED = _accent_table()
_TRANSLATION = str.maketrans(ACCENTED, UNACCENTED)


def fold(text: str | None) -> str | None:
    """Lower-case ``text`` and strip the accents of Latin letters."""
    if text is None:
        return None
    return text.translate(_TRANSLATION).lower()


def unaccent(text: str | None) -> str | None:
    """Strip the accents of Latin letters, keeping the case (``[d]`` without ``[c]``)."""
    if text is None:
        return None
    return text.translate(_TRANSLATION)


class fold_sql(FunctionElement):
    """``fold()`` in SQL: ``lower(translate(x, ...))`` on PostgreSQL, and the Python
    function registered on each SQLite connection."""

    type = String()
    inherit_cache = True
    name = "xmlapi_fold"


class unaccent_sql(FunctionElement):
    """``unaccent()`` in SQL: ``translate(x, ...)`` on PostgreSQL, and the Python function
    registered on each SQLite connection."""

    type = String()
    inherit_cache = True
    name = "xmlapi_unaccent"


@compiles(fold_sql)
@compiles(unaccent_sql)
def _registered_function(element, compiler, **kw):
    """SQLite: the Python function registered on each connection under the name."""
    return f"{element.name}({compiler.process(element.clauses, **kw)})"


def _translated(element, compiler, **kw) -> str:
    """PostgreSQL: the argument with the accents of Latin letters stripped."""
    accented = compiler.process(literal(ACCENTED), **kw)
    plain = compiler.process(literal(UNACCENTED), **kw)
    return f"translate({compiler.process(element.clauses, **kw)}, {accented}, {plain})"


@compiles(fold_sql, "postgresql")
def _fold_postgresql(element, compiler, **kw):
    return f"lower({_translated(element, compiler, **kw)})"


@compiles(unaccent_sql, "postgresql")
def _unaccent_postgresql(element, compiler, **kw):
    return _translated(element, compiler, **kw)
