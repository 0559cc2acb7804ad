"""The filter language's model: field types and specs, the expression tree and its DynamoDB form.

``astca.storage.filters`` parses text into these; its docstring describes the language and its semantics.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, NamedTuple

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
OPERATORS: dict[FieldType, tuple[str, ...]] = {
    FieldType.STRING: (*_ORDERED, "begins_with"),
    FieldType.INT: _ORDERED,
    FieldType.BOOL: ("eq", "ne"),
    FieldType.TIMESTAMP: _ORDERED,
    FieldType.ENUM: ("eq", "ne"),
}
KEYWORDS = frozenset({"and", "or", "not", "true", "false", *OPERATORS[FieldType.STRING]})
_DYNAMODBOPERATORS = {"eq": "=", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class FilterField:
    """A field callers may filter on: its name, type, enum values and the item attribute it reads."""

    name: str
    type: FieldType
    values: tuple[str, ...] = ()
    attribute: str = ""

    def __post_init__(self) -> None:
        if not _IDENTIFIER.fullmatch(self.name) or self.name.lower() in KEYWORDS:
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

    def expression(self, placeholders: _Placeholders) -> str:
        """This comparison as DynamoDB condition syntax, with placeholders for the name and the value."""
        name, value = placeholders.name(self.field.item_attribute), placeholders.value(self.value)
        if self.op == "begins_with":
            return f"begins_with({name}, {value})"
        if self.op == "ne":
            return f"NOT ({name} = {value})"
        return f"{name} {_DYNAMODBOPERATORS[self.op]} {value}"


@dataclass(frozen=True)
class Junction:
    """Two or more terms joined by ``and`` (all hold) or ``or`` (at least one holds)."""

    word: Literal["and", "or"]
    terms: tuple[Node, ...]

    def text(self) -> str:
        """The canonical text of this junction."""
        return f" {self.word} ".join(_operand(term) for term in self.terms)

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

    def expression(self, placeholders: _Placeholders) -> str:
        """This negation as DynamoDB condition syntax."""
        expression = self.term.expression(placeholders)
        if isinstance(self.term, Comparison) and self.term.op != "ne":
            return f"NOT {expression}"
        return f"NOT ({expression})"  # DynamoDB does not take "NOT NOT a"


@dataclass(frozen=True)
class Filter:
    """A parsed filter, handed to DynamoDB by ``to_dynamodb``."""

    root: Node

    def __str__(self) -> str:
        return self.root.text()

    def fingerprint(self) -> str:
        """A stable digest of the filter's canonical text, the same however the filter was written."""
        return hashlib.sha256(str(self).encode()).hexdigest()[:32]

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
