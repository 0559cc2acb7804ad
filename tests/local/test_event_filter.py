"""local.event_filter applies FilterCriteria patterns as Lambda does."""

from __future__ import annotations

from typing import Any

import pytest

from local.event_filter import accepts, matches, sqs_view
from local.events import attribute_values, sqs_record, stream_record
from local.template import Template

(OUTBOX_SOURCE,) = Template.load().functions["RelayOutboxFunction"].stream_sources
ARN = "arn:aws:dynamodb:eu-central-1:123456789012:table/astca-Table/stream/1"


def record(event_name: str, pk: str) -> dict[str, Any]:
    return stream_record(event_name, keys=attribute_values({"PK": pk, "SK": "X"}), stream_arn=ARN)


@pytest.mark.parametrize(
    ("event_name", "pk", "passes"),
    [
        ("INSERT", "OUTBOX#01J", True),
        ("MODIFY", "OUTBOX#01J", False),
        ("REMOVE", "OUTBOX#01J", False),
        ("INSERT", "TENANT#acme", False),
        ("INSERT", "outbox#01J", False),
    ],
)
def test_the_relay_sees_only_outbox_inserts(event_name: str, pk: str, passes: bool) -> None:
    assert accepts(OUTBOX_SOURCE.filters, record(event_name, pk)) is passes


@pytest.mark.parametrize(
    ("pattern", "event", "expected"),
    [
        ({"a": ["x", "y"]}, {"a": "y"}, True),
        ({"a": ["x"]}, {"a": ["z", "x"]}, True),
        ({"a": [1]}, {"a": 1.0}, True),
        ({"a": ["1"]}, {"a": 1}, False),
        ({"a": [True]}, {"a": 1}, False),
        ({"a": [None]}, {"a": None}, True),
        ({"a": [{"suffix": ".pem"}]}, {"a": "ca.pem"}, True),
        ({"a": [{"equals-ignore-case": "ok"}]}, {"a": "OK"}, True),
        ({"a": [{"anything-but": ["x", "y"]}]}, {"a": "z"}, True),
        ({"a": [{"anything-but": "x"}]}, {"a": "x"}, False),
        ({"a": [{"anything-but": {"prefix": "x"}}]}, {"a": "xy"}, False),
        ({"a": [{"numeric": [">", 0, "<=", 5]}]}, {"a": 5}, True),
        ({"a": [{"numeric": [">", 0, "<=", 5]}]}, {"a": 6}, False),
        ({"a": [{"exists": True}]}, {"a": 0}, True),
        ({"a": [{"exists": False}]}, {"b": 0}, True),
        ({"a": [{"exists": False}]}, {"a": 0}, False),
        ({"a": ["x"]}, {"b": "x"}, False),
        ({"a": {"b": ["x"]}}, {"a": {"b": "x"}}, True),
        ({"a": {"b": ["x"]}}, {"a": "x"}, False),
        ({"a": ["x"], "b": ["y"]}, {"a": "x", "b": "n"}, False),
    ],
)
def test_patterns(pattern: dict[str, Any], event: dict[str, Any], expected: bool) -> None:
    assert matches(pattern, event) is expected


def test_filters_are_alternatives_and_none_means_everything() -> None:
    filters = [{"a": ["x"]}, {"a": ["y"]}]

    assert accepts(filters, {"a": "y"})
    assert not accepts(filters, {"a": "z"})
    assert accepts([], {"a": "z"})


def test_an_sqs_body_is_matched_as_json_when_it_is_json() -> None:
    queue = "arn:aws:sqs:eu-central-1:123456789012:q"
    pattern = {"body": {"routingKey": [{"prefix": "certificate."}]}}

    json_body = sqs_view(sqs_record('{"routingKey": "certificate.requested"}', queue_arn=queue))
    text_body = sqs_view(sqs_record("certificate.requested", queue_arn=queue))

    assert matches(pattern, json_body)
    assert not matches(pattern, text_body)
