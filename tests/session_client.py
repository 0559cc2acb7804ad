"""A session-encryption client built on jwcrypto, a JOSE library the service does not use (it uses joserfc).

It does what a device does: encrypt a fresh 256-bit key to the service's JWKS (RSA-OAEP-256,
A256GCM), then encrypt request bodies and decrypt answers with that key (dir, A256GCM, kid = the
session key id). Function tests and e2e tests share it.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from jwcrypto import jwe, jwk
from jwcrypto.common import base64url_encode


def transport_jwe(jwks: dict[str, Any], key: bytes, *, with_kid: bool = True) -> str:
    """``key`` as a compact JWE to the first key of ``jwks`` (RSA-OAEP-256, A256GCM)."""
    (public,) = jwks["keys"]
    header: dict[str, str] = {"alg": "RSA-OAEP-256", "enc": "A256GCM"}
    if with_kid:
        header["kid"] = public["kid"]
    token = jwe.JWE(key, protected=json.dumps(header))
    token.add_recipient(jwk.JWK(**public))
    return str(token.serialize(compact=True))


@dataclass
class Session:
    """A session key as the device holds it."""

    id: str
    key: bytes = field(repr=False)

    @property
    def jwk(self) -> jwk.JWK:
        """The key as jwcrypto's symmetric JWK."""
        return jwk.JWK(kty="oct", k=base64url_encode(self.key))

    def encrypt(
        self, document: Any, *, kid: str | None = None, content_type: str = "application/json"
    ) -> str:
        """``document`` as JSON in a compact dir/A256GCM JWE (kid = the session key id unless given)."""
        header = {"alg": "dir", "enc": "A256GCM", "kid": kid or self.id, "cty": content_type}
        token = jwe.JWE(json.dumps(document).encode(), protected=json.dumps(header))
        token.add_recipient(self.jwk)
        return str(token.serialize(compact=True))

    def decrypt(self, compact: str) -> tuple[Any, dict[str, Any]]:
        """The JSON document of an encrypted answer and its protected header."""
        token = jwe.JWE()
        token.deserialize(compact, key=self.jwk)
        return json.loads(token.payload), dict(token.jose_header)


def new_key() -> bytes:
    """A fresh 256-bit session key."""
    return secrets.token_bytes(32)
