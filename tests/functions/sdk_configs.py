"""SDK configs as an SDK checks them, with tools independent of astca: joserfc for the JWS, openssl for x5c.

``verify_sdk_config`` reads the x5c chain from the (not yet trusted) header, has ``openssl verify
-x509_strict`` and cryptography chain it to the root, then verifies the JWS with joserfc against the
key of x5c[0] and checks the registered claims with joserfc's claims registry. Nothing here parses a
JWS by hand. ``certificate_b64`` makes the throwaway certificates of a ``tlsBundle``.
"""

from __future__ import annotations

import base64
import datetime
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID, ObjectIdentifier
from joserfc import jws, jwt
from joserfc.jwk import ECKey, RSAKey
from joserfc.jws import JWSRegistry

from tests.pki import openssl_verify

PADDING_OID = ObjectIdentifier("1.3.6.1.4.1.55555.1")  # private arc: filler that sizes test certificates


class SdkConfigRegistry(JWSRegistry):
    """joserfc's JWS registry with room for a config: its defaults (512 header bytes, 128,000 payload
    bytes) are smaller than any x5c chain and than a full tlsBundle."""

    max_header_length = 16 * 1024
    max_payload_length = 1024 * 1024


@dataclass(frozen=True)
class VerifiedConfig:
    """A config whose chain and signature verified: its header, claims and x5c certificates."""

    header: dict[str, Any]
    claims: dict[str, Any]
    chain: list[x509.Certificate]


def joserfc_key(certificate: x509.Certificate) -> ECKey | RSAKey:
    """The certificate's public key as a joserfc key."""
    public_key = certificate.public_key()
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return ECKey.import_key(public_key)
    assert isinstance(public_key, rsa.RSAPublicKey)
    return RSAKey.import_key(public_key)


def verify_sdk_config(
    token: str, *, root_pem: str, algorithm: str, tenant: str, issuer: str, folder: Path
) -> VerifiedConfig:
    """Verify ``token`` as an SDK would: x5c chains to ``root_pem``, the JWS verifies, the claims are set."""
    registry = SdkConfigRegistry(algorithms=[algorithm])
    header = jws.extract_compact(token.encode("ascii"), registry=registry).headers()
    chain = [x509.load_der_x509_certificate(base64.b64decode(item, validate=True)) for item in header["x5c"]]
    pems = [certificate.public_bytes(Encoding.PEM).decode("ascii") for certificate in chain]
    openssl_verify(folder, root=root_pem, chain=pems[1:], leaf=pems[0])
    root = x509.load_pem_x509_certificate(root_pem.encode("ascii"))
    for certificate, parent in zip(chain, [*chain[1:], root], strict=True):
        certificate.verify_directly_issued_by(parent)

    token_object = jwt.decode(token, joserfc_key(chain[0]), algorithms=[algorithm], registry=registry)
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": issuer},
        sub={"essential": True, "value": tenant},
        iat={"essential": True},
        jti={"essential": True},
    ).validate(token_object.claims)
    return VerifiedConfig(dict(token_object.header), dict(token_object.claims), chain)


def certificate_b64(common_name: str = "TLS root", *, der_size: int | None = None) -> str:
    """base64 DER of a throwaway self-signed CA certificate; exactly ``der_size`` bytes when given."""
    # RSA PKCS#1 v1.5 signatures have a fixed length, so a sized certificate grows with its filler alone.
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey = (
        ec.generate_private_key(ec.SECP256R1()) if der_size is None else _sizing_key()
    )
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)

    def build(filler: int) -> bytes:
        builder = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number() | 1 << 158)  # always 20 bytes of DER
            .not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        )
        if filler:
            builder = builder.add_extension(
                x509.UnrecognizedExtension(PADDING_OID, b"\x04\x82" + filler.to_bytes(2) + b"p" * filler),
                critical=False,
            )
        return builder.sign(key, hashes.SHA256()).public_bytes(Encoding.DER)

    der = build(0)
    if der_size is not None:
        filler = der_size - len(der) - 24
        der = build(filler)
        der = build(filler + der_size - len(der))
        assert len(der) == der_size, (len(der), der_size)
    return base64.b64encode(der).decode("ascii")


@cache
def _sizing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)
