"""Certificate profiles as data: one ``Profile`` per kind of certificate astca issues, CA or device.

A profile never becomes a code path: the CSR policy (``policy.csr``, ``policy.goodkey``), the one
certificate builder (``issuance.certificates.certificate_builder``) and the endpoints read these
fields, and nothing else says what a certificate holds:

- which keys it may certify (``key_kinds``, RSA sizes) and which CSR digests it accepts;
- how long it lasts (``validity``: notAfter is notBefore plus this, never after the issuer's) and how
  far its notBefore lies before the moment it is made (``backdate``, for clocks a little behind);
- keyUsage (critical; the bits named), extendedKeyUsage (not critical; left out when empty) and
  basicConstraints (critical; ``is_ca`` and ``path_length``, None: no pathLenConstraint);
- which endpoints may request it (``endpoints``): none for the CA profiles.

The CA profiles: ``ROOT_CA`` (the platform root: self-signed, no pathLenConstraint, 20 years),
``ISSUER_CA`` (the platform issuer, pathLen 2, 10 years: it cross-certifies tenant roots, each with a
signer CA below), ``TENANT_ROOT_CA`` (a tenant's trust anchor, self-signed, and its cross-certificate
by the platform issuer: pathLen 1, 20 years, a signer CA follows it) and ``SIGNER_CA`` (a tenant's
signer CA, pathLen 0, 5 years: it signs device certificates only). No endpoint may request them (51014 BadProfile). A device profile that
exists and is allowed on an endpoint but is not in ``ASTCA_ENABLED_PROFILES`` is 51015
UnsupportedProfile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

# notBefore this long before the moment a certificate is made (a request accepted, a CA created).
BACKDATE = timedelta(minutes=1)


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
    """keyUsage bits (RFC 5280 4.2.1.3), named as cryptography's x509.KeyUsage arguments."""

    DIGITAL_SIGNATURE = "digital_signature"
    CONTENT_COMMITMENT = "content_commitment"
    KEY_ENCIPHERMENT = "key_encipherment"
    DATA_ENCIPHERMENT = "data_encipherment"
    KEY_AGREEMENT = "key_agreement"
    KEY_CERT_SIGN = "key_cert_sign"
    CRL_SIGN = "crl_sign"
    ENCIPHER_ONLY = "encipher_only"
    DECIPHER_ONLY = "decipher_only"


class ExtendedKeyUsageName(StrEnum):
    """extendedKeyUsage purposes."""

    CLIENT_AUTH = "clientAuth"  # 1.3.6.1.5.5.7.3.2
    SERVER_AUTH = "serverAuth"  # 1.3.6.1.5.5.7.3.1


@dataclass(frozen=True)
class Profile:
    """What a certificate of this profile may be and must contain (see the module docstring)."""

    name: str
    key_kinds: frozenset[KeyKind]
    rsa_min_bits: int
    rsa_max_bits: int
    csr_hashes: frozenset[str]  # hash names of the CSR's signature (Ed25519 CSRs have none)
    validity: timedelta
    key_usage: frozenset[KeyUsageName]
    extended_key_usage: tuple[ExtendedKeyUsageName, ...]
    endpoints: frozenset[Endpoint]
    is_ca: bool = False  # basicConstraints cA
    path_length: int | None = None  # basicConstraints pathLenConstraint of a CA; None: none
    backdate: timedelta = BACKDATE

    def __post_init__(self) -> None:
        if self.path_length is not None and (not self.is_ca or self.path_length < 0):
            raise ValueError(f"{self.name}: a pathLenConstraint needs a CA profile and is at least 0")
        if self.validity <= timedelta(0) or self.backdate < timedelta(0):
            raise ValueError(f"{self.name}: the validity must be positive and the backdate not negative")


SHA2 = frozenset({"sha256", "sha384", "sha512"})
# The keys of the KMS key specs a CA may have (astca.settings.CaKeySpec): P-256, P-384, RSA 2048-4096.
CA_KEY_KINDS = frozenset({KeyKind.EC_P256, KeyKind.EC_P384, KeyKind.RSA})
CA_KEY_USAGE = frozenset({KeyUsageName.KEY_CERT_SIGN, KeyUsageName.CRL_SIGN})

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

ROOT_CA = Profile(
    name="ROOT_CA",
    key_kinds=CA_KEY_KINDS,
    rsa_min_bits=2048,
    rsa_max_bits=4096,
    csr_hashes=SHA2,
    validity=timedelta(days=7305),  # 20 years of 365.25 days
    key_usage=CA_KEY_USAGE,
    extended_key_usage=(),
    endpoints=frozenset(),
    is_ca=True,
    path_length=None,  # the issuer CA and the signer CAs follow it
)

ISSUER_CA = Profile(
    name="ISSUER_CA",
    key_kinds=CA_KEY_KINDS,
    rsa_min_bits=2048,
    rsa_max_bits=4096,
    csr_hashes=SHA2,
    validity=timedelta(days=3653),  # 10 years
    key_usage=CA_KEY_USAGE,
    extended_key_usage=(),
    endpoints=frozenset(),
    is_ca=True,
    path_length=2,  # a cross-certified tenant root, then a signer CA, follow it
)

TENANT_ROOT_CA = Profile(
    name="TENANT_ROOT_CA",
    key_kinds=CA_KEY_KINDS,
    rsa_min_bits=2048,
    rsa_max_bits=4096,
    csr_hashes=SHA2,
    validity=timedelta(days=7305),  # 20 years; its cross-certificate ends with the issuer
    key_usage=CA_KEY_USAGE,
    extended_key_usage=(),
    endpoints=frozenset(),
    is_ca=True,
    path_length=1,  # a signer CA follows it
)

SIGNER_CA = Profile(
    name="SIGNER_CA",
    key_kinds=CA_KEY_KINDS,
    rsa_min_bits=2048,
    rsa_max_bits=4096,
    csr_hashes=SHA2,
    validity=timedelta(days=1826),  # 5 years
    key_usage=CA_KEY_USAGE | {KeyUsageName.DIGITAL_SIGNATURE},
    extended_key_usage=(),
    endpoints=frozenset(),
    is_ca=True,
    path_length=0,  # it signs device certificates only
)

PROFILES: dict[str, Profile] = {
    profile.name: profile
    for profile in (AST_DEVICE, TLS_CLIENT_WITH_KEY, ROOT_CA, ISSUER_CA, TENANT_ROOT_CA, SIGNER_CA)
}
