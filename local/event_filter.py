"""Lambda's event filtering (FilterCriteria), the part of the pattern language event sources use.

A record passes when any of the filters matches it. In a pattern, every key must match: a nested
object is matched key by key, and a list holds alternatives, each an exact value (string, number,
boolean, null) or one of ``prefix``, ``suffix``, ``equals-ignore-case``, ``anything-but``,
``numeric`` and ``exists``. Where the record holds a list, one element matching is enough. An SQS
record's body is matched as JSON when it is JSON, as Lambda does.
"""

from __future__ import annotations

import contextlib
import json
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

_MISSING = object()
_NUMERIC: dict[str, Callable[[float, float], bool]] = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def accepts(filters: Sequence[Mapping[str, Any]], record: Mapping[str, Any]) -> bool:
    """Whether ``record`` passes the filters (no filters: every record passes)."""
    return not filters or any(matches(pattern, record) for pattern in filters)


def sqs_view(record: Mapping[str, Any]) -> dict[str, Any]:
    """An SQS event record as the filters see it: the body parsed when it is JSON."""
    view = dict(record)
    with contextlib.suppress(ValueError):
        view["body"] = json.loads(record.get("body", ""))
    return view


def matches(pattern: Mapping[str, Any], event: Any) -> bool:
    """Whether ``event`` matches one pattern."""
    if not isinstance(event, Mapping):
        return False
    for key, expected in pattern.items():
        value = event.get(key, _MISSING)
        if isinstance(expected, Mapping):
            if not matches(expected, value):
                return False
        elif not any(_rule(rule, value) for rule in expected):
            return False
    return True


def _rule(rule: Any, value: Any) -> bool:
    if isinstance(rule, Mapping) and rule.get("exists") is not None:
        return (value is not _MISSING) == bool(rule["exists"])
    if value is _MISSING:
        return False
    values = value if isinstance(value, list) else [value]
    return any(_one(rule, item) for item in values)


def _one(rule: Any, value: Any) -> bool:  # noqa: PLR0911 - one return per operator
    if not isinstance(rule, Mapping):
        return _equal(rule, value)
    ((name, argument),) = rule.items()
    if name == "prefix":
        return isinstance(value, str) and value.startswith(str(argument))
    if name == "suffix":
        return isinstance(value, str) and value.endswith(str(argument))
    if name == "equals-ignore-case":
        return isinstance(value, str) and value.casefold() == str(argument).casefold()
    if name == "anything-but":
        excluded = argument if isinstance(argument, list) else [argument]
        return not any(
            _one(rule, value) if isinstance(rule, Mapping) else _equal(rule, value) for rule in excluded
        )
    if name == "numeric":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        pairs = zip(argument[::2], argument[1::2], strict=True)
        return all(_NUMERIC[op](float(value), float(bound)) for op, bound in pairs)
    raise ValueError(f"filter operator {name!r} is not supported locally")


def _equal(expected: Any, value: Any) -> bool:
    if isinstance(expected, bool) or isinstance(value, bool):
        return expected is value
    if isinstance(expected, int | float) and isinstance(value, int | float):
        return float(expected) == float(value)
    return type(expected) is type(value) and expected == value
