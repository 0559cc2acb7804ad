"""The platform CAs (root and issuer) as stored: role, KMS key, alias and certificate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

CaRole = Literal["ROOT", "ISSUER"]


@dataclass(frozen=True)
class CaRecord:
    """One stored CA: its role, KMS key, alias and certificate (PEM)."""

    role: CaRole
    key_id: str
    key_arn: str
    alias: str
    certificate: str
    created_at: datetime
    details: dict[str, Any] | None = None  # serial, subject, validity: for people reading the table
