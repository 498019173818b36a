"""The filter and ordering language of list queries: Apple's predicate format (the one
NSPredicate reads), parsed into a small tree and built into SQLAlchemy expressions.

    code == "SKU-1" AND (description contains[cd] "shirt" || sell_price BETWEEN {5, 20})

Fields come from a whitelist; values are bound parameters, never SQL text. Legacy
spellings are accepted: operators in any case, ``=`` for ``==``, booleans as 1/0,
numbers quoted or not, datetimes without a zone (taken as UTC).

Logic is two-valued, as in NSPredicate: a comparison with an empty field is false,
except ``!=`` which is true; ``NOT`` is the complement.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, and_, false, not_, or_, true

from xmlapi.catalog.errors import CatalogError
from xmlapi.sqlfunctions import lower_sql, regex_fullmatch, regex_fullmatch_ignoring_case
from xmlapi.textfold import fold, fold_sql, unaccent, unaccent_sql

MAX_DEPTH = 32  # nested parentheses and NOTs
MAX_VALUES = 1000  # values in one filter, IN lists included
# Comparisons in one filter: SQLite refuses expressions nested 1000 deep, and a chain of
# ORs (or ANDs) nests one level per term.
MAX_TERMS = 200
MAX_PATTERN = 100  # characters of a MATCHES pattern
MAX_REPEATS = 2  # quantifiers in a MATCHES pattern


class InvalidQuery(CatalogError):
    """A filter or ordering the service cannot read; says where it broke."""

    def __init__(self, message: str, position: int | None = None, parameter: str = "filter"):
        where = f" at character {position + 1}" if position is not None else ""
        super().__init__(f"{parameter}: {message}{where}.", {parameter: message})
        self.position = position


@dataclass(frozen=True)
class FieldSpec:
    column: Any
    type: str  # "int", "str", "decimal", "bool", "datetime" or "date" (a datetime's day)


# The tree -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Constant:
    value: bool


@dataclass(frozen=True)
class Not:
    operand: Any


@dataclass(frozen=True)
class AllOf:
    operands: tuple


@dataclass(frozen=True)
class AnyOf:
    operands: tuple


@dataclass(frozen=True)
class Comparison:
    field: str
    operator: str  # ==, !=, <, <=, >, >=, contains, beginswith, endswith, like, matches,
    # in, between
    modifiers: str  # "", "c", "d" or "cd"
    values: tuple  # one value, or the list of IN / BETWEEN; None stands for nil


# Tokens ---------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<lbrace>\{)
  | (?P<rbrace>\})
  | (?P<comma>,)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<op>(?:==|!=|<>|<=|>=|=<|=>|=|<|>)(?:\[[A-Za-z]+\])?)
  | (?P<and>&&)
  | (?P<or>\|\|)
  | (?P<bang>!)
  | (?P<word>[A-Za-z_][A-Za-z0-9_\-]*(?:\[[A-Za-z]+\])?)
  | (?P<number>[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    kind: str  # lparen, rparen, lbrace, rbrace, comma, string, op, and, or, bang, word,
    # number, end
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
                value = re.sub(r"\\(.)", r"\1", value[1:-1], flags=re.DOTALL)
                if "\x00" in value:
                    raise InvalidQuery("text may not contain NUL", position)
            tokens.append(Token(kind, value, position))
        position = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


# Parsing --------------------------------------------------------------------------------

_TEXT_OPERATORS = {"contains", "beginswith", "endswith", "like", "matches"}
_WORD_OPERATORS = _TEXT_OPERATORS | {"in", "between"}
_ALIASES = {"=": "==", "<>": "!=", "=<": "<=", "=>": ">="}
_ORDERED = {"<", "<=", ">", ">=", "between"}
_NIL = {"null", "nil"}
_BOOLEANS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


class _Parser:
    def __init__(self, text: str, fields: Mapping[str, FieldSpec]):
        self.tokens = tokenize(text)
        self.index = 0
        self.fields = fields
        self.depth = 0
        self.values = 0
        self.terms = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.token
        self.index += 1
        return token

    def keyword(self, *words: str, kind: str | None = None) -> bool:
        token = self.token
        if token.kind == kind or (token.kind == "word" and token.value.upper() in words):
            self.index += 1
            return True
        return False

    def parse(self) -> Any:
        expression = self.disjunction()
        if self.token.kind != "end":
            raise InvalidQuery(
                f"expected AND, OR or the end, got {self.token.value!r}", self.token.position
            )
        return expression

    def disjunction(self) -> Any:
        terms = [self.conjunction()]
        while self.keyword("OR", kind="or"):
            terms.append(self.conjunction())
        return terms[0] if len(terms) == 1 else AnyOf(tuple(terms))

    def conjunction(self) -> Any:
        terms = [self.unary()]
        while self.keyword("AND", kind="and"):
            terms.append(self.unary())
        return terms[0] if len(terms) == 1 else AllOf(tuple(terms))

    def unary(self) -> Any:
        start = self.token
        if self.keyword("NOT", kind="bang"):
            with self.nested(start):
                return Not(self.unary())
        if start.kind == "lparen":
            self.advance()
            with self.nested(start):
                expression = self.disjunction()
            if self.token.kind != "rparen":
                raise InvalidQuery("expected ')'", self.token.position)
            self.advance()
            return expression
        for word, value in (("TRUEPREDICATE", True), ("FALSEPREDICATE", False)):
            if self.keyword(word):
                self.count_term(start)
                return Constant(value)
        return self.comparison()

    def nested(self, token: Token) -> _Nesting:
        return _Nesting(self, token)

    def comparison(self) -> Comparison:
        name_token = self.advance()
        self.count_term(name_token)
        if name_token.kind != "word":
            raise InvalidQuery("expected a field name", name_token.position)
        name = name_token.value.lower()
        spec = self.fields.get(name)
        if spec is None:
            raise InvalidQuery(
                f"unknown field {name_token.value!r} (fields: {', '.join(sorted(self.fields))})",
                name_token.position,
            )
        operator, modifiers, op_token = self.operator()
        self.check_operator(spec, operator, modifiers, op_token)
        if operator in {"in", "between"}:
            values = self.value_list(spec, operator, modifiers)
        else:
            values = (self.value(spec, operator, modifiers),)
        return Comparison(name, operator, modifiers, values)

    def operator(self) -> tuple[str, str, Token]:
        token = self.advance()
        if token.kind not in {"op", "word"}:
            raise InvalidQuery("expected an operator such as == or contains", token.position)
        name, _, rest = token.value.lower().partition("[")
        modifiers = rest.rstrip("]")
        known = token.kind == "op" or name in _WORD_OPERATORS
        if not known or modifiers not in {"", "c", "d", "cd", "dc"}:
            raise InvalidQuery(f"unknown operator {token.value!r}", token.position)
        return _ALIASES.get(name, name), "".join(sorted(modifiers)), token

    def check_operator(self, spec: FieldSpec, operator: str, modifiers: str, token: Token):
        if operator in _TEXT_OPERATORS and spec.type != "str":
            raise InvalidQuery(f"{operator} works on text fields only", token.position)
        if modifiers and spec.type != "str":
            raise InvalidQuery(f"[{modifiers}] works on text fields only", token.position)
        if operator in _ORDERED and spec.type == "bool":
            raise InvalidQuery(f"{operator} does not work on yes/no fields", token.position)

    def value_list(self, spec: FieldSpec, operator: str, modifiers: str) -> tuple:
        start = self.advance()
        if start.kind != "lbrace":
            raise InvalidQuery(f"{operator.upper()} takes a list such as {{1, 2}}", start.position)
        values = [self.value(spec, operator, modifiers)]
        while self.token.kind == "comma":
            comma = self.advance()
            if spec.type == "date":  # each day is a comparison of its own
                self.count_term(comma)
            values.append(self.value(spec, operator, modifiers))
        if self.token.kind != "rbrace":
            raise InvalidQuery("expected ',' or '}'", self.token.position)
        self.advance()
        if operator == "between" and len(values) != 2:
            raise InvalidQuery("BETWEEN takes two values: {low, high}", start.position)
        return tuple(values)

    def count_term(self, token: Token) -> None:
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise InvalidQuery(f"more than {MAX_TERMS} comparisons", token.position)

    def count_value(self, token: Token) -> None:
        self.values += 1
        if self.values > MAX_VALUES:
            raise InvalidQuery(f"more than {MAX_VALUES} values", token.position)

    def value(self, spec: FieldSpec, operator: str, modifiers: str) -> Any:
        token = self.advance()
        self.count_value(token)
        word = token.value.lower() if token.kind == "word" else None
        if word in _NIL:
            if operator not in {"==", "!=", "in"}:
                raise InvalidQuery("nil can only be compared with ==, != or IN", token.position)
            return None
        if token.kind not in {"string", "number", "word"}:
            raise InvalidQuery("expected a value", token.position)
        if word is not None and spec.type != "bool":
            raise InvalidQuery(
                f"expected a value (quoted text, a number or nil), got {token.value!r}",
                token.position,
            )
        if operator == "matches":
            pattern = unaccent(token.value) if "d" in modifiers else token.value
            return check_pattern(pattern, token.position)
        return coerce(spec, token)


class _Nesting:
    """Counts how deep parentheses and NOTs go, and refuses to go deeper than
    MAX_DEPTH (the parser recurses)."""

    def __init__(self, parser: _Parser, token: Token):
        self.parser, self.token = parser, token

    def __enter__(self) -> None:
        self.parser.depth += 1
        if self.parser.depth > MAX_DEPTH:
            raise InvalidQuery(f"nested deeper than {MAX_DEPTH} levels", self.token.position)

    def __exit__(self, *_exc) -> None:
        self.parser.depth -= 1


# Values ---------------------------------------------------------------------------------

_INTEGER = re.compile(r"[-+]?[0-9]+", re.ASCII)
_DECIMAL = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]{1,6})?", re.ASCII)
_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})|([0-9]{1,2})-([0-9]{1,2})-([0-9]{4})")


def coerce(spec: FieldSpec, token: Token) -> Any:
    """The token's value as the field's type; raises InvalidQuery."""
    raw = token.value
    if spec.type == "str":
        return raw
    value = None
    if raw.isascii():
        try:
            value = _READERS[spec.type](raw.strip(), spec)
        except (ValueError, KeyError, InvalidOperation, OverflowError):
            value = None
    if value is None:
        raise InvalidQuery(f"{raw!r} is not a valid {_TYPE_NAMES[spec.type]}", token.position)
    if isinstance(value, OutOfRange):
        raise InvalidQuery(f"{raw!r} is out of range ({value.bounds})", token.position)
    return value


@dataclass(frozen=True)
class OutOfRange:
    bounds: str


def _read_int(raw: str, spec: FieldSpec) -> int | OutOfRange | None:
    if not _INTEGER.fullmatch(raw):
        return None
    bits = 63 if isinstance(spec.column.type, BigInteger) else 31
    value = int(raw)
    if not -(2**bits) <= value < 2**bits:
        return OutOfRange(f"{-(2**bits)} to {2**bits - 1}")
    return value


def _read_decimal(raw: str, spec: FieldSpec) -> Decimal | OutOfRange | None:
    if not _DECIMAL.fullmatch(raw):
        return None
    value = Decimal(raw)
    largest = spec.column.type.largest
    if abs(value) >= largest:
        return OutOfRange(f"less than {largest:f} either way")
    return value


def _read_bool(raw: str, _spec: FieldSpec) -> bool:
    return _BOOLEANS[raw.lower()]


def _read_datetime(raw: str, _spec: FieldSpec) -> dt.datetime:
    return parse_datetime(raw)


def _read_day(raw: str, _spec: FieldSpec) -> dt.date | None:
    match = _DAY.fullmatch(raw)
    if match is None:
        return None
    year, month, day = match.group(1, 2, 3) if match.group(1) else match.group(6, 4, 5)
    return dt.date(int(year), int(month), int(day))


_READERS: dict[str, Callable[[str, FieldSpec], Any]] = {
    "int": _read_int,
    "decimal": _read_decimal,
    "bool": _read_bool,
    "datetime": _read_datetime,
    "date": _read_day,
}

_TYPE_NAMES = {
    "int": "whole number",
    "decimal": "number",
    "bool": "boolean (YES, NO, 1, 0, true, false)",
    "datetime": "datetime such as 2024-01-01T00:00:00Z",
    "date": "date such as 2024-01-31 or 1-31-2024",
    "str": "text",
}


def parse_datetime(raw: str) -> dt.datetime:
    """An ISO 8601 date or datetime in UTC; without a zone it is UTC. Raises ValueError,
    also when the moment in UTC falls outside the years 1 to 9999."""
    value = dt.datetime.fromisoformat(raw.strip())
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    try:
        return value.astimezone(dt.UTC)
    except OverflowError as exc:
        raise ValueError("out of range") from exc


# Regular expressions --------------------------------------------------------------------

_REGEX_LITERAL_ESCAPES = set(".^$*+?()[]{}|\\-/")
_CLASS_CHARACTERS = set(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _.,:;@#!$%'\"/+*?(){}<>="
)
_BOUND = re.compile(r"\{([0-9]{1,3})(,([0-9]{0,3}))?\}")


def check_pattern(pattern: str, position: int) -> str:
    """``pattern`` when it is in the subset of regular expressions that PostgreSQL and
    Python read alike and match in bounded time; raises InvalidQuery."""
    if len(pattern) > MAX_PATTERN:
        raise InvalidQuery(f"a MATCHES pattern is at most {MAX_PATTERN} characters", position)
    try:
        _RegexChecker(pattern).check()
    except ValueError as exc:
        raise InvalidQuery(f"MATCHES pattern: {exc}", position) from None
    return pattern


class _RegexChecker:
    """Literals, ``\\`` before punctuation, ``.``, ``[...]`` classes of ASCII letters,
    digits, punctuation and ranges, groups, ``|``, and the quantifiers ``* + ? {m}
    {m,} {m,n}`` (at most MAX_REPEATS of them, never on a group that holds a quantifier or
    ``|``): no backreferences, lookarounds, anchors, class escapes or nested repeats."""

    def __init__(self, pattern: str):
        self.pattern = pattern
        self.index = 0
        self.repeats = 0

    def peek(self) -> str:
        return self.pattern[self.index] if self.index < len(self.pattern) else ""

    def check(self) -> None:
        self.alternation()
        if self.index < len(self.pattern):
            raise ValueError(f"unexpected {self.peek()!r} at {self.index + 1}")

    def alternation(self) -> bool:
        """Returns whether the part read holds a quantifier or ``|``."""
        risky = self.sequence()
        while self.peek() == "|":
            self.index += 1
            self.sequence()
            risky = True
        return risky

    def sequence(self) -> bool:
        risky = False
        while self.peek() and self.peek() not in "|)":
            inner = self.atom()
            if self.quantifier():
                if inner:
                    raise ValueError("a repeated group may not hold a repeat or '|'")
                risky = True
            risky = risky or inner
        return risky

    def atom(self) -> bool:
        char = self.peek()
        self.index += 1
        if char == "(":
            if self.pattern.startswith("?", self.index):
                raise ValueError("(? groups are not supported")
            inner = self.alternation()
            if self.peek() != ")":
                raise ValueError("a '(' is not closed")
            self.index += 1
            return inner
        if char == "[":
            self.character_class()
        elif char == "\\":
            escaped = self.peek()
            if escaped not in _REGEX_LITERAL_ESCAPES or not escaped:
                raise ValueError("'\\' may only precede punctuation")
            self.index += 1
        elif char in "^$":
            raise ValueError("anchors are implied: the pattern matches the whole text")
        elif char in "*+?{}])":
            raise ValueError(f"unexpected {char!r} at {self.index}")
        return False

    def character_class(self) -> None:
        if self.peek() == "^":
            self.index += 1
        members = 0
        while self.peek() != "]":
            first = self.peek()
            if not first:
                raise ValueError("a '[' is not closed")
            if first == "-" and members and self.pattern[self.index + 1 : self.index + 2] != "]":
                raise ValueError("'-' in a class must come first or last")
            if first != "-" and first not in _CLASS_CHARACTERS:
                raise ValueError(f"{first!r} is not supported in a class")
            self.index += 1
            last = self.pattern[self.index + 1 : self.index + 2]
            if self.peek() == "-" and last not in ("]", ""):
                ascii_alnum = first.isalnum() and last.isalnum() and last in _CLASS_CHARACTERS
                if not ascii_alnum or first > last:
                    raise ValueError(f"bad range {first}-{last}")
                self.index += 2
            members += 1
        if not members:
            raise ValueError("an empty class")
        self.index += 1

    def quantifier(self) -> bool:
        char = self.peek()
        if char and char in "*+?":
            self.index += 1
        elif char == "{":
            match = _BOUND.match(self.pattern, self.index)
            if match is None:
                raise ValueError("'{' must start a repeat such as {2} or {1,3}")
            low, high = match.group(1), match.group(3)
            if int(low) > 255 or (high and (int(high) > 255 or int(high) < int(low))):
                raise ValueError("repeat counts go from 0 to 255, low before high")
            self.index = match.end()
        else:
            return False
        self.repeats += 1
        if self.repeats > MAX_REPEATS:
            raise ValueError(f"at most {MAX_REPEATS} repeats (*, +, ?, {{}})")
        if self.peek() and self.peek() in "*+?{":
            raise ValueError("a repeat may not be repeated")
        return True


# Building SQL ---------------------------------------------------------------------------


def parse_filter(text: str, fields: Mapping[str, FieldSpec]) -> ColumnElement:
    """The SQLAlchemy expression for ``text``; raises InvalidQuery saying where it broke."""
    return to_sql(parse_tree(text, fields), fields)


def parse_tree(text: str, fields: Mapping[str, FieldSpec]) -> Any:
    """The predicate tree of ``text``; raises InvalidQuery saying where it broke."""
    if not text.strip():
        raise InvalidQuery("the filter is empty", 0)
    return _Parser(text, fields).parse()


def to_sql(node: Any, fields: Mapping[str, FieldSpec]) -> ColumnElement:
    if isinstance(node, Constant):
        return true() if node.value else false()
    if isinstance(node, Not):
        return not_(to_sql(node.operand, fields))
    if isinstance(node, AllOf):
        return and_(*(to_sql(operand, fields) for operand in node.operands))
    if isinstance(node, AnyOf):
        return or_(*(to_sql(operand, fields) for operand in node.operands))
    return _comparison(node, fields[node.field])


def _comparison(node: Comparison, spec: FieldSpec) -> ColumnElement:
    column = spec.column
    if node.operator == "in":
        return _in_list(spec, node.values, node.modifiers)
    if node.operator == "between":
        low, high = node.values
        return and_(
            _compare(spec, column, ">=", low, node.modifiers),
            _compare(spec, column, "<=", high, node.modifiers),
        )
    (value,) = node.values
    if value is None:
        return column.is_(None) if node.operator == "==" else column.is_not(None)
    return _compare(spec, column, node.operator, value, node.modifiers)


def _in_list(spec: FieldSpec, values: tuple, modifiers: str) -> ColumnElement:
    """``IN {...}``: one SQL ``IN`` (a day per comparison for dates), or'ed with
    ``IS NULL`` when nil is listed."""
    column = spec.column
    listed = [value for value in values if value is not None]
    terms = [column.is_(None)] if len(listed) < len(values) else []
    if spec.type == "date":
        terms += [_compare(spec, column, "==", day, "") for day in listed]
    else:
        if spec.type == "decimal":  # a value the column cannot hold equals nothing
            quantum = column.type.quantum
            listed = [v for v in listed if v.quantize(quantum, rounding=ROUND_FLOOR) == v]
        target, normal = _text_target(column, modifiers)
        if listed:
            in_list = target.in_([normal(value) for value in listed])
            terms.append(_two_valued(column, in_list, "=="))
    return or_(*terms) if terms else false()


def _text_target(column, modifiers: str) -> tuple[Any, Callable[[Any], Any]]:
    """What a text comparison with these modifiers compares: the column's text folded
    (``[cd]``), without accents (``[d]``, as NSPredicate's diacritic-insensitive) or
    lower-cased (``[c]``), and the same done to the value."""
    if "d" in modifiers and "c" in modifiers:
        return fold_sql(column), fold
    if "d" in modifiers:
        return unaccent_sql(column), unaccent
    if "c" in modifiers:
        return lower_sql(column), str.lower
    return column, lambda value: value


def _compare(spec: FieldSpec, column, operator: str, value: Any, modifiers: str):
    """A comparison that is never NULL: false on an empty field, but true for ``!=``."""
    if spec.type == "decimal":
        operator, value = _on_column_scale(operator, value, spec.column.type.quantum)
        if operator in {"true", "false"}:
            return _two_valued(column, true() if operator == "true" else false(), operator)
    if spec.type == "date":
        return _two_valued(column, _day_comparison(column, operator, value), operator)
    if operator == "matches":  # ignores case itself; its pattern lost its accents when read
        target = unaccent_sql(column) if "d" in modifiers else column
    else:
        target, normal = _text_target(column, modifiers)
        value = normal(value)
    ignore_case = "c" in modifiers
    return _two_valued(column, _OPERATIONS[operator](target, value, ignore_case), operator)


def _two_valued(column, expression, operator: str):
    if not _nullable(column):
        return expression
    if operator in {"!=", "true"}:
        return or_(column.is_(None), expression)
    return and_(column.is_not(None), expression)


def _nullable(column) -> bool:
    return getattr(getattr(column, "expression", column), "nullable", True)


def _on_column_scale(operator: str, value: Decimal, quantum: Decimal) -> tuple[str, Any]:
    """A comparison with a value of more decimals than the column keeps, as one on the
    column's scale that picks the same rows (the bound value would be rounded otherwise)."""
    floor = value.quantize(quantum, rounding=ROUND_FLOOR)
    if floor == value:
        return operator, floor
    if operator in {"==", "!="}:
        return ("false" if operator == "==" else "true"), None
    if operator in {"<", "<="}:
        return "<=", floor
    return ">=", value.quantize(quantum, rounding=ROUND_CEILING)


def _day_comparison(column, operator: str, day: dt.date):
    start = dt.datetime.combine(day, dt.time(), dt.UTC)
    after = None if day == dt.date.max else start + dt.timedelta(days=1)
    on_or_after_next = column >= after if after is not None else false()
    before_next = column < after if after is not None else true()
    return {
        "==": and_(column >= start, before_next),
        "!=": or_(column < start, on_or_after_next),
        "<": column < start,
        "<=": before_next,
        ">": on_or_after_next,
        ">=": column >= start,
    }[operator]


def like_pattern(text: str) -> str:
    """NSPredicate's LIKE (``*`` any run, ``?`` one character, ``\\`` makes the next
    character literal) as a SQL LIKE pattern escaped with ``/``."""
    out, index = [], 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            index += 1
            out.append(_like_literal(text[index]))
        elif char == "*":
            out.append("%")
        elif char == "?":
            out.append("_")
        else:
            out.append(_like_literal(char))
        index += 1
    return "".join(out)


def _like_literal(char: str) -> str:
    return "/" + char if char in "%_/" else char


def _matches(column, pattern: str, ignore_case: bool):
    function = regex_fullmatch_ignoring_case if ignore_case else regex_fullmatch
    return function(column, pattern)


_OPERATIONS: dict[str, Callable[[Any, Any, bool], ColumnElement]] = {
    "==": lambda c, v, _i: c == v,
    "!=": lambda c, v, _i: c != v,
    "<": lambda c, v, _i: c < v,
    "<=": lambda c, v, _i: c <= v,
    ">": lambda c, v, _i: c > v,
    ">=": lambda c, v, _i: c >= v,
    "contains": lambda c, v, _i: c.contains(v, autoescape=True),
    "beginswith": lambda c, v, _i: c.startswith(v, autoescape=True),
    "endswith": lambda c, v, _i: c.endswith(v, autoescape=True),
    "like": lambda c, v, _i: c.like(like_pattern(v), escape="/"),
    "matches": _matches,
}


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
