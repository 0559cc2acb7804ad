"""Every pattern of the layer matches the whole string: a trailing newline never slips through.

Seen: tenant ``a%0A`` passed the realm-name check, because ``$`` also matches before a trailing newline.
The layer's patterns are written for ``fullmatch`` (no ``^``/``$``), and the models' patterns (pydantic's
Rust engine, where ``$`` is the end of the text) are fed valid values with a newline appended.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from types import ModuleType
from typing import Annotated

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

import astca

TAILS = ["\n", "\r\n"]


def layer_modules() -> list[ModuleType]:
    names = [info.name for info in pkgutil.walk_packages(astca.__path__, "astca.")]
    return [importlib.import_module(name) for name in sorted(names)]


def layer_patterns() -> list[tuple[str, re.Pattern[str]]]:
    found: list[tuple[str, re.Pattern[str]]] = []
    for module in layer_modules():
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern) and value not in [pattern for _, pattern in found]:
                found.append((f"{module.__name__}.{name}", value))
    return found


def model_patterns() -> list[tuple[str, type[BaseModel], str, str]]:
    found: list[tuple[str, type[BaseModel], str, str]] = []
    for module in layer_modules():
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseModel)
                and value.__module__ == module.__name__
            ):
                for field_name, field in value.model_fields.items():
                    for meta in field.metadata:
                        pattern = getattr(meta, "pattern", None)
                        if isinstance(pattern, str):
                            found.append((f"{value.__name__}.{field_name}", value, field_name, pattern))
    return found


PATTERNS = layer_patterns()
MODEL_PATTERNS = model_patterns()


def test_the_layer_has_patterns_to_check() -> None:
    assert len(PATTERNS) >= 10
    assert len(MODEL_PATTERNS) >= 3


@pytest.mark.parametrize(("name", "pattern"), PATTERNS, ids=[name for name, _ in PATTERNS])
def test_layer_patterns_are_written_for_fullmatch(name: str, pattern: re.Pattern[str]) -> None:
    assert not pattern.pattern.startswith("^"), f"{name}: anchor with fullmatch, not ^"
    assert not re.search(r"(?<!\\)\$\)?$", pattern.pattern), f"{name}: $ matches before a trailing newline"


@pytest.mark.parametrize(("name", "pattern"), PATTERNS, ids=[name for name, _ in PATTERNS])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(data=st.data(), tail=st.sampled_from(TAILS))
def test_a_match_with_a_tail_is_no_match(
    name: str, pattern: re.Pattern[str], data: st.DataObject, tail: str
) -> None:
    value = data.draw(st.from_regex(pattern, fullmatch=True))
    if pattern.fullmatch(tail) or pattern.search(tail):
        return  # a pattern that may contain the tail character itself (tokenizers with \s)
    assert pattern.fullmatch(value + tail) is None, name


@pytest.mark.parametrize(
    ("name", "model", "field_name", "pattern"), MODEL_PATTERNS, ids=[entry[0] for entry in MODEL_PATTERNS]
)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(data=st.data(), tail=st.sampled_from(TAILS))
def test_model_patterns_refuse_a_tail(
    name: str, model: type[BaseModel], field_name: str, pattern: str, data: st.DataObject, tail: str
) -> None:
    del name, model, field_name
    value = data.draw(st.from_regex(pattern, fullmatch=True).filter(lambda text: "\n" not in text))
    adapter = TypeAdapter(Annotated[str, Field(pattern=pattern)])  # the models' own regex engine
    try:
        adapter.validate_python(value)
    except ValidationError:
        assume(False)  # Python's and Rust's classes differ (\w and '²'): only values both engines take
    with pytest.raises(ValidationError):
        adapter.validate_python(value + tail)
