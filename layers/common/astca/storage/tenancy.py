"""What every tenant repository shares: the table, its outbox, and the tenant's partition key."""

from __future__ import annotations

from typing import Any

from astca.messaging.outbox import OutboxWriter
from astca.storage.dynamo import Table

# An event to write with a state change: (routing key, payload).
Event = tuple[str, dict[str, Any]]


class TenantRepository:
    """A repository of items in tenants' partitions of the single table."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.outbox = OutboxWriter(table)

    @staticmethod
    def pk(tenant: str) -> str:
        """The partition of a tenant."""
        return f"TENANT#{tenant}"
