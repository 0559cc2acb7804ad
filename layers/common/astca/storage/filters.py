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
refused rather than silently rounded. Semantics, DynamoDB's (the tests hold it to these words with an
evaluator of their own): a comparison with a missing attribute, or with one of another type, is false,
and ``ne`` is ``not eq`` (so true for those). Strings compare by code point, which is UTF-8 byte order,
DynamoDB's order.

A filter is at most 512 characters and nests parentheses and ``not`` at most 8 deep. It becomes a
FilterExpression of placeholders (``#f0``, ``:v0``), so no caller text is ever part of the expression;
``Filter.fingerprint()`` digests its canonical text, for the scope of a pagination cursor.

DynamoDB filters after ``Limit``, so a filtered page may hold fewer items than asked for, even none,
and still have a next page. Whatever the parser refuses is 5104004 BadFilter, naming the problem and
its 1-based position in the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from astca import clock
from astca.domain.errors import Invalid
from astca.storage.filter_tree import (
    KEYWORDS,
    OPERATORS,
    Comparison,
    DynamoDbFilter,
    FieldType,
    Filter,
    FilterField,
    FilterSpec,
    Junction,
    Node,
    Not,
    Value,
)

__all__ = [
    "MAX_DEPTH",
    "MAX_FILTER_CHARS",
    "MAX_INT",
    "Comparison",
    "DynamoDbFilter",
    "FieldType",
    "Filter",
    "FilterField",
    "FilterSpec",
    "Junction",
    "Not",
    "parse_filter",
]

FILTER = "filter"  # the subject of every Invalid this module raises

MAX_FILTER_CHARS = 512
MAX_DEPTH = 8
MAX_INT = 2**63 - 1

_LITERALS = {
    FieldType.STRING: "a quoted string",
    FieldType.INT: "an integer",
    FieldType.BOOL: "true or false",
    FieldType.TIMESTAMP: "a quoted RFC 3339 timestamp",
}
_TOKEN = re.compile(
    r"(?P<space>\s+)|(?P<string>'(?:[^']|'')*')|(?P<integer>-?[0-9]+)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<paren>[()])"
)
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}"
    r"(?P<fraction>\.[0-9]+)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})"
)
_SERVICE_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


def parse_filter(text: str | None, spec: FilterSpec) -> Filter | None:
    """The filter written in ``text`` over the fields of ``spec``; None if blank, ``Invalid`` "filter" if invalid."""
    if text is None:
        return None
    if len(text) > MAX_FILTER_CHARS:
        raise Invalid(FILTER, f"filter is longer than {MAX_FILTER_CHARS} characters")
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
        if token.kind != "word" or token.text.lower() in KEYWORDS:
            raise _error(f"expected a field name, found {token.describe()}", token.position)
        field = self._spec.fields.get(token.text)
        if field is None:
            allowed = ", ".join(sorted(self._spec.fields))
            raise _error(f"unknown field {token.describe()} (filterable: {allowed})", token.position)
        op_token = self._next()
        op = op_token.text.lower()
        if op_token.kind != "word" or op not in OPERATORS[FieldType.STRING]:
            allowed = ", ".join(OPERATORS[FieldType.STRING])
            raise _error(f"expected an operator ({allowed}), found {op_token.describe()}", op_token.position)
        if op not in OPERATORS[field.type]:
            allowed = ", ".join(OPERATORS[field.type])
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


def _error(problem: str, position: int) -> Invalid:
    return Invalid(FILTER, f"{problem} at position {position}")
