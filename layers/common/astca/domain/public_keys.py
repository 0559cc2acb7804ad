"""A user's registered public key (a JWK) and the key types and curves a JWK may have."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

KEY_TYPES = ("EC", "OKP", "RSA")
CURVE_NAMES = ("Ed25519", "P-256", "P-384")


@dataclass(frozen=True)
class PublicKey:
    """A registered public key as stored: the JWK (kid = its RFC 7638 thumbprint), its owner and lifetime."""

    tenant: str
    kid: str
    jwk: dict[str, Any]
    owner: str
    kty: str
    crv: str | None
    created_at: datetime
    expires_at: datetime

    def expired(self, now: datetime) -> bool:
        """Whether the key can no longer be used at ``now``."""
        return self.expires_at <= now
