"""The CAs as stored: the platform CAs (root and issuer) and each tenant's trust anchor."""

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


@dataclass(frozen=True)
class TenantAnchor:
    """A tenant's trust anchor: its KMS key, then its self-signed root and the platform issuer's cross-certificate (PEM).

    The key is recorded first (``certificate`` None), the certificates once made; neither changes after.
    """

    tenant: str
    key_id: str
    created_at: datetime
    certificate: str | None = None
    cross_certificate: str | None = None
