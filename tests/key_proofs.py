"""Device keys and their proofs of possession for public key registration, made with jwcrypto.

jwcrypto is a JOSE library astca does not use, so a proof made here is what any client library would
make, not astca's own idea of one. A proof is a compact JWS with protected header
``{"alg": <the key's>, "typ": "astca-key-proof+jwt"}`` and claims ``{"sub", "tenant", "iat"}``, signed by
the private half of the JWK being registered.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from jwcrypto import jwk, jws

KEY_PROOF_TYPE = "astca-key-proof+jwt"
# What jwcrypto generates for each kind, and the algorithm a proof by it names unless told otherwise.
KINDS: dict[str, tuple[dict[str, Any], str]] = {
    "P-256": ({"kty": "EC", "crv": "P-256"}, "ES256"),
    "P-384": ({"kty": "EC", "crv": "P-384"}, "ES384"),
    "RSA": ({"kty": "RSA", "size": 2048}, "PS256"),
    "Ed25519": ({"kty": "OKP", "crv": "Ed25519"}, "EdDSA"),
}
# RFC 8037 appendix A.1: the example Ed25519 key, whose private half is published (events/ uses it).
RFC8037_PRIVATE = {
    "kty": "OKP",
    "crv": "Ed25519",
    "d": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
    "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
}


@dataclass(frozen=True)
class DeviceKey:
    """A key pair as a device holds it: the private JWK, and the algorithm its proofs name."""

    private: jwk.JWK
    alg: str

    @classmethod
    def generate(cls, kind: str = "P-256") -> DeviceKey:
        """A fresh key of ``kind`` (a key of ``KINDS``)."""
        parameters, alg = KINDS[kind]
        return cls(jwk.JWK.generate(**parameters), alg)

    @classmethod
    def rfc8037(cls) -> DeviceKey:
        """RFC 8037's example Ed25519 key."""
        return cls(jwk.JWK(**RFC8037_PRIVATE), "EdDSA")

    @property
    def public_key(self) -> PublicKeyTypes:
        """The public key as cryptography holds it."""
        return load_pem_public_key(self.private.export_to_pem(private_key=False))

    @property
    def public(self) -> dict[str, Any]:
        """The public JWK, as the device registers it."""
        exported: dict[str, Any] = json.loads(self.private.export_public())
        return exported

    def proof(
        self,
        sub: str,
        tenant: str,
        *,
        iat: float | None = None,
        alg: str | None = None,
        header: dict[str, Any] | None = None,
        claims: dict[str, Any] | None = None,
    ) -> str:
        """A proof by this key for user ``sub`` in ``tenant``, made at ``iat`` (default: now).

        ``header`` and ``claims`` add to or replace the protected header's and the claims' members; a
        member given as None is left out (``header={"typ": None}``: no typ).
        """
        protected = _without_none({"alg": alg or self.alg, "typ": KEY_PROOF_TYPE, **(header or {})})
        now = int(time.time() if iat is None else iat)
        payload = _without_none({"sub": sub, "tenant": tenant, "iat": now, **(claims or {})})
        token = jws.JWS(json.dumps(payload).encode())
        token.add_signature(self.private, alg=protected["alg"], protected=json.dumps(protected))
        return str(token.serialize(compact=True))


def _without_none(members: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in members.items() if value is not None}


def b64url(data: bytes) -> str:
    """``data`` as base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def compact(header: Any, claims: Any, signature: bytes = b"") -> str:
    """A compact JWS of ``header`` and ``claims`` (JSON) with ``signature`` as given: what a forger sends."""
    parts = (json.dumps(header).encode(), json.dumps(claims).encode(), signature)
    return ".".join(b64url(part) for part in parts)


def subject(access_token: str) -> str:
    """The ``sub`` of an access token, read as a client reads its own token (unverified)."""
    payload = access_token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return str(claims["sub"])
