"""A parsed filter evaluated in Python, as DynamoDB decides: the filter tests' reading of the semantics.

The layer only ever hands a filter to DynamoDB (``Filter.to_dynamodb``); this evaluator is what the
tests hold DynamoDB (moto) and the tree-based reference (``filter_strategies.reference``) against. A
comparison with a missing attribute, or with one of another type, is false, and ``ne`` is ``not eq``
(so true for those); strings compare by code point; numbers may be stored as Decimal.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from astca.storage.filters import Comparison, Filter, Junction, Not

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
    "begins_with": str.startswith,
}


def matches(parsed: Filter | Comparison | Junction | Not, item: Mapping[str, Any]) -> bool:
    """Whether the plain ``item`` passes ``parsed`` (a filter or one of its nodes)."""
    match parsed:
        case Filter():
            return matches(parsed.root, item)
        case Not():
            return not matches(parsed.term, item)
        case Junction():
            return (all if parsed.word == "and" else any)(matches(term, item) for term in parsed.terms)
        case Comparison(op="ne"):
            return not matches(Comparison(parsed.field, "eq", parsed.value), item)
    actual = item.get(parsed.field.item_attribute)
    return _same_type(actual, parsed.value) and _COMPARE[parsed.op](actual, parsed.value)


def _same_type(actual: object, expected: object) -> bool:
    if isinstance(expected, bool):
        return isinstance(actual, bool)
    if isinstance(expected, int):
        return isinstance(actual, int | float | Decimal) and not isinstance(actual, bool)
    return isinstance(actual, str)
