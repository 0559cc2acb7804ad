"""Session keys: whom one belongs to, and the key as stored (wrapped by a KMS key)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class SessionOwner:
    """Whom a session key belongs to: a user of a tenant on one AST client (app installation)."""

    tenant: str
    user_id: str
    client_id: str


@dataclass(frozen=True)
class SessionKeyRecord:
    """A stored session key: its owner, lifetime and the key as the wrapping key encrypted it."""

    id: str
    owner: SessionOwner
    created_at: datetime
    expires_at: datetime
    wrapped_key: bytes
