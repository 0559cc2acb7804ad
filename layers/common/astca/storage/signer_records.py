"""The signer records of the single table: a tenant's signer CA and its current-signer pointer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from astca.storage.filters import FieldType, FilterField, FilterSpec


class SignerState(StrEnum):
    """Where a signer is in its life."""

    PENDING = "PENDING"
    ISSUED = "ISSUED"
    FAILED = "FAILED"
    REVOKED = "REVOKED"


# What list filters may name, and how.
SIGNER_FILTERS = FilterSpec(
    FilterField("state", FieldType.ENUM, values=tuple(SignerState)),
    FilterField("name", FieldType.STRING),
    FilterField("generation", FieldType.INT),
    FilterField("createdAt", FieldType.TIMESTAMP),
    FilterField("issuedAt", FieldType.TIMESTAMP),
)


@dataclass(frozen=True)
class Signer:
    """A tenant's signer CA as stored."""

    tenant: str
    id: str
    name: str
    state: SignerState
    generation: int
    created_at: str
    updated_at: str
    issued_at: str | None = None
    revoked_at: str | None = None
    certificate: str | None = None
    serial: str | None = None
    kms_key_id: str | None = None
    failure_reason: str | None = None
    revocation_reason: str | None = None

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Signer:
        """The signer of a table item."""
        return cls(
            tenant=item["tenant"],
            id=item["id"],
            name=item["name"],
            state=SignerState(item["state"]),
            generation=int(item["generation"]),
            created_at=item["createdAt"],
            updated_at=item["updatedAt"],
            issued_at=item.get("issuedAt"),
            revoked_at=item.get("revokedAt"),
            certificate=item.get("certificate"),
            serial=item.get("serial"),
            kms_key_id=item.get("kmsKeyId"),
            failure_reason=item.get("failureReason"),
            revocation_reason=item.get("revocationReason"),
        )


@dataclass(frozen=True)
class SignerPointer:
    """The tenant's current signer (and pending successor), with the version that guards changes."""

    current_id: str | None
    current_state: SignerState | None
    pending_id: str | None
    last_generation: int
    version: int

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> SignerPointer:
        """The pointer of a table item."""
        state = item.get("currentState")
        return cls(
            current_id=item.get("currentId"),
            current_state=SignerState(state) if state else None,
            pending_id=item.get("pendingId"),
            last_generation=int(item.get("lastGeneration", 0)),
            version=int(item.get("version", 0)),
        )

    @property
    def blocks_creation(self) -> bool:
        """Whether a signer that is not revoked or failed is current (or one is on its way)."""
        usable = self.current_state in (SignerState.PENDING, SignerState.ISSUED)
        return usable or self.pending_id is not None
