"""Certificate profiles as data: which keys, algorithms, validity, usages and endpoints each allows.

A profile never becomes a code path: the CSR policy, the certificate builder and the endpoints
read these fields. ``SIGNER_CA`` is the internal profile of tenant signer CAs and no endpoint may
request it (51014 BadProfile). A profile that exists and is allowed on an endpoint but is not in
``ASTCA_ENABLED_PROFILES`` is 51015 UnsupportedProfile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum


class KeyKind(StrEnum):
    """Public key types a profile may allow."""

    RSA = "RSA"
    EC_P256 = "EC_P256"
    EC_P384 = "EC_P384"
    ED25519 = "ED25519"


class Endpoint(StrEnum):
    """Where a certificate can be requested."""

    REQUEST = "request"  # POST /certificates with a token
    RENEW = "renew"  # POST /certificates/renew with the current certificate (mTLS)


class KeyUsageName(StrEnum):
    """keyUsage bits, named as cryptography's x509.KeyUsage arguments."""

    DIGITAL_SIGNATURE = "digital_signature"
    KEY_ENCIPHERMENT = "key_encipherment"
    KEY_AGREEMENT = "key_agreement"
    KEY_CERT_SIGN = "key_cert_sign"
    CRL_SIGN = "crl_sign"


class ExtendedKeyUsageName(StrEnum):
    """extendedKeyUsage purposes."""

    CLIENT_AUTH = "clientAuth"  # 1.3.6.1.5.5.7.3.2
    SERVER_AUTH = "serverAuth"  # 1.3.6.1.5.5.7.3.1


@dataclass(frozen=True)
class Profile:
    """What a certificate of this profile may be and must contain."""

    name: str
    key_kinds: frozenset[KeyKind]
    rsa_min_bits: int
    rsa_max_bits: int
    csr_hashes: frozenset[str]  # hash names of the CSR's signature (Ed25519 CSRs have none)
    validity: timedelta
    key_usage: frozenset[KeyUsageName]
    extended_key_usage: tuple[ExtendedKeyUsageName, ...]
    endpoints: frozenset[Endpoint]
    is_ca: bool = False


SHA2 = frozenset({"sha256", "sha384", "sha512"})

AST_DEVICE = Profile(
    name="AST_DEVICE",
    key_kinds=frozenset({KeyKind.EC_P256, KeyKind.EC_P384, KeyKind.ED25519, KeyKind.RSA}),
    rsa_min_bits=2048,
    rsa_max_bits=4096,
    csr_hashes=SHA2,
    validity=timedelta(days=365),
    key_usage=frozenset({KeyUsageName.DIGITAL_SIGNATURE}),
    extended_key_usage=(ExtendedKeyUsageName.CLIENT_AUTH,),
    endpoints=frozenset({Endpoint.REQUEST, Endpoint.RENEW}),
)

TLS_CLIENT_WITH_KEY = Profile(
    name="TLS_CLIENT_WITH_KEY",
    key_kinds=frozenset({KeyKind.EC_P256, KeyKind.EC_P384, KeyKind.RSA}),
    rsa_min_bits=2048,
    rsa_max_bits=4096,
    csr_hashes=SHA2,
    validity=timedelta(days=90),
    key_usage=frozenset({KeyUsageName.DIGITAL_SIGNATURE}),
    extended_key_usage=(ExtendedKeyUsageName.CLIENT_AUTH,),
    endpoints=frozenset({Endpoint.REQUEST}),
)

SIGNER_CA = Profile(
    name="SIGNER_CA",
    key_kinds=frozenset({KeyKind.EC_P256, KeyKind.EC_P384, KeyKind.RSA}),
    rsa_min_bits=2048,
    rsa_max_bits=4096,
    csr_hashes=SHA2,
    validity=timedelta(days=5 * 365),
    key_usage=frozenset({KeyUsageName.DIGITAL_SIGNATURE, KeyUsageName.KEY_CERT_SIGN, KeyUsageName.CRL_SIGN}),
    extended_key_usage=(),
    endpoints=frozenset(),
    is_ca=True,
)

PROFILES: dict[str, Profile] = {
    profile.name: profile for profile in (AST_DEVICE, TLS_CLIENT_WITH_KEY, SIGNER_CA)
}
