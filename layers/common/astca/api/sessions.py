"""Session encryption: the transport key set, and session key requests and answers."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from astca.api.base import CamelModel, Timestamp
from astca.domain.sessions import SessionKeyRecord

COMPACT_JWE = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"


class SessionJwks(CamelModel):
    """The service's key-transport key as a JWK set (RFC 7517)."""

    keys: list[dict[str, Any]] = Field(
        description="One RSA key: use enc, alg RSA-OAEP-256, kid its RFC 7638 thumbprint"
    )


class SessionKeyRequest(CamelModel):
    """POST /session-keys: a fresh 256-bit key, as a compact JWE to the transport key."""

    jwe: str = Field(
        min_length=1,
        max_length=4096,
        pattern=COMPACT_JWE,
        description="Compact JWE: alg RSA-OAEP-256, enc A256GCM, kid from the JWKS (optional); "
        "the plaintext is the 32 key bytes",
    )


class SessionKeyCreated(CamelModel):
    """A session key the caller may now encrypt requests with."""

    session_key_id: str = Field(description="The X-Session-Key-Id and kid")
    expires_at: Timestamp

    @classmethod
    def of(cls, record: SessionKeyRecord) -> SessionKeyCreated:
        """The view of a stored session key."""
        return cls(session_key_id=record.id, expires_at=record.expires_at)
