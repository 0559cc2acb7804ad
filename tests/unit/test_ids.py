"""ULIDs are 26 Crockford base32 characters, sort by their millisecond, and never repeat."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from astca.ids import is_ulid, new_ulid

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
MAX_MILLIS = 2**48 - 1
millis = st.integers(0, MAX_MILLIS)


def reference_is_ulid(value: str) -> bool:
    """26 Crockford characters whose value fits in 128 bits (so the first is at most 7)."""
    return len(value) == 26 and all(char in CROCKFORD for char in value) and value[0] in "01234567"


def timestamp_of(ulid: str) -> int:
    """The milliseconds in the first 10 characters."""
    value = 0
    for char in ulid[:10]:
        value = value * 32 + CROCKFORD.index(char)
    return value


def test_a_new_ulid_is_26_crockford_characters() -> None:
    ulid = new_ulid()
    assert re.fullmatch(r"[0-7][0-9A-HJKMNP-TV-Z]{25}", ulid)
    assert is_ulid(ulid)


def test_a_new_ulid_carries_the_current_millisecond() -> None:
    before = time.time_ns() // 1_000_000
    ulid = new_ulid()
    after = time.time_ns() // 1_000_000
    assert before <= timestamp_of(ulid) <= after


@given(millis)
def test_the_first_ten_characters_are_the_millisecond(now_ms: int) -> None:
    ulid = new_ulid(now_ms)
    assert is_ulid(ulid)
    assert timestamp_of(ulid) == now_ms


@given(st.tuples(millis, millis).filter(lambda pair: pair[0] != pair[1]).map(sorted))
def test_a_later_millisecond_sorts_after_an_earlier_one(pair: list[int]) -> None:
    earlier, later = pair
    assert new_ulid(earlier) < new_ulid(later)


def test_ulids_made_in_the_same_millisecond_do_not_repeat() -> None:
    assert len({new_ulid(1_764_000_000_000) for _ in range(10_000)}) == 10_000


@pytest.mark.parametrize(
    "value",
    [
        "",
        "01ARZ3NDEKTSV4RRFFQ69G5FA",  # 25 characters
        "01ARZ3NDEKTSV4RRFFQ69G5FAVX",  # 27 characters
        "01arz3ndektsv4rrffq69g5fav",  # lower case
        "01ARZ3NDEKTSV4RRFFQ69G5FAI",  # I, L, O and U are not Crockford digits
        "01ARZ3NDEKTSV4RRFFQ69G5FAL",
        "01ARZ3NDEKTSV4RRFFQ69G5FAO",
        "01ARZ3NDEKTSV4RRFFQ69G5FAU",
        "81ARZ3NDEKTSV4RRFFQ69G5FAV",  # beyond 128 bits
        " 01ARZ3NDEKTSV4RRFFQ69G5FA",
        "01ARZ3NDEKTSV4RRFFQ69G5F٣V",  # a digit, but not an ASCII one
    ],
)
def test_is_ulid_refuses_what_is_not_one(value: str) -> None:
    assert not is_ulid(value)


def test_is_ulid_refuses_a_trailing_newline() -> None:
    assert not is_ulid("01ARZ3NDEKTSV4RRFFQ69G5FAV\n")


_near_ulids = st.builds(
    lambda ulid, index, char: ulid[:index] + char + ulid[index + 1 :],
    millis.map(new_ulid),
    st.integers(0, 26),
    st.characters(),
)


@given(st.text(max_size=30) | _near_ulids)
def test_is_ulid_agrees_with_the_definition(value: str) -> None:
    assert is_ulid(value) == reference_is_ulid(value)


@pytest.mark.parametrize("millis", [-1, 1 << 48])
def test_time_outside_48_bits_is_refused(millis: int) -> None:
    with pytest.raises(ValueError, match="48 bits"):
        new_ulid(millis)
