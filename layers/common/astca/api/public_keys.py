"""Public key requests and responses."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from astca.api.signers import CamelModel
from astca.storage.public_key_records import PublicKey

RFC3339 = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)


class RegisterPublicKeyRequest(CamelModel):
    """POST /public-keys: the public JWK of a key that stays on the device, and when it should expire."""

    jwk: dict[str, Any] = Field(
        description="A public JWK: EC P-256/P-384, RSA 2048-4096 or OKP Ed25519, no private members; "
        "kid, if sent, must be its RFC 7638 thumbprint",
        examples=[{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}],
    )
    expires_at: str | None = Field(
        default=None,
        alias="expiresAt",
        pattern=RFC3339,
        description="RFC 3339; in the future and within the configured maximum (default: the configured lifetime)",
    )


class PublicKeyView(CamelModel):
    """A registered public key as the API shows it."""

    kid: str = Field(description="The key's RFC 7638 SHA-256 thumbprint")
    jwk: dict[str, Any] = Field(description="The public JWK as stored, with its kid")
    owner: str = Field(description="The user id (sub) of the user who registered it")
    created_at: str = Field(serialization_alias="createdAt")
    expires_at: str = Field(serialization_alias="expiresAt")

    @classmethod
    def of(cls, key: PublicKey) -> PublicKeyView:
        """The view of a stored key."""
        return cls(
            kid=key.kid,
            jwk=key.jwk,
            owner=key.owner,
            created_at=key.created_at,
            expires_at=key.expires_at,
        )


class PublicKeyList(CamelModel):
    """One page of the caller's keys."""

    items: list[PublicKeyView]
    next_token: str | None = Field(default=None, serialization_alias="nextToken")
