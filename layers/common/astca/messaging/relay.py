"""The outbox relay: routes each new outbox item to its topic's queue."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from pydantic import ValidationError

from astca import catalog
from astca.catalog import CaError
from astca.messaging.envelope import Envelope
from astca.messaging.outbox import envelope_of
from astca.messaging.topics import ROUTES, Topic
from astca.settings import Settings


class Publisher(Protocol):
    """Something that sends an envelope to a queue."""

    def publish(self, queue_url: str, envelope: Envelope) -> None:
        """Send ``envelope`` to ``queue_url``."""


class OutboxRelay:
    """Routes outbox items by routing key; an unknown key is 51050010 UnknownTopicRoutingKey."""

    def __init__(self, settings: Settings, publisher: Publisher) -> None:
        self.queues: dict[Topic, str] = {topic: topic.queue_url(settings) for topic in Topic}
        self.publisher = publisher

    def relay(self, item: Mapping[str, Any]) -> Envelope:
        """Send one outbox item (its stream NewImage) to its topic, and return what was sent."""
        try:
            envelope = envelope_of(item)
        except (ValueError, ValidationError) as exc:
            raise CaError(catalog.INTERNAL_ERROR, f"malformed outbox item: {exc}") from exc
        topic = ROUTES.get(envelope.routing_key)
        if topic is None:
            raise CaError(
                catalog.UNKNOWN_TOPIC_ROUTING_KEY,
                f"outbox item {envelope.id} has the unknown routing key {envelope.routing_key!r}",
            )
        self.publisher.publish(self.queues[topic], envelope)
        return envelope
