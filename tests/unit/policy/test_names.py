"""The one rule for identity text a certificate may name (policy.names)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from astca.domain.names import is_subject_text, subject_text_problem

REFUSED = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")


@given(text=st.text(max_size=80))
def test_subject_text_is_1_to_64_utf8_bytes_of_visible_characters(text: str) -> None:
    refused = any(unicodedata.category(char) in REFUSED for char in text)
    expected = bool(text) and not refused and len(text.encode("utf-8", "surrogatepass")) <= 64

    assert is_subject_text(text) is expected


def test_the_subject_bound_counts_utf8_bytes() -> None:
    assert is_subject_text("n" * 64)
    assert is_subject_text("ü" * 32)
    assert not is_subject_text("ü" * 33)
    assert not is_subject_text("n" * 65)


@pytest.mark.parametrize(
    "char",
    [
        "\n",
        "\x00",
        "\x1b",
        "\x85",  # NEL
        "\u2028",  # line separator
        "\u2029",  # paragraph separator
        "\u200b",  # zero-width space
        "\u202a",
        "\u202b",
        "\u202c",
        "\u202d",
        "\u202e",  # right-to-left override
        "\u2066",
        "\u2067",
        "\u2068",
        "\u2069",
        "\ud800",  # a lone surrogate, as JSON can carry it
        "\ue000",  # private use
    ],
)
def test_characters_that_can_fool_a_relying_party_are_refused(char: str) -> None:
    problem = subject_text_problem(f"device{char}1")

    assert problem is not None
    assert f"U+{ord(char):04X}" in problem


@pytest.mark.parametrize("value", [None, 5, "", ["a"], {"a": 1}])
def test_only_non_empty_strings_can_be_named(value: object) -> None:
    assert subject_text_problem(value) == "must be a non-empty string"
