"""Events: what a state change announces, the routing key of each kind, and the topic it travels on.

An event is written with its state change, in the same transaction, as an outbox item
(``OUTBOX#{ulid}`` / ``OUTBOX``); the table's stream carries it to the relay, which sends it to its
routing key's topic. A routing key that is not in ``ROUTES`` is refused by the writer, and a relay
that meets one (written by a newer version, say) fails the record so it ends in the DLQ.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

# An event to write with a state change: (routing key, payload).
Event = tuple[str, dict[str, Any]]

OUTBOX_PREFIX = "OUTBOX#"
OUTBOX_SK = "OUTBOX"


class Topic(StrEnum):
    """A topic, carried by one SQS queue."""

    SIGNER_REQUESTS = "signer-requests"
    CERTIFICATE_REQUESTS = "certificate-requests"
    CA_EVENTS = "ca-events"


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
    "tenant_anchor.created": Topic.CA_EVENTS,
    "certificate.issued": Topic.CA_EVENTS,
    "certificate.failed": Topic.CA_EVENTS,
    "certificate.revoked": Topic.CA_EVENTS,
    "public_key.registered": Topic.CA_EVENTS,
    "public_key.deleted": Topic.CA_EVENTS,
}
