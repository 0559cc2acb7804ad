"""The CA items of the single table: PK "CA", SK "ROOT" and "ISSUER", each written once and never changed.

A CA item holds the role, KMS key id and ARN, the alias, the certificate (PEM), when it was stored
and ``details`` (serial, subject, validity) for people reading the table.
``CaRepository.put_once`` writes with ``attribute_not_exists(PK)``: the first writer wins, a later or
concurrent one gets the stored item back, so a second bootstrap changes nothing.
"""

from __future__ import annotations

from astca.domain.ca import CaRecord, CaRole
from astca.storage import items
from astca.storage.dynamo import ConditionFailed, Table

CA_PK = "CA"


class CaRepository:
    """Reads and writes the CA items of the single table."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, role: CaRole) -> CaRecord | None:
        """The stored CA of ``role``, or None before the bootstrap stored it."""
        item = self.table.get(CA_PK, role)
        return items.from_item(CaRecord, item) if item else None

    def put_once(self, record: CaRecord) -> CaRecord:
        """Store ``record`` unless a CA of its role is stored; the record that is stored afterwards."""
        try:
            self.table.put(
                {"PK": CA_PK, "SK": record.role, **items.to_item(record)},
                condition="attribute_not_exists(PK)",
            )
        except ConditionFailed:
            stored = self.get(record.role)
            if stored is None:  # pragma: no cover - CA items are never deleted
                raise
            return stored
        return record
