"""The public key records of the single table: a user's registered key and its place in the owner's list."""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from astca import clock
from astca.policy.public_keys import CURVE_NAMES, KEY_TYPES
from astca.storage.filters import FieldType, FilterField, FilterSpec

KEY_PREFIX = "KEY#"
OWNER_PREFIX = "USERKEY#"

# What list filters may name, and how.
PUBLIC_KEY_FILTERS = FilterSpec(
    FilterField("kty", FieldType.ENUM, values=KEY_TYPES),
    FilterField("crv", FieldType.ENUM, values=CURVE_NAMES),
    FilterField("createdAt", FieldType.TIMESTAMP),
    FilterField("expiresAt", FieldType.TIMESTAMP),
)


@dataclass(frozen=True)
class PublicKey:
    """A registered public key as stored: the JWK (kid = its RFC 7638 thumbprint), its owner and lifetime."""

    tenant: str
    kid: str
    jwk: dict[str, Any]
    owner: str
    kty: str
    crv: str | None
    created_at: str
    expires_at: str

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> PublicKey:
        """The key of a table item (the key item or the owner's list item)."""
        return cls(
            tenant=item["tenant"],
            kid=item["kid"],
            jwk=dict(item["jwk"]),
            owner=item["owner"],
            kty=item["kty"],
            crv=item.get("crv"),
            created_at=item["createdAt"],
            expires_at=item["expiresAt"],
        )

    def expired(self, now: datetime) -> bool:
        """Whether the key can no longer be used at ``now``."""
        return clock.parse_rfc3339(self.expires_at) <= now


def key_sk(kid: str) -> str:
    """The sort key of a key item, found by kid alone (the IdP's lookup)."""
    return f"{KEY_PREFIX}{kid}"


def owner_prefix(owner: str) -> str:
    """The sort-key prefix of one owner's list items; the owner is percent-encoded, so it holds no ``#``."""
    return f"{OWNER_PREFIX}{urllib.parse.quote(owner, safe='')}#"


def owner_sk(owner: str, kid: str) -> str:
    """The sort key of the owner's list item of a key."""
    return f"{owner_prefix(owner)}{kid}"
