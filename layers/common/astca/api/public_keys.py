"""Public key requests and responses."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field, StringConstraints
from pydantic.config import JsonDict

from astca.api.base import CamelModel, Page, Timestamp
from astca.domain.proofs import KEY_PROOF_TYPE, MAX_AGE_SECONDS, MAX_PROOF_CHARS
from astca.domain.public_keys import PublicKey

RFC3339 = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)

# The jwk example's proof (RFC 8037's example key, whose private half is published) for the development
# IdP's device user in tenant acme at 2026-11-25T12:00:00Z, as in events/register_public_key.no_token.json.
EXAMPLE_PROOF = (
    "eyJhbGciOiJFZERTQSIsInR5cCI6ImFzdGNhLWtleS1wcm9vZitqd3QifQ"
    ".eyJzdWIiOiIwMDAwMDAwMC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMGQwMDEiLCJ0ZW5hbnQiOiJhY21lIiwiaWF0IjoxNzk1Njk0NDAwfQ"
    ".hkmNary1kh2XhAmLhei4nGeafAcH4sv1P6qdm7Hkbg67artO4bvVZbVH67Zs4E6Z-kSS_s-Wbd7B2GdfCC8HDg"
)


def _required_string(schema: JsonDict) -> None:
    """Document a member as the string it must be: not null, no default (which only lets the service say 4002)."""
    schema.pop("default", None)
    variants = schema.pop("anyOf", [])
    for variant in variants if isinstance(variants, list) else []:
        if isinstance(variant, dict) and variant.get("type") != "null":
            schema.update(variant)


class RegisterPublicKeyRequest(CamelModel):
    """POST /public-keys: the public JWK of a key that stays on the device, a proof that the caller holds it."""

    # proof is required; the service, not validation, refuses a body without one: 4002, as any bad proof
    model_config = ConfigDict(json_schema_extra={"required": ["jwk", "proof"]})

    jwk: dict[str, Any] = Field(
        description="A public JWK: EC P-256/P-384, RSA 2048-4096 or OKP Ed25519, no private members; "
        "kid, if sent, must be its RFC 7638 thumbprint",
        examples=[{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}],
    )
    proof: Annotated[str, StringConstraints(max_length=MAX_PROOF_CHARS)] | None = Field(
        default=None,
        description=f"A compact JWS signed by the private half of jwk: protected header typ {KEY_PROOF_TYPE!r} "
        "and the alg that fits the key (ES256 for P-256, ES384 for P-384, RS256/RS384/RS512/PS256/PS384/PS512 "
        "for RSA, EdDSA for Ed25519); claims sub (the token's user id), tenant (the path's) and iat "
        f"(seconds since the epoch, at most {MAX_AGE_SECONDS} s ago). A missing, stale or foreign proof is 4002.",
        json_schema_extra=_required_string,
        examples=[EXAMPLE_PROOF],
    )
    expires_at: str | None = Field(
        default=None,
        pattern=RFC3339,
        description="RFC 3339; in the future and within the configured maximum (default: the configured lifetime)",
    )


class PublicKeyView(CamelModel):
    """A registered public key as the API shows it."""

    kid: str = Field(description="The key's RFC 7638 SHA-256 thumbprint")
    jwk: dict[str, Any] = Field(description="The public JWK as stored, with its kid")
    owner: str = Field(description="The user id (sub) of the user who registered it")
    created_at: Timestamp
    expires_at: Timestamp

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


class PublicKeyList(Page[PublicKeyView]):
    """One page of the caller's keys."""
