"""The filter language parses what it documents, refuses the rest as BadFilter, and evaluates as designed."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from astca.domain.errors import Invalid
from astca.storage.filters import (
    FILTER,
    MAX_DEPTH,
    MAX_FILTER_CHARS,
    FieldType,
    Filter,
    FilterField,
    FilterSpec,
    parse_filter,
)
from tests.unit.storage.filter_evaluation import matches
from tests.unit.storage.filter_strategies import SPEC, Tree, depth, items, reference, render, trees


def parse(text: str) -> Filter:
    """A filter that must parse."""
    parsed = parse_filter(text, SPEC)
    assert parsed is not None
    return parsed


def bad_filter(text: str) -> str:
    """The detail of the BadFilter that ``text`` must raise."""
    with pytest.raises(Invalid) as raised:
        parse_filter(text, SPEC)
    assert raised.value.subject == FILTER
    return raised.value.detail


def well_formed(tree: Tree) -> bool:
    """Whether the canonical text of ``tree`` is within the parser's limits."""
    return depth(tree) <= MAX_DEPTH and len(render(tree)) <= MAX_FILTER_CHARS


# -------------------------------------------------------------------------------------------- parsing


def test_the_issue_example_becomes_a_filter_expression_of_placeholders() -> None:
    parsed = parse("state eq 'ISSUED' and createdAt gt '2026-01-01T00:00:00Z'")
    assert parsed.to_dynamodb() == (
        "#f0 = :v0 AND #f1 > :v1",
        {"#f0": "state", "#f1": "createdAt"},
        {":v0": "ISSUED", ":v1": "2026-01-01T00:00:00Z"},
    )


def test_every_operator_has_its_dynamodb_form() -> None:
    expression, names, values = parse(
        "name eq 'a' or name ne 'b' or name gt 'c' or name ge 'd' or name lt 'e' or name le 'f'"
        " or name begins_with 'g'"
    ).to_dynamodb()
    assert expression == (
        "#f0 = :v0 OR NOT (#f0 = :v1) OR #f0 > :v2 OR #f0 >= :v3 OR #f0 < :v4 OR #f0 <= :v5"
        " OR begins_with(#f0, :v6)"
    )
    assert names == {"#f0": "name"}
    assert list(values.values()) == ["a", "b", "c", "d", "e", "f", "g"]


def test_and_binds_tighter_than_or() -> None:
    parsed = parse("state eq 'ISSUED' or active eq true and count gt 1")
    assert str(parsed) == "state eq 'ISSUED' or (active eq true and count gt 1)"
    assert matches(parsed, {"state": "ISSUED", "active": False})
    assert not matches(parsed, {"state": "PENDING", "active": True, "issuedCount": 0})


def test_parentheses_and_not_group() -> None:
    parsed = parse("not (state eq 'ISSUED' or state eq 'PENDING') and not active eq true")
    assert parsed.to_dynamodb().expression == "NOT (#f0 = :v0 OR #f0 = :v1) AND NOT #f1 = :v2"
    assert matches(parsed, {"state": "REVOKED", "active": False})
    assert not matches(parsed, {"state": "ISSUED", "active": False})


def test_the_expression_keeps_the_grouping_with_no_redundant_parentheses() -> None:
    parsed = parse("(state eq 'ISSUED' or active eq true) and not (count gt 1) and not not name ne 'a'")
    assert str(parsed) == "(state eq 'ISSUED' or active eq true) and not count gt 1 and not not name ne 'a'"
    assert parsed.to_dynamodb().expression == (
        "(#f0 = :v0 OR #f1 = :v1) AND NOT #f2 > :v2 AND NOT (NOT (NOT (#f3 = :v3)))"
    )


def test_keywords_ignore_case_and_field_names_do_not() -> None:
    assert (
        str(parse("NOT state EQ 'ISSUED' AnD active Ne TRUE")) == "not state eq 'ISSUED' and active ne true"
    )
    assert "unknown field 'State'" in bad_filter("State eq 'ISSUED'")


def test_a_doubled_quote_is_a_quote_in_a_string() -> None:
    parsed = parse("name eq 'it''s'")
    assert parsed.to_dynamodb().values == {":v0": "it's"}
    assert str(parsed) == "name eq 'it''s'"


def test_a_field_reads_its_stored_attribute() -> None:
    assert parse("count ge -2").to_dynamodb() == ("#f0 >= :v0", {"#f0": "issuedCount"}, {":v0": -2})


def test_timestamps_are_compared_as_instants_in_the_stored_form() -> None:
    parsed = parse("createdAt ge '2026-01-01T01:30:00+01:30' and createdAt lt '2026-01-01t05:00:00.000z'")
    assert parsed.to_dynamodb().values == {":v0": "2026-01-01T00:00:00Z", ":v1": "2026-01-01T05:00:00Z"}
    assert (
        parsed.fingerprint()
        == parse("createdAt ge '2026-01-01T00:00:00Z' and createdAt lt '2026-01-01T05:00:00Z'").fingerprint()
    )


def test_the_fingerprint_tells_filters_apart() -> None:
    assert parse("count gt 1").fingerprint() != parse("count gt 2").fingerprint()
    assert parse("count gt 1").fingerprint() != parse("count ge 1").fingerprint()
    assert re.fullmatch(r"[0-9a-f]{32}", parse("count gt 1").fingerprint())


@pytest.mark.parametrize("text", [None, "", "   ", "\t\n"])
def test_no_filter_is_none(text: str | None) -> None:
    assert parse_filter(text, SPEC) is None


# -------------------------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        (
            "owner eq 'x'",
            "unknown field 'owner' (filterable: active, count, createdAt, name, state) at position 1",
        ),
        (
            "state eq 'DELETED'",
            "field 'state' takes one of 'PENDING', 'ISSUED', 'REVOKED', found 'DELETED' at position 10",
        ),
        ("state gt 'ISSUED'", "enum field 'state' takes eq, ne, not gt at position 7"),
        ("active lt true", "bool field 'active' takes eq, ne, not lt at position 8"),
        (
            "count begins_with 1",
            "int field 'count' takes eq, ne, gt, ge, lt, le, not begins_with at position 7",
        ),
        ("count eq '1'", "field 'count' takes an integer, found '1' at position 10"),
        ("count eq 1.5", "unexpected character '.' at position 11"),
        ("count eq 9223372036854775808", "integer '9223372036854775808' is out of range at position 10"),
        ("active eq 'true'", "field 'active' takes true or false, found 'true' at position 11"),
        ("name eq 7", "field 'name' takes a quoted string, found '7' at position 9"),
        ("name eq other", "field 'name' takes a quoted string, found 'other' at position 9"),
        ("createdAt gt 5", "field 'createdAt' takes a quoted RFC 3339 timestamp, found '5' at position 14"),
        ("createdAt gt '2026-01-01'", "'2026-01-01' is not an RFC 3339 timestamp at position 14"),
        ("createdAt gt '2026-01-01T00:00:00'", "is not an RFC 3339 timestamp at position 14"),
        ("createdAt gt '20260101T000000Z'", "is not an RFC 3339 timestamp at position 14"),
        (
            "createdAt gt '2026-02-30T00:00:00Z'",
            "'2026-02-30T00:00:00Z' is not a valid timestamp at position 14",
        ),
        (
            "createdAt gt '2026-01-01T00:00:00.5Z'",
            "has a fraction of a second; compare to the second at position 14",
        ),
        ("createdAt gt '0001-01-01T00:00:00+01:00'", "is not a valid timestamp at position 14"),
        ("createdAt gt '0999-12-31T23:00:00Z'", "is out of range at position 14"),
        ("state eq 'ISSUED' and", "expected a field name, found the end of the filter at position 22"),
        (
            "state eq",
            "field 'state' takes one of 'PENDING', 'ISSUED', 'REVOKED', found the end of the filter at position 9",
        ),
        (
            "state",
            "expected an operator (eq, ne, gt, ge, lt, le, begins_with), found the end of the filter at position 6",
        ),
        (
            "state is 'ISSUED'",
            "expected an operator (eq, ne, gt, ge, lt, le, begins_with), found 'is' at position 7",
        ),
        (
            "(state eq 'ISSUED'",
            "expected ')' matching the '(' at position 1, found the end of the filter at position 19",
        ),
        ("state eq 'ISSUED')", "expected 'and', 'or' or the end of the filter, found ')' at position 18"),
        (
            "state eq 'ISSUED' active eq true",
            "expected 'and', 'or' or the end of the filter, found 'active' at position 19",
        ),
        ("and eq 1", "expected a field name, found 'and' at position 1"),
        ("()", "expected a field name, found ')' at position 2"),
        ("name eq 'it's'", "unterminated string at position 14"),
        ('name eq "x"', "unexpected character '\"' at position 9"),
        ("name eq 'x' && count eq 1", "unexpected character '&' at position 13"),
        ("name eq 'a\ud800'", "filter is not valid Unicode text at position 11"),
        ("not " * 9 + "count eq 1", f"filter nests deeper than {MAX_DEPTH} levels at position 33"),
        ("(" * 9 + "count eq 1" + ")" * 9, f"filter nests deeper than {MAX_DEPTH} levels at position 9"),
        ("count eq 1 or " * 40, f"filter is longer than {MAX_FILTER_CHARS} characters"),
    ],
)
def test_what_the_language_does_not_say_is_bad_filter_naming_problem_and_place(
    text: str, detail: str
) -> None:
    assert detail in bad_filter(text)


def test_a_long_literal_is_shortened_in_the_detail() -> None:
    assert "found 'aaaaaaaaaaaaaaaaaaaaaaa... at position" in bad_filter("count eq '" + "a" * 300 + "'")


def test_eight_levels_are_allowed() -> None:
    assert matches(parse("not " * 4 + "(" * 4 + "count eq 1" + ")" * 4), {"issuedCount": 1})


@given(st.text(max_size=MAX_FILTER_CHARS + 8))
def test_any_text_is_a_filter_nothing_or_bad_filter(text: str) -> None:
    try:
        parse_filter(text, SPEC)
    except Invalid as error:
        assert error.subject == FILTER


_words = st.sampled_from(
    [
        "state",
        "name",
        "count",
        "active",
        "createdAt",
        "owner",
        "eq",
        "NE",
        "gt",
        "begins_with",
        "and",
        "OR",
        "not",
        "true",
        "FALSE",
        "(",
        ")",
        "'ISSUED'",
        "'x''y'",
        "'",
        "''",
        "-",
        "-1",
        "42",
        "99999999999999999999",
        "1.5",
        "'2026-01-01T00:00:00Z'",
        "'2026-01-01T00:00:00.1+01:00'",
        "'9999-12-31T23:59:59-01:00'",
        "@",
        "\u00a0",
    ]
)


@given(st.lists(_words, max_size=24).map(" ".join))
def test_near_misses_are_a_filter_or_bad_filter(text: str) -> None:
    try:
        parse_filter(text, SPEC)
    except Invalid as error:
        assert error.subject == FILTER


# -------------------------------------------------------------------------------------------- evaluation


@pytest.mark.parametrize(
    ("text", "item", "expected"),
    [
        ("name eq 'a'", {}, False),
        ("name ne 'a'", {}, True),
        ("name gt ''", {}, False),
        ("not name gt ''", {}, True),
        ("name begins_with ''", {"name": ""}, True),
        ("name begins_with 'ab'", {"name": "a"}, False),
        ("name lt 'b'", {"name": 1}, False),
        ("name ne 'b'", {"name": 1}, True),
        ("name gt 'a'", {"name": "é"}, True),
        ("count eq 1", {"issuedCount": True}, False),
        ("count ne 1", {"issuedCount": True}, True),
        ("count eq 1", {"issuedCount": Decimal(1)}, True),
        ("count lt 3", {"issuedCount": 2.5}, True),
        ("count lt 3", {"issuedCount": "2"}, False),
        ("count eq 1", {"count": 1}, False),
        ("active eq true", {"active": 1}, False),
        ("active ne false", {"active": 0}, True),
        ("state eq 'ISSUED'", {"state": None}, False),
        ("createdAt gt '2026-01-01T00:00:00+01:00'", {"createdAt": "2025-12-31T23:30:00Z"}, True),
    ],
)
def test_a_missing_or_mistyped_attribute_fails_every_comparison_but_ne(
    text: str, item: dict[str, Any], expected: bool
) -> None:
    assert matches(parse(text), item) is expected


@given(tree=trees, style=st.tuples(st.booleans(), st.sampled_from([" ", "  ", "\t", "\n "])))
def test_a_generated_filter_round_trips_through_its_text(tree: Tree, style: tuple[bool, str]) -> None:
    assume(well_formed(tree))
    upper, space = style
    parsed = parse(render(tree, upper=upper, space=space, canonical=False))
    assert str(parsed) == render(tree)
    assert parse(str(parsed)) == parsed
    assert parse(render(tree)).fingerprint() == parsed.fingerprint()


@given(tree=trees, item=items(mistyped=True))
def test_matches_agrees_with_the_reference(tree: Tree, item: dict[str, Any]) -> None:
    assume(well_formed(tree))
    assert matches(parse(render(tree, canonical=False)), item) is reference(tree, item)


_EXPRESSION_TOKEN = r"#f[0-9]+|:v[0-9]+|AND|OR|NOT|begins_with|<=|>=|[()=<>,]| "


@given(tree=trees)
def test_the_expression_holds_placeholders_and_never_user_text(tree: Tree) -> None:
    assume(well_formed(tree))
    expression, names, values = parse(render(tree)).to_dynamodb()
    assert re.fullmatch(f"(?:{_EXPRESSION_TOKEN})+", expression)
    assert set(re.findall(r"#f[0-9]+", expression)) == set(names)
    assert set(re.findall(r":v[0-9]+", expression)) == set(values)
    assert len(set(names.values())) == len(names)


# -------------------------------------------------------------------------------------------- spec


@pytest.mark.parametrize(
    ("field", "problem"),
    [
        (lambda: FilterField("and", FieldType.STRING), "cannot name a filter field"),
        (lambda: FilterField("created-at", FieldType.TIMESTAMP), "cannot name a filter field"),
        (lambda: FilterField("state", FieldType.ENUM), "an enum needs values"),
        (lambda: FilterField("name", FieldType.STRING, values=("a",)), "only an enum has them"),
    ],
)
def test_a_field_that_could_not_be_filtered_on_is_a_programming_error(field: Any, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        field()


def test_a_spec_names_each_field_once() -> None:
    with pytest.raises(ValueError, match="unique"):
        FilterSpec(FilterField("name", FieldType.STRING), FilterField("name", FieldType.INT))
