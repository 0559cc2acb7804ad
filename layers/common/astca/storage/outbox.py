"""The transactional outbox: an event is an item written in the same transaction as its state change.

``OutboxWriter.op(...)`` gives the Put to add to a ``Table.transact`` call; the table's stream then
carries the item to ``relay_outbox``. Outbox items expire (TTL) a week after they were written; the
relay only reacts to their INSERT.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from astca import clock, ids
from astca.domain.events import OUTBOX_PREFIX, OUTBOX_SK, ROUTES
from astca.storage.dynamo import Item, Table

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

RETENTION = timedelta(days=7)


class OutboxWriter:
    """Builds outbox items for one table."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def op(
        self, routing_key: str, payload: Mapping[str, Any], *, now: datetime | None = None
    ) -> TransactWriteItemTypeDef:
        """The transaction Put that records one event (ValueError for a routing key nobody routes)."""
        if routing_key not in ROUTES:
            raise ValueError(f"unknown routing key {routing_key!r}")
        return self.table.put_op(outbox_item(routing_key, payload, now=now or clock.utcnow()))


def outbox_item(routing_key: str, payload: Mapping[str, Any], *, now: datetime) -> Item:
    """The table item of one event."""
    event_id = ids.new_ulid(int(now.timestamp() * 1000))
    return {
        "PK": f"{OUTBOX_PREFIX}{event_id}",
        "SK": OUTBOX_SK,
        "routingKey": routing_key,
        "occurredAt": clock.rfc3339(now),
        "payload": json.dumps(payload, separators=(",", ":")),
        "expiresAtEpoch": int((now + RETENTION).timestamp()),
    }
