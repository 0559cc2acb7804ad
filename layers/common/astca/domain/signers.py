"""A tenant's signer CA and the tenant's current-signer pointer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class SignerState(StrEnum):
    """Where a signer is in its life."""

    PENDING = "PENDING"
    ISSUED = "ISSUED"
    FAILED = "FAILED"
    REVOKED = "REVOKED"


@dataclass(frozen=True)
class Signer:
    """A tenant's signer CA as stored."""

    tenant: str
    id: str
    name: str
    state: SignerState
    generation: int
    created_at: datetime
    updated_at: datetime
    issued_at: datetime | None = None
    revoked_at: datetime | None = None
    certificate: str | None = None
    serial: str | None = None
    kms_key_id: str | None = None
    failure_reason: str | None = None
    revocation_reason: str | None = None


@dataclass(frozen=True)
class SignerPointer:
    """The tenant's current signer (and pending successor), with the version that guards changes."""

    current_id: str | None = None
    current_state: SignerState | None = None
    pending_id: str | None = None
    last_generation: int = 0
    version: int = 0
