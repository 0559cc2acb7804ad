"""The queue that carries each topic, from the settings."""

from __future__ import annotations

from astca.domain.events import Topic
from astca.settings import Settings


def queue_url(topic: Topic, settings: Settings) -> str:
    """The URL of the queue that carries ``topic``."""
    match topic:
        case Topic.SIGNER_REQUESTS:
            return settings.signer_requests_queue_url
        case Topic.CERTIFICATE_REQUESTS:
            return settings.certificate_requests_queue_url
        case Topic.CA_EVENTS:
            return settings.ca_events_queue_url
