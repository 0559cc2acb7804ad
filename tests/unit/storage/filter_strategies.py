"""Generated filters, written out as text, with a reference evaluation independent of the parser.

A tree is ``("cmp", field, op, value)``, ``("and" | "or", [tree, ...])`` or ``("not", tree)``. Timestamps
are aware datetimes, written with random offsets; the reference compares them in the stored form.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from astca.clock import rfc3339
from astca.storage.filters import MAX_INT, FieldType, FilterField, FilterSpec

SPEC = FilterSpec(
    FilterField("state", FieldType.ENUM, values=("PENDING", "ISSUED", "REVOKED")),
    FilterField("name", FieldType.STRING),
    FilterField("count", FieldType.INT, attribute="issuedCount"),
    FilterField("active", FieldType.BOOL),
    FilterField("createdAt", FieldType.TIMESTAMP),
)
ATTRIBUTES = {
    "state": "state",
    "name": "name",
    "count": "issuedCount",
    "active": "active",
    "createdAt": "createdAt",
}
ORDERED = ["eq", "ne", "gt", "ge", "lt", "le"]
OPERATORS = {
    "state": ["eq", "ne"],
    "name": [*ORDERED, "begins_with"],
    "count": ORDERED,
    "active": ["eq", "ne"],
    "createdAt": ORDERED,
}

Tree = tuple[Any, ...]

# Few distinct values, so that comparisons often tie and prefixes often match.
_names = st.text(alphabet="ab' é😀", max_size=3)
_counts = st.integers(-3, 3) | st.sampled_from([-MAX_INT, MAX_INT])
_instants = st.integers(0, 4).map(lambda hours: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=hours))
_offsets = st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(-timedelta(hours=5, minutes=30))])
_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "state": st.sampled_from(["PENDING", "ISSUED", "REVOKED"]),
    "name": _names,
    "count": _counts,
    "active": st.booleans(),
    "createdAt": st.builds(lambda instant, offset: instant.astimezone(offset), _instants, _offsets),
}


@st.composite
def comparisons(draw: st.DrawFn) -> Tree:
    """One ``field op value`` over SPEC."""
    field = draw(st.sampled_from(sorted(OPERATORS)))
    return ("cmp", field, draw(st.sampled_from(OPERATORS[field])), draw(_VALUES[field]))


trees: st.SearchStrategy[Tree] = st.recursive(
    comparisons(),
    lambda inner: (
        st.tuples(st.sampled_from(["and", "or"]), st.lists(inner, min_size=2, max_size=3))
        | st.tuples(st.just("not"), inner)
    ),
    max_leaves=6,
)


def render(tree: Tree, *, canonical: bool = True, upper: bool = False, space: str = " ") -> str:
    """The text of ``tree``: canonical, or as a caller might write it (offsets, upper case, odd spacing)."""

    def keyword(word: str) -> str:
        return word.upper() if upper else word

    def operand(node: Tree) -> str:
        text = render(node, canonical=canonical, upper=upper, space=space)
        return f"({text})" if node[0] in ("and", "or") else text

    kind = tree[0]
    if kind == "not":
        return keyword("not") + space + operand(tree[1])
    if kind in ("and", "or"):
        return f"{space}{keyword(kind)}{space}".join(operand(node) for node in tree[1])
    _, field, op, value = tree
    return space.join([str(field), keyword(op), _literal(value, canonical=canonical, upper=upper)])


def _literal(value: Any, *, canonical: bool, upper: bool) -> str:
    if isinstance(value, bool):
        return str(value).upper() if upper else str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return "'" + (rfc3339(value) if canonical else value.isoformat()) + "'"
    return "'" + str(value).replace("'", "''") + "'"


def depth(tree: Tree) -> int:
    """How deeply the canonical text of ``tree`` nests parentheses and ``not``."""
    kind = tree[0]
    if kind == "not":
        return 1 + depth(tree[1]) + (1 if tree[1][0] in ("and", "or") else 0)
    if kind in ("and", "or"):
        return max(depth(node) + (1 if node[0] in ("and", "or") else 0) for node in tree[1])
    return 0


def reference(tree: Tree, item: dict[str, Any]) -> bool:
    """What ``tree`` says about ``item``: a comparison with a missing or mistyped attribute is false but for ne."""
    kind = tree[0]
    if kind == "not":
        return not reference(tree[1], item)
    if kind == "and":
        return all(reference(node, item) for node in tree[1])
    if kind == "or":
        return any(reference(node, item) for node in tree[1])
    _, field, op, value = tree
    expected: Any = rfc3339(value) if isinstance(value, datetime) else value
    actual: Any = item.get(ATTRIBUTES[field])
    if isinstance(expected, bool):
        comparable = type(actual) is bool
    elif isinstance(expected, int):
        comparable = type(actual) in (int, float, Decimal)
    else:
        comparable = type(actual) is str
    if op == "ne":
        return not comparable or actual != expected
    if not comparable:
        return False
    match op:
        case "eq":
            return bool(actual == expected)
        case "gt":
            return bool(actual > expected)
        case "ge":
            return bool(actual >= expected)
        case "lt":
            return bool(actual < expected)
        case "le":
            return bool(actual <= expected)
    return bool(actual.startswith(expected))


def items(*, mistyped: bool) -> st.SearchStrategy[dict[str, Any]]:
    """Items that may lack any field; with ``mistyped``, fields may also hold a value of another type."""
    stored = {
        "state": _VALUES["state"],
        "name": _names,
        "count": _counts,
        "active": st.booleans(),
        "createdAt": _instants.map(rfc3339),
    }
    if mistyped:
        wrong = st.sampled_from(
            [7, 1, 0, 2.5, Decimal(1), True, False, "1", "", None, "2026-01-01T01:00:00Z"]
        )
        stored = {field: values | wrong for field, values in stored.items()}
    return st.fixed_dictionaries({}, optional={ATTRIBUTES[field]: values for field, values in stored.items()})
