"""The CA items of the single table: PK "CA", SK "ROOT" and "ISSUER", each written once and never changed.

A CA item holds the KMS key id and ARN, the alias, the certificate (PEM) and when it was stored.
``CaRepository.put_once`` writes with ``attribute_not_exists(PK)``: the first writer wins, a later or
concurrent one gets the stored item back, so a second bootstrap changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from astca.storage.dynamo import ConditionFailed, Item, Table

CA_PK = "CA"
CaRole = Literal["ROOT", "ISSUER"]


@dataclass(frozen=True)
class CaRecord:
    """One stored CA: its role, KMS key, alias and certificate."""

    role: CaRole
    key_id: str
    key_arn: str
    alias: str
    certificate_pem: str
    created_at: str
    details: dict[str, Any] | None = None  # serial, subject, validity: for people reading the table

    def as_item(self) -> Item:
        """The record as a table item."""
        return {
            "PK": CA_PK,
            "SK": self.role,
            "keyId": self.key_id,
            "keyArn": self.key_arn,
            "alias": self.alias,
            "certificate": self.certificate_pem,
            "createdAt": self.created_at,
            **(self.details or {}),
        }

    @classmethod
    def from_item(cls, item: Item) -> CaRecord:
        """The record of a table item."""
        role = item["SK"]
        if role not in ("ROOT", "ISSUER"):
            raise ValueError(f"not a CA item: SK {role!r}")
        known = {"PK", "SK", "keyId", "keyArn", "alias", "certificate", "createdAt"}
        return cls(
            role=role,
            key_id=str(item["keyId"]),
            key_arn=str(item.get("keyArn", "")),
            alias=str(item.get("alias", "")),
            certificate_pem=str(item["certificate"]),
            created_at=str(item.get("createdAt", "")),
            details={key: value for key, value in item.items() if key not in known} or None,
        )


class CaRepository:
    """Reads and writes the CA items of the single table."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, role: CaRole) -> CaRecord | None:
        """The stored CA of ``role``, or None before the bootstrap stored it."""
        item = self.table.get(CA_PK, role)
        return CaRecord.from_item(item) if item else None

    def put_once(self, record: CaRecord) -> CaRecord:
        """Store ``record`` unless a CA of its role is stored; the record that is stored afterwards."""
        try:
            self.table.put(record.as_item(), condition="attribute_not_exists(PK)")
        except ConditionFailed:
            stored = self.get(record.role)
            if stored is None:  # pragma: no cover - CA items are never deleted
                raise
            return stored
        return record
