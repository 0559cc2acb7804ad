"""A small, strict filter language for list endpoints, evaluated alike by DynamoDB and in Python.

    expr       := and_expr ('or' and_expr)*
    and_expr   := term ('and' term)*
    term       := 'not' term | '(' expr ')' | comparison
    comparison := field op value
    op         := eq | ne | gt | ge | lt | le | begins_with
    value      := 'quoted string' ('' inside is one quote) | integer | true | false

Keywords are case-insensitive; field names are not. An endpoint declares its fields in a FilterSpec,
and a field's type decides the operators and literals it takes:

    string     every operator          a string
    int        eq ne gt ge lt le       an integer within 64 bits
    bool       eq ne                   true or false
    timestamp  eq ne gt ge lt le       an RFC 3339 string, compared as an instant to the second
    enum       eq ne                   one of the field's values

Stored timestamps are RFC 3339 UTC to the second (``astca.clock.rfc3339``), so a filter's timestamp is
normalised to that form, where string order is time order; one with a non-zero fraction of a second is
refused rather than silently rounded. Semantics, the same in DynamoDB and in ``Filter.matches``: a
comparison with a missing attribute, or with one of another type, is false, and ``ne`` is ``not eq``
(so true for those). Strings compare by code point, which is UTF-8 byte order, DynamoDB's order.

A filter is at most 512 characters and nests parentheses and ``not`` at most 8 deep. It becomes a
FilterExpression of placeholders (``#f0``, ``:v0``), so no caller text is ever part of the expression;
``Filter.fingerprint()`` digests its canonical text, for the scope of a pagination cursor.

DynamoDB filters after ``Limit``, so a filtered page may hold fewer items than asked for, even none,
and still have a next page. Whatever the parser refuses is 5104004 BadFilter, naming the problem and
its 1-based position in the text.
"""

from __future__ import annotations

import hashlib
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal, NamedTuple

from astca import catalog, clock
from astca.catalog import CaError

MAX_FILTER_CHARS = 512
MAX_DEPTH = 8
MAX_INT = 2**63 - 1

type Value = str | int | bool
type Node = Comparison | Junction | Not


class FieldType(StrEnum):
    """The type of a filterable field, which decides its operators and literals."""

    STRING = "string"
    INT = "int"
    BOOL = "bool"
    TIMESTAMP = "timestamp"
    ENUM = "enum"


_ORDERED = ("eq", "ne", "gt", "ge", "lt", "le")
_OPERATORS: dict[FieldType, tuple[str, ...]] = {
    FieldType.STRING: (*_ORDERED, "begins_with"),
    FieldType.INT: _ORDERED,
    FieldType.BOOL: ("eq", "ne"),
    FieldType.TIMESTAMP: _ORDERED,
    FieldType.ENUM: ("eq", "ne"),
}
_LITERALS = {
    FieldType.STRING: "a quoted string",
    FieldType.INT: "an integer",
    FieldType.BOOL: "true or false",
    FieldType.TIMESTAMP: "a quoted RFC 3339 timestamp",
}
_KEYWORDS = frozenset({"and", "or", "not", "true", "false", *_OPERATORS[FieldType.STRING]})
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
    "begins_with": str.startswith,
}
_DYNAMODB_OPERATORS = {"eq": "=", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TOKEN = re.compile(
    r"(?P<space>\s+)|(?P<string>'(?:[^']|'')*')|(?P<integer>-?[0-9]+)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<paren>[()])"
)
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}"
    r"(?P<fraction>\.[0-9]+)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})"
)
_SERVICE_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


@dataclass(frozen=True)
class FilterField:
    """A field callers may filter on: its name, type, enum values and the item attribute it reads."""

    name: str
    type: FieldType
    values: tuple[str, ...] = ()
    attribute: str = ""

    def __post_init__(self) -> None:
        if not _IDENTIFIER.fullmatch(self.name) or self.name.lower() in _KEYWORDS:
            raise ValueError(f"{self.name!r} cannot name a filter field")
        if (self.type is FieldType.ENUM) != bool(self.values):
            raise ValueError(f"field {self.name!r}: an enum needs values, and only an enum has them")

    @property
    def item_attribute(self) -> str:
        """The attribute of a stored item that this field reads (its name unless set)."""
        return self.attribute or self.name


class FilterSpec:
    """The fields one list endpoint can be filtered on."""

    def __init__(self, *fields: FilterField) -> None:
        self.fields = {field.name: field for field in fields}
        if len(self.fields) != len(fields):
            raise ValueError("filter field names must be unique")


class DynamoDbFilter(NamedTuple):
    """A FilterExpression with its ExpressionAttributeNames and (plain) ExpressionAttributeValues."""

    expression: str
    names: dict[str, str]
    values: dict[str, Value]


class _Placeholders:
    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, Value] = {}
        self._name_of: dict[str, str] = {}

    def name(self, attribute: str) -> str:
        if attribute not in self._name_of:
            self._name_of[attribute] = f"#f{len(self._name_of)}"
            self.names[self._name_of[attribute]] = attribute
        return self._name_of[attribute]

    def value(self, value: Value) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = value
        return placeholder


@dataclass(frozen=True)
class Comparison:
    """``field op value``: false for a missing attribute or one of another type, except with ``ne``."""

    field: FilterField
    op: str
    value: Value

    def text(self) -> str:
        """The canonical text of this comparison."""
        if isinstance(self.value, str):
            literal = "'" + self.value.replace("'", "''") + "'"
        else:
            literal = str(self.value).lower()  # true, false or the integer
        return f"{self.field.name} {self.op} {literal}"

    def matches(self, item: Mapping[str, Any]) -> bool:
        """Whether ``item`` satisfies this comparison."""
        if self.op == "ne":
            return not Comparison(self.field, "eq", self.value).matches(item)
        actual = item.get(self.field.item_attribute)
        return _same_type(actual, self.value) and _COMPARE[self.op](actual, self.value)

    def expression(self, placeholders: _Placeholders) -> str:
        """This comparison as DynamoDB condition syntax, with placeholders for the name and the value."""
        name, value = placeholders.name(self.field.item_attribute), placeholders.value(self.value)
        if self.op == "begins_with":
            return f"begins_with({name}, {value})"
        if self.op == "ne":
            return f"NOT ({name} = {value})"
        return f"{name} {_DYNAMODB_OPERATORS[self.op]} {value}"


@dataclass(frozen=True)
class Junction:
    """Two or more terms joined by ``and`` (all hold) or ``or`` (at least one holds)."""

    word: Literal["and", "or"]
    terms: tuple[Node, ...]

    def text(self) -> str:
        """The canonical text of this junction."""
        return f" {self.word} ".join(_operand(term) for term in self.terms)

    def matches(self, item: Mapping[str, Any]) -> bool:
        """Whether ``item`` satisfies all terms (``and``) or any (``or``)."""
        return (all if self.word == "and" else any)(term.matches(item) for term in self.terms)

    def expression(self, placeholders: _Placeholders) -> str:
        """This junction as DynamoDB condition syntax."""
        return f" {self.word.upper()} ".join(_operand_expression(term, placeholders) for term in self.terms)


@dataclass(frozen=True)
class Not:
    """The term does not hold."""

    term: Node

    def text(self) -> str:
        """The canonical text of this negation."""
        return "not " + _operand(self.term)

    def matches(self, item: Mapping[str, Any]) -> bool:
        """Whether ``item`` fails the term."""
        return not self.term.matches(item)

    def expression(self, placeholders: _Placeholders) -> str:
        """This negation as DynamoDB condition syntax."""
        expression = self.term.expression(placeholders)
        if isinstance(self.term, Comparison) and self.term.op != "ne":
            return f"NOT {expression}"
        return f"NOT ({expression})"  # DynamoDB does not take "NOT NOT a"


@dataclass(frozen=True)
class Filter:
    """A parsed filter, evaluated in Python by ``matches`` or handed to DynamoDB by ``to_dynamodb``."""

    root: Node

    def __str__(self) -> str:
        return self.root.text()

    def fingerprint(self) -> str:
        """A stable digest of the filter's canonical text, the same however the filter was written."""
        return hashlib.sha256(str(self).encode()).hexdigest()[:32]

    def matches(self, item: Mapping[str, Any]) -> bool:
        """Whether the plain ``item`` passes the filter, as DynamoDB would decide."""
        return self.root.matches(item)

    def to_dynamodb(self) -> DynamoDbFilter:
        """The filter as a FilterExpression; user text only ever appears among the values."""
        placeholders = _Placeholders()
        expression = self.root.expression(placeholders)
        return DynamoDbFilter(expression, placeholders.names, placeholders.values)


def _operand(node: Node) -> str:
    return f"({node.text()})" if isinstance(node, Junction) else node.text()


def _operand_expression(node: Node, placeholders: _Placeholders) -> str:
    # Only where needed: DynamoDB refuses redundant parentheses such as "((a))".
    expression = node.expression(placeholders)
    return f"({expression})" if isinstance(node, Junction) else expression


def _same_type(actual: object, expected: Value) -> bool:
    if isinstance(expected, bool):
        return isinstance(actual, bool)
    if isinstance(expected, int):
        return isinstance(actual, int | float | Decimal) and not isinstance(actual, bool)
    return isinstance(actual, str)


def parse_filter(text: str | None, spec: FilterSpec) -> Filter | None:
    """The filter written in ``text`` over the fields of ``spec``; None if blank, BadFilter if invalid."""
    if text is None:
        return None
    if len(text) > MAX_FILTER_CHARS:
        raise CaError(catalog.BAD_FILTER, f"filter is longer than {MAX_FILTER_CHARS} characters")
    try:
        text.encode()
    except UnicodeEncodeError as exc:
        raise _error("filter is not valid Unicode text", exc.start + 1) from None
    if not text.strip():
        return None
    return Filter(_Parser(_tokenize(text), spec).parse())


@dataclass(frozen=True)
class _Token:
    kind: str  # string, integer, word, paren or end
    text: str
    position: int

    def describe(self) -> str:
        if self.kind == "end":
            return "the end of the filter"
        shown = self.text if len(self.text) <= 24 else self.text[:24] + "..."
        return shown if self.kind == "string" else repr(shown)  # a string token is quoted already


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    offset = 0
    while offset < len(text):
        match = _TOKEN.match(text, offset)
        if match is None:
            if text[offset] == "'":
                raise _error("unterminated string", offset + 1)
            raise _error(f"unexpected character {text[offset]!r}", offset + 1)
        if match.lastgroup != "space":
            tokens.append(_Token(str(match.lastgroup), match.group(), offset + 1))
        offset = match.end()
    tokens.append(_Token("end", "", len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, tokens: list[_Token], spec: FilterSpec) -> None:
        self._tokens = tokens
        self._spec = spec
        self._index = 0
        self._depth = 0

    def parse(self) -> Node:
        node = self._or()
        token = self._tokens[self._index]
        if token.kind != "end":
            raise _error(
                f"expected 'and', 'or' or the end of the filter, found {token.describe()}", token.position
            )
        return node

    def _next(self) -> _Token:
        token = self._tokens[self._index]
        self._index = min(self._index + 1, len(self._tokens) - 1)
        return token

    def _accept(self, word: str) -> bool:
        token = self._tokens[self._index]
        if token.kind in ("word", "paren") and token.text.lower() == word:
            self._next()
            return True
        return False

    def _or(self) -> Node:
        terms = [self._and()]
        while self._accept("or"):
            terms.append(self._and())
        return terms[0] if len(terms) == 1 else Junction("or", tuple(terms))

    def _and(self) -> Node:
        terms = [self._term()]
        while self._accept("and"):
            terms.append(self._term())
        return terms[0] if len(terms) == 1 else Junction("and", tuple(terms))

    def _term(self) -> Node:
        token = self._tokens[self._index]
        node: Node
        if self._accept("not"):
            self._enter(token)
            node = Not(self._term())
        elif self._accept("("):
            self._enter(token)
            node = self._or()
            closing = self._next()
            if closing.text != ")":
                raise _error(
                    f"expected ')' matching the '(' at position {token.position}, found {closing.describe()}",
                    closing.position,
                )
        else:
            return self._comparison()
        self._depth -= 1
        return node

    def _enter(self, token: _Token) -> None:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _error(f"filter nests deeper than {MAX_DEPTH} levels", token.position)

    def _comparison(self) -> Comparison:
        token = self._next()
        if token.kind != "word" or token.text.lower() in _KEYWORDS:
            raise _error(f"expected a field name, found {token.describe()}", token.position)
        field = self._spec.fields.get(token.text)
        if field is None:
            allowed = ", ".join(sorted(self._spec.fields))
            raise _error(f"unknown field {token.describe()} (filterable: {allowed})", token.position)
        op_token = self._next()
        op = op_token.text.lower()
        if op_token.kind != "word" or op not in _OPERATORS[FieldType.STRING]:
            allowed = ", ".join(_OPERATORS[FieldType.STRING])
            raise _error(f"expected an operator ({allowed}), found {op_token.describe()}", op_token.position)
        if op not in _OPERATORS[field.type]:
            allowed = ", ".join(_OPERATORS[field.type])
            raise _error(f"{field.type} field {field.name!r} takes {allowed}, not {op}", op_token.position)
        return Comparison(field, op, _value(field, self._next()))


def _value(field: FilterField, token: _Token) -> Value:
    literal: Value | None = None
    if token.kind == "string":
        literal = token.text[1:-1].replace("''", "'")
    elif token.kind == "integer":
        literal = int(token.text)
    elif token.kind == "word" and token.text.lower() in ("true", "false"):
        literal = token.text.lower() == "true"
    match field.type, literal:
        case FieldType.STRING, str():
            return literal
        case FieldType.ENUM, str() if literal in field.values:
            return literal
        case FieldType.TIMESTAMP, str():
            return _timestamp(literal, token)
        case FieldType.INT, int() if not isinstance(literal, bool):
            if abs(literal) > MAX_INT:
                raise _error(f"integer {token.describe()} is out of range", token.position)
            return literal
        case FieldType.BOOL, bool():
            return literal
    expected = _LITERALS.get(field.type) or "one of " + ", ".join(repr(value) for value in field.values)
    raise _error(f"field {field.name!r} takes {expected}, found {token.describe()}", token.position)


def _timestamp(literal: str, token: _Token) -> str:
    match = _RFC3339.fullmatch(literal)
    if match is None:
        raise _error(f"{token.describe()} is not an RFC 3339 timestamp", token.position)
    fraction = match.group("fraction") or ""
    if fraction.strip(".0"):
        raise _error(
            f"timestamp {token.describe()} has a fraction of a second; compare to the second", token.position
        )
    try:
        normalised = clock.rfc3339(clock.parse_rfc3339(literal.replace(fraction, "", 1)))
    except (ValueError, OverflowError):
        raise _error(f"{token.describe()} is not a valid timestamp", token.position) from None
    if not _SERVICE_TIMESTAMP.fullmatch(normalised):
        raise _error(f"timestamp {token.describe()} is out of range", token.position)
    return normalised


def _error(problem: str, position: int) -> CaError:
    return CaError(catalog.BAD_FILTER, f"{problem} at position {position}")
