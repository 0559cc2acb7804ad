"""The relay sends each outbox item to its routing key's queue and refuses unknown keys."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from astca.domain.errors import Invalid
from astca.messaging.envelope import Envelope
from astca.messaging.relay import UNKNOWN_ROUTING_KEY, OutboxRelay
from astca.settings import Settings
from astca.storage.outbox import outbox_item

SETTINGS = Settings(
    table_name="astca-table",
    idempotency_table_name="astca-idempotency",
    signer_requests_queue_url="q://signer",
    certificate_requests_queue_url="q://certificate",
    ca_events_queue_url="q://events",
    cursor_secret_arn="arn:secret",
)
NOW = datetime(2026, 11, 25, tzinfo=UTC)


class RecordingPublisher:
    """Remembers what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Envelope]] = []

    def publish(self, queue_url: str, envelope: Envelope) -> None:
        """Record one send."""
        self.sent.append((queue_url, envelope))


@pytest.mark.parametrize(
    ("key", "queue"),
    [
        ("signer.requested", "q://signer"),
        ("certificate.requested", "q://certificate"),
        ("signer.issued", "q://events"),
        ("certificate.failed", "q://events"),
    ],
)
def test_routes_by_routing_key(key: str, queue: str) -> None:
    publisher = RecordingPublisher()
    item = outbox_item(key, {"tenant": "acme"}, now=NOW)
    OutboxRelay(SETTINGS, publisher).relay(item)
    [(sent_to, envelope)] = publisher.sent
    assert sent_to == queue
    assert envelope.id == item["PK"].removeprefix("OUTBOX#")
    assert envelope.payload == {"tenant": "acme"}


@pytest.mark.parametrize("key", ["no.such.key", "", "SIGNER.REQUESTED"])
def test_unknown_routing_key_is_51050010_and_sends_nothing(key: str) -> None:
    publisher = RecordingPublisher()
    item = {**outbox_item("signer.requested", {}, now=NOW), "routingKey": key}
    with pytest.raises(Invalid) as raised:
        OutboxRelay(SETTINGS, publisher).relay(item)
    assert raised.value.subject == UNKNOWN_ROUTING_KEY
    assert repr(key) in raised.value.detail
    assert publisher.sent == []
