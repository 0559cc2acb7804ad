"""JWE Compact Serialization (RFC 7516) for session encryption, all of its format handled by joserfc.

Two shapes, nothing else:

- key transport: ``alg`` RSA-OAEP-256, ``enc`` A256GCM, addressed to the service's transport key.
  The JWE's encrypted key (the CEK) is unwrapped by a callable (KMS Decrypt, RSAES_OAEP_SHA_256: the
  private key never leaves KMS); joserfc parses the serialization, checks the header and decrypts
  the content with that CEK, the protected header as AAD. ``unwrap_key_transport`` gives the plaintext.
- direct: ``alg`` dir, ``enc`` A256GCM, ``kid`` the session key id: requests and responses of a session.

Every failure of the format or the cryptography is ``JweError`` (the message names the check, never
a key or a plaintext); a failure of the unwrap callable propagates as it was raised. This module
never talks to AWS.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwa import JWEKeyEncryption
from joserfc.jwe import JWERegistry, Recipient
from joserfc.jwk import OctKey, RSAKey

KEY_TRANSPORT_ALG = "RSA-OAEP-256"
DIRECT_ALG = "dir"
CONTENT_ENC = "A256GCM"
KEY_BYTES = 32  # A256GCM's content encryption key
JOSE_CONTENT_TYPE = "application/jose"

# joserfc's own A256GCM; only the two algorithms of each shape are ever allowed.
_A256GCM = JWERegistry.algorithms["enc"][CONTENT_ENC]
_DIRECT = JWERegistry(algorithms=[DIRECT_ALG, CONTENT_ENC])

UnwrapKey = Callable[[bytes], bytes]


class JweError(ValueError):
    """A JWE that is malformed, uses another algorithm, or does not decrypt with the key."""


@dataclass(frozen=True)
class Decrypted:
    """A JWE's plaintext and its (integrity-protected) header."""

    plaintext: bytes
    header: Mapping[str, Any]


class _KeyTransport(JWEKeyEncryption):
    """RSA-OAEP-256 whose CEK decryption is delegated (KMS); joserfc does everything else."""

    name = KEY_TRANSPORT_ALG
    description = "RSAES OAEP using SHA-256 and MGF1 with SHA-256, the private key held elsewhere"
    key_size = 2048
    key_types = ["RSA"]  # noqa: RUF012 - joserfc's class attribute

    def __init__(self, unwrap: UnwrapKey) -> None:
        self.unwrap = unwrap

    def encrypt_cek(self, cek: bytes, recipient: Recipient[Any]) -> bytes:  # noqa: ARG002 - joserfc's signature
        """Never used: the service only receives key-transport JWEs."""
        raise JweError("the service does not send key-transport JWEs")

    def decrypt_cek(self, recipient: Recipient[Any]) -> bytes:
        """The CEK, as the unwrap callable gives it."""
        if not recipient.encrypted_key:
            raise JweError("the JWE has no encrypted key")
        return self.unwrap(recipient.encrypted_key)


def public_jwk(public_key: rsa.RSAPublicKey) -> dict[str, Any]:
    """The transport key as a public JWK: RSA, use enc, alg RSA-OAEP-256, kid its RFC 7638 thumbprint."""
    key = RSAKey.import_key(public_key)
    jwk: dict[str, Any] = dict(key.as_dict(private=False))
    return {**jwk, "kid": key.thumbprint(), "use": "enc", "alg": KEY_TRANSPORT_ALG}


def unwrap_key_transport(compact: str, transport_jwk: Mapping[str, Any], unwrap: UnwrapKey) -> bytes:
    """The plaintext of a key-transport JWE to ``transport_jwk``, its CEK decrypted by ``unwrap``.

    A ``kid`` in the header must be the transport key's; without one the JWE is taken as addressed to it.
    """
    registry = JWERegistry(algorithms=[KEY_TRANSPORT_ALG, CONTENT_ENC])
    # An instance's own table: the class-wide one (joserfc's global registry) stays untouched.
    registry.algorithms = {
        "alg": {KEY_TRANSPORT_ALG: _KeyTransport(unwrap)},
        "enc": {CONTENT_ENC: _A256GCM},
        "zip": {},
    }
    recipient = RSAKey.import_key(dict(transport_jwk))
    decrypted = _decrypt(compact, recipient, registry)
    kid = decrypted.header.get("kid")
    if kid is not None and kid != transport_jwk.get("kid"):
        raise JweError("the JWE is addressed to another key (kid)")
    return decrypted.plaintext


def decrypt_direct(compact: str, key: bytes, *, kid: str) -> Decrypted:
    """The plaintext of a dir/A256GCM JWE under ``key`` whose protected ``kid`` is ``kid``."""
    decrypted = _decrypt(compact, OctKey.import_key(key), _DIRECT)
    if decrypted.header.get("kid") != kid:
        raise JweError("the JWE's kid is not the session key id")
    return decrypted


def encrypt_direct(plaintext: bytes, key: bytes, *, kid: str, content_type: str | None) -> str:
    """A dir/A256GCM JWE of ``plaintext`` under ``key``, with ``kid`` and ``cty`` in its protected header."""
    header: dict[str, Any] = {"alg": DIRECT_ALG, "enc": CONTENT_ENC, "kid": kid}
    if content_type:
        header["cty"] = content_type
    try:
        return jwe.encrypt_compact(header, plaintext, OctKey.import_key(key), registry=_DIRECT)
    except (JoseError, ValueError) as error:
        raise JweError(f"encryption failed ({type(error).__name__})") from None


def _decrypt(compact: str, key: OctKey | RSAKey, registry: JWERegistry) -> Decrypted:
    try:
        value = compact.strip().encode("ascii")
        obj = jwe.decrypt_compact(value, key, registry=registry)
    except JweError:
        raise
    except (JoseError, ValueError, TypeError, KeyError, AssertionError) as error:
        raise JweError(f"the JWE does not decrypt ({_reason(error)})") from None
    if obj.plaintext is None:
        raise JweError("the JWE has no content")
    return Decrypted(obj.plaintext, dict(obj.protected))


def _reason(error: Exception) -> str:
    """What failed, without echoing input: joserfc's error name, or the kind of error."""
    return str(getattr(error, "error", "") or type(error).__name__)
