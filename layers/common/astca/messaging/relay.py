"""The outbox relay: routes each new outbox item (a stream NewImage) to its topic's queue."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

from pydantic import ValidationError

from astca.domain.errors import Invalid
from astca.domain.events import OUTBOX_PREFIX, OUTBOX_SK, ROUTES, Topic
from astca.messaging.envelope import Envelope
from astca.messaging.topics import queue_url
from astca.settings import Settings

UNKNOWN_ROUTING_KEY = "routing key"  # the subject of an Invalid for a routing key nobody routes


class Publisher(Protocol):
    """Something that sends an envelope to a queue."""

    def publish(self, queue_url: str, envelope: Envelope) -> None:
        """Send ``envelope`` to ``queue_url``."""


class OutboxRelay:
    """Routes outbox items by routing key; ``Invalid`` for a malformed item or a routing key nobody routes."""

    def __init__(self, settings: Settings, publisher: Publisher) -> None:
        self.queues: dict[Topic, str] = {topic: queue_url(topic, settings) for topic in Topic}
        self.publisher = publisher

    def relay(self, item: Mapping[str, Any]) -> Envelope:
        """Send one outbox item to its topic, and return what was sent."""
        try:
            envelope = envelope_of(item)
        except (ValueError, ValidationError) as exc:
            raise Invalid("outbox item", f"malformed outbox item: {exc}") from exc
        topic = ROUTES.get(envelope.routing_key)
        if topic is None:
            raise Invalid(
                UNKNOWN_ROUTING_KEY,
                f"outbox item {envelope.id} has the unknown routing key {envelope.routing_key!r}",
            )
        self.publisher.publish(self.queues[topic], envelope)
        return envelope


def envelope_of(item: Mapping[str, Any]) -> Envelope:
    """The envelope of an outbox item as the stream shows it (ValueError if it is not one)."""
    pk = str(item.get("PK", ""))
    if not pk.startswith(OUTBOX_PREFIX) or item.get("SK") != OUTBOX_SK:
        raise ValueError("not an outbox item")
    try:
        payload = json.loads(str(item.get("payload", "")))
    except json.JSONDecodeError as exc:
        raise ValueError(f"outbox item {pk} has a payload that is not JSON") from exc
    if not isinstance(payload, dict):
        raise ValueError(f"outbox item {pk} has a payload that is not a JSON object")
    return Envelope(
        id=pk.removeprefix(OUTBOX_PREFIX),
        routing_key=str(item.get("routingKey", "")),
        occurred_at=str(item.get("occurredAt", "")),
        payload=payload,
    )
