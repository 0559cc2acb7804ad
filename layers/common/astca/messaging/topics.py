"""Routing keys and the topics (SQS queues) they are routed to.

An outbox item names a routing key; the relay sends it to that key's topic. A routing key that is
not in ``ROUTES`` is 51050010 UnknownTopicRoutingKey: the writer refuses it, and a relay that meets
one (written by a newer version, say) fails the record so it ends in the DLQ instead of vanishing.
"""

from __future__ import annotations

from enum import StrEnum

from astca.settings import Settings


class Topic(StrEnum):
    """A topic, carried by one SQS queue."""

    SIGNER_REQUESTS = "signer-requests"
    CERTIFICATE_REQUESTS = "certificate-requests"
    CA_EVENTS = "ca-events"

    def queue_url(self, settings: Settings) -> str:
        """The URL of the queue that carries this topic."""
        match self:
            case Topic.SIGNER_REQUESTS:
                return settings.signer_requests_queue_url
            case Topic.CERTIFICATE_REQUESTS:
                return settings.certificate_requests_queue_url
            case Topic.CA_EVENTS:
                return settings.ca_events_queue_url


ROUTES: dict[str, Topic] = {
    # work for the service's own workers
    "signer.requested": Topic.SIGNER_REQUESTS,
    "certificate.requested": Topic.CERTIFICATE_REQUESTS,
    # public events for downstream consumers
    "signer.created": Topic.CA_EVENTS,
    "signer.issued": Topic.CA_EVENTS,
    "signer.failed": Topic.CA_EVENTS,
    "signer.revoked": Topic.CA_EVENTS,
    "signer.deleted": Topic.CA_EVENTS,
    "certificate.issued": Topic.CA_EVENTS,
    "certificate.failed": Topic.CA_EVENTS,
    "public_key.registered": Topic.CA_EVENTS,
    "public_key.deleted": Topic.CA_EVENTS,
}
