"""JWS Compact Serialization (RFC 7515) signed through KMS: ``sign_compact(header, claims, signer)``.

The JWS algorithm follows the signing key (RFC 7518 section 3): RS256 for RSA keys (KMS
RSASSA_PKCS1_V1_5_SHA_256, whose signature is the JWS signature as it is), ES256 for P-256 and
ES384 for P-384 keys (KMS ECDSA_SHA_256/384 answers a DER ``Ecdsa-Sig-Value``; JWS wants ``r || s``,
each unsigned big-endian and as long as the curve's order, 32 or 48 bytes). The header and the
claims are serialized as compact UTF-8 JSON and base64url-encoded without padding; the signer
receives the ASCII signing input ``BASE64URL(header) "." BASE64URL(claims)``. ``KmsSigner`` verifies
every signature against the key before returning it, so a token that leaves here verifies.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from astca import catalog
from astca.catalog import CaError

if TYPE_CHECKING:
    from astca.issuance.kms import SigningAlgorithm


@dataclass(frozen=True)
class JwsAlgorithm:
    """A JWS ``alg`` and, for ECDSA, the length of each of r and s in the signature (None for RSA)."""

    name: str
    ecdsa_integer_bytes: int | None = None


# By KMS key spec: the allow-list of astca.settings.CaKeySpec.
JWS_ALGORITHMS: Mapping[str, JwsAlgorithm] = {
    "ECC_NIST_P256": JwsAlgorithm("ES256", 32),
    "ECC_NIST_P384": JwsAlgorithm("ES384", 48),
    "RSA_2048": JwsAlgorithm("RS256"),
    "RSA_3072": JwsAlgorithm("RS256"),
    "RSA_4096": JwsAlgorithm("RS256"),
}


class MessageSigner(Protocol):
    """What signs a JWS: ``astca.issuance.kms.KmsSigner`` (DER for ECDSA, PKCS#1 v1.5 for RSA)."""

    @property
    def algorithm(self) -> SigningAlgorithm:
        """How the key signs (its KMS key spec)."""

    def sign(self, message: bytes) -> bytes:
        """A signature of ``message`` that verifies against the key."""


def jws_algorithm(key_spec: str) -> JwsAlgorithm:
    """The JWS algorithm of a key of ``key_spec`` (5105003 SignerError for a spec JWS cannot use)."""
    found = JWS_ALGORITHMS.get(key_spec)
    if found is None:
        raise CaError(catalog.SIGNER_ERROR, f"a key of spec {key_spec} cannot sign a JWS")
    return found


def sign_compact(header: Mapping[str, Any], claims: Mapping[str, Any], signer: MessageSigner) -> str:
    """The JWS Compact Serialization of ``claims`` under ``header`` plus ``alg``, signed by ``signer``.

    ``header`` may name ``alg`` only as the key's algorithm (ValueError otherwise); signing failures
    are the signer's (5105003 SignerError from KMS), as is a signature that is not what the key makes.
    """
    algorithm = jws_algorithm(signer.algorithm.key_spec)
    if header.get("alg", algorithm.name) != algorithm.name:
        raise ValueError(f"header alg {header['alg']!r} is not {algorithm.name}, the signing key's")
    protected = {"alg": algorithm.name, **header}
    signing_input = f"{base64url(_json(protected))}.{base64url(_json(claims))}"
    signature = signer.sign(signing_input.encode("ascii"))
    if algorithm.ecdsa_integer_bytes is not None:
        signature = ecdsa_raw_signature(signature, algorithm.ecdsa_integer_bytes)
    return f"{signing_input}.{base64url(signature)}"


def ecdsa_raw_signature(der: bytes, integer_bytes: int) -> bytes:
    """An ECDSA signature from its DER ``Ecdsa-Sig-Value`` to JWS's fixed-size ``r || s`` (RFC 7518 3.4)."""
    try:
        r, s = decode_dss_signature(der)
        return r.to_bytes(integer_bytes, "big") + s.to_bytes(integer_bytes, "big")
    except (ValueError, OverflowError):
        raise CaError(
            catalog.SIGNER_ERROR, f"the ECDSA signature is not a DER pair of {integer_bytes}-byte integers"
        ) from None


def base64url(data: bytes) -> str:
    """base64url without padding (RFC 7515 section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _json(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
