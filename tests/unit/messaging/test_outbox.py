"""Outbox items carry their event, and only known routing keys can be written."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from astca.domain.events import ROUTES
from astca.messaging.relay import envelope_of
from astca.storage.dynamo import Table, deserialize
from astca.storage.outbox import OutboxWriter, outbox_item

NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@given(
    payload=st.dictionaries(st.text(max_size=10), json_values, max_size=5),
    key=st.sampled_from(sorted(ROUTES)),
)
def test_an_outbox_item_round_trips_to_its_envelope(payload: dict[str, Any], key: str) -> None:
    envelope = envelope_of(outbox_item(key, payload, now=NOW))
    assert envelope.routing_key == key
    assert envelope.payload == payload
    assert envelope.occurred_at == "2026-11-25T12:00:00Z"


def test_the_writer_gives_a_transaction_put_that_expires() -> None:
    op = OutboxWriter(Table("astca-table")).op("certificate.requested", {"id": "c1"}, now=NOW)
    put = op["Put"]
    item = deserialize(put["Item"])
    assert put["TableName"] == "astca-table"
    assert item["PK"].startswith("OUTBOX#")
    assert item["SK"] == "OUTBOX"
    assert json.loads(item["payload"]) == {"id": "c1"}
    assert item["expiresAtEpoch"] == int(NOW.timestamp()) + 7 * 24 * 3600


def test_the_writer_refuses_a_routing_key_nobody_routes() -> None:
    with pytest.raises(ValueError, match="unknown routing key"):
        OutboxWriter(Table("astca-table")).op("no.such.key", {})


@pytest.mark.parametrize(
    "item",
    [
        {"PK": "CERT#1", "SK": "OUTBOX", "payload": "{}"},
        {"PK": "OUTBOX#1", "SK": "OUTBOX", "payload": "not json"},
        {"PK": "OUTBOX#1", "SK": "OUTBOX", "payload": "[1]"},
    ],
)
def test_items_that_are_not_outbox_events_are_refused(item: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="outbox item"):
        envelope_of(item)
