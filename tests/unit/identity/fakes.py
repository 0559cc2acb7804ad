"""A fake IdP for identity tests: realms with discovery and JWKS, keys made locally, tokens minted."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from astca.identity.idp_http import IdpStatus

BASE = "https://idp.example.test/auth"


def es256_key() -> ec.EllipticCurvePrivateKey:
    """A fresh P-256 key."""
    return ec.generate_private_key(ec.SECP256R1())


def rsa_key() -> rsa.RSAPrivateKey:
    """A fresh RSA-2048 key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, kid: str, alg: str) -> dict[str, Any]:
    """The public JWK of ``key``."""
    algorithm = jwt.get_algorithm_by_name(alg)
    jwk: dict[str, Any] = algorithm.to_jwk(key.public_key(), as_dict=True)
    return {**jwk, "kid": kid, "alg": alg, "use": "sig"}


@dataclass
class FakeIdp:
    """Serves discovery and JWKS for some realms, and counts the requests it answers."""

    base: str = BASE
    realms: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    overrides: dict[str, object] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def add_realm(self, name: str, *jwks: dict[str, Any]) -> None:
        """Create a realm with these public keys."""
        self.realms[name] = list(jwks)

    def get_json(self, url: str) -> object:
        """Answer like Keycloak would."""
        self.calls.append(url)
        if url in self.overrides:
            answer = self.overrides[url]
            if isinstance(answer, Exception):
                raise answer
            return answer
        prefix = f"{self.base}/realms/"
        realm, _, rest = url.removeprefix(prefix).partition("/")
        if not url.startswith(prefix) or realm not in self.realms:
            raise IdpStatus(url, 404)
        issuer = f"{prefix}{realm}"
        if rest == ".well-known/openid-configuration":
            return {
                "issuer": issuer,
                "jwks_uri": f"{issuer}/protocol/openid-connect/certs",
                "token_endpoint": f"{issuer}/protocol/openid-connect/token",
                "id_token_signing_alg_values_supported": ["ES256", "RS256", "PS256"],
            }
        if rest == "protocol/openid-connect/certs":
            return {"keys": self.realms[realm]}
        raise IdpStatus(url, 404)


def mint(
    key: Any,
    *,
    realm: str = "acme",
    kid: str = "k1",
    alg: str = "ES256",
    base: str = BASE,
    lifetime: int = 300,
    header: dict[str, Any] | None = None,
    **claims: Any,
) -> str:
    """A token of ``realm`` signed with ``key``; keyword claims override the defaults (None removes)."""
    now = int(time.time())
    payload: dict[str, Any] = {
        "iss": f"{base}/realms/{realm}",
        "sub": "user-1",
        "preferred_username": "device-user",
        "ast_client_id": "client-1",
        "iat": now,
        "exp": now + lifetime,
        "amr": ["pwd"],
        "realm_access": {"roles": ["offline_access"]},
    }
    payload.update(claims)
    payload = {name: value for name, value in payload.items() if value is not None}
    return jwt.encode(payload, key, algorithm=alg, headers={"kid": kid, **(header or {})})
