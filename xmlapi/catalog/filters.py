"""The filter and ordering language of list queries, parsed into SQLAlchemy expressions.

    code == "SKU-1" AND (description contains[cd] "shirt" OR sell_price < 20)

Fields come from a whitelist; values are bound parameters, never SQL text. Legacy
spellings are accepted: operators in any case, ``=`` for ``==``, booleans as 1/0,
numbers quoted or not, datetimes without a zone (taken as UTC).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import ColumnElement, and_, func, not_, or_

from xmlapi.catalog.errors import CatalogError
from xmlapi.textfold import fold, fold_sql


class InvalidQuery(CatalogError):
    """A filter or ordering the service cannot read; says where it broke."""

    def __init__(self, message: str, position: int | None = None, parameter: str = "filter"):
        where = f" at character {position + 1}" if position is not None else ""
        super().__init__(f"{parameter}: {message}{where}.", {parameter: message})
        self.position = position


@dataclass(frozen=True)
class FieldSpec:
    column: Any
    type: str  # "int", "str", "decimal", "bool" or "datetime"


_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<op>(?:==|!=|<>|<=|>=|=|<|>)(?:\[[A-Za-z]+\])?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_\-]*(?:\[[A-Za-z]+\])?)
  | (?P<number>[-+]?\d+(?:\.\d+)?)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str  # lparen, rparen, string, op, word, number, end
    value: str
    position: int


def tokenize(text: str) -> list[Token]:
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise InvalidQuery(f"unexpected character {text[position]!r}", position)
        kind = match.lastgroup
        if kind != "space":
            value = match.group()
            if kind == "string":
                value = re.sub(r"\\(.)", r"\1", value[1:-1])
            tokens.append(Token(kind, value, position))
        position = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


_WORD_OPERATORS = {"contains", "beginswith", "endswith", "like"}
_TEXT_ONLY = {"contains", "beginswith", "endswith"}
_COMPARISONS: dict[str, Callable[[Any, Any], ColumnElement]] = {
    "==": lambda c, v: c == v,
    "!=": lambda c, v: c != v,
    "<": lambda c, v: c < v,
    "<=": lambda c, v: c <= v,
    ">": lambda c, v: c > v,
    ">=": lambda c, v: c >= v,
    "contains": lambda c, v: c.contains(v, autoescape=True),
    "beginswith": lambda c, v: c.startswith(v, autoescape=True),
    "endswith": lambda c, v: c.endswith(v, autoescape=True),
}
_ALIASES = {"=": "==", "<>": "!=", "like": "contains"}


class _Parser:
    def __init__(self, text: str, fields: Mapping[str, FieldSpec]):
        self.tokens = tokenize(text)
        self.index = 0
        self.fields = fields

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.token
        self.index += 1
        return token

    def keyword(self, word: str) -> bool:
        if self.token.kind == "word" and self.token.value.upper() == word:
            self.index += 1
            return True
        return False

    def parse(self) -> ColumnElement:
        expression = self.disjunction()
        if self.token.kind != "end":
            raise InvalidQuery(
                f"expected AND, OR or the end, got {self.token.value!r}", self.token.position
            )
        return expression

    def disjunction(self) -> ColumnElement:
        terms = [self.conjunction()]
        while self.keyword("OR"):
            terms.append(self.conjunction())
        return terms[0] if len(terms) == 1 else or_(*terms)

    def conjunction(self) -> ColumnElement:
        terms = [self.unary()]
        while self.keyword("AND"):
            terms.append(self.unary())
        return terms[0] if len(terms) == 1 else and_(*terms)

    def unary(self) -> ColumnElement:
        if self.keyword("NOT"):
            return not_(self.unary())
        if self.token.kind == "lparen":
            self.advance()
            expression = self.disjunction()
            if self.token.kind != "rparen":
                raise InvalidQuery("expected ')'", self.token.position)
            self.advance()
            return expression
        return self.comparison()

    def comparison(self) -> ColumnElement:
        name_token = self.advance()
        if name_token.kind != "word":
            raise InvalidQuery("expected a field name", name_token.position)
        spec = self.fields.get(name_token.value.lower())
        if spec is None:
            raise InvalidQuery(
                f"unknown field {name_token.value!r} (fields: {', '.join(sorted(self.fields))})",
                name_token.position,
            )
        operator, modifiers, op_token = self.operator()
        value_token = self.advance()
        if value_token.kind not in {"string", "number", "word"}:
            raise InvalidQuery("expected a value", value_token.position)
        return self.build(spec, operator, modifiers, value_token, op_token)

    def operator(self) -> tuple[str, str, Token]:
        token = self.advance()
        if token.kind not in {"op", "word"}:
            raise InvalidQuery("expected an operator such as == or contains", token.position)
        name, _, rest = token.value.lower().partition("[")
        modifiers = rest.rstrip("]")
        known = token.kind == "op" or name in _WORD_OPERATORS
        if not known or set(modifiers) - {"c", "d"}:
            raise InvalidQuery(f"unknown operator {token.value!r}", token.position)
        return _ALIASES.get(name, name), modifiers, token

    def build(
        self, spec: FieldSpec, operator: str, modifiers: str, value_token: Token, op_token: Token
    ) -> ColumnElement:
        if operator in _TEXT_ONLY and spec.type != "str":
            raise InvalidQuery(f"{operator} works on text fields only", op_token.position)
        if value_token.kind == "word" and value_token.value.lower() == "null":
            if operator not in {"==", "!="}:
                raise InvalidQuery("null can only be compared with == or !=", value_token.position)
            return spec.column.is_(None) if operator == "==" else spec.column.is_not(None)
        value = coerce(spec.type, value_token)
        column = spec.column
        if spec.type == "str" and modifiers:
            if "d" in modifiers:
                column, value = fold_sql(column), fold(value)
            else:
                column, value = func.lower(column), value.lower()
        return _COMPARISONS[operator](column, value)


_BOOLEANS = {"1": True, "true": True, "0": False, "false": False}


def coerce(field_type: str, token: Token) -> Any:
    """The token's value as the field's type; raises InvalidQuery."""
    raw = token.value
    try:
        if field_type == "str":
            return raw
        if field_type == "int":
            return int(raw)
        if field_type == "decimal":
            value = Decimal(raw)
            if not value.is_finite():
                raise ValueError
            return value
        if field_type == "bool":
            return _BOOLEANS[raw.lower()]
        if field_type == "datetime":
            return parse_datetime(raw)
    except (ValueError, KeyError, InvalidOperation):
        pass
    raise InvalidQuery(f"{raw!r} is not a valid {_TYPE_NAMES[field_type]}", token.position)


_TYPE_NAMES = {
    "int": "whole number",
    "decimal": "number",
    "bool": "boolean (1, 0, true, false)",
    "datetime": "datetime such as 2024-01-01T00:00:00Z",
    "str": "text",
}


def parse_datetime(raw: str) -> dt.datetime:
    """An ISO 8601 date or datetime; without a zone it is UTC."""
    value = dt.datetime.fromisoformat(raw.strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


def parse_filter(text: str, fields: Mapping[str, FieldSpec]) -> ColumnElement:
    """The SQLAlchemy expression for ``text``; raises InvalidQuery saying where it broke."""
    if not text.strip():
        raise InvalidQuery("the filter is empty", 0)
    return _Parser(text, fields).parse()


def parse_order_by(text: str, fields: Mapping[str, FieldSpec]) -> list[ColumnElement]:
    """``field:asc,other:desc`` as ORDER BY clauses (the direction defaults to asc)."""
    clauses = []
    for part in text.split(","):
        name, _, direction = part.strip().partition(":")
        spec = fields.get(name.strip().lower())
        if spec is None:
            raise InvalidQuery(f"unknown field {name.strip()!r}", parameter="order_by")
        direction = (direction.strip() or "asc").lower()
        if direction not in {"asc", "desc"}:
            raise InvalidQuery(
                f"direction must be asc or desc, not {direction!r}", parameter="order_by"
            )
        # Empty values sort as the smallest on both databases (PostgreSQL's default is
        # the opposite of SQLite's).
        if direction == "asc":
            clauses.append(spec.column.asc().nulls_first())
        else:
            clauses.append(spec.column.desc().nulls_last())
    return clauses
