"""What every tenant repository shares: the table, its outbox, and the tenant's partition key."""

from __future__ import annotations

from astca.storage.dynamo import Table
from astca.storage.outbox import OutboxWriter


class TenantRepository:
    """A repository of items in tenants' partitions of the single table."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.outbox = OutboxWriter(table)

    @staticmethod
    def pk(tenant: str) -> str:
        """The partition of a tenant."""
        return f"TENANT#{tenant}"
