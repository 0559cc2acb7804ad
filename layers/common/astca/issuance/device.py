"""Device certificates: an end-entity certificate for a device's key, signed by its tenant's signer CA.

The TBS is a pure function of (profile, identity, public key, signer certificate, serial,
notBefore): the subject comes from the identity (never from a CSR), the extensions from the
profile's data, the issuer name and authority key identifier from the signer certificate. The
caller fixes the serial and notBefore when it accepts the request and stores them with the
certificate record, so a redelivered or concurrent issuance of that record signs the very same TBS:
the record is written before anything is signed, and no certificate can exist that its record does
not already describe (ECDSA signatures differ between runs, the certificate's content does not).

Profile (RFC 5280): subject ``CN=<client id>, UID=<user id>, OU=<tenant>`` (UTF8String), no
subjectAltName, basicConstraints CA:FALSE and keyUsage critical, extendedKeyUsage as the profile
lists it, subject key identifier (SHA-1 of the key, RFC 5280 method 1) and authority key identifier
(the signer's SKI); notAfter is notBefore plus the profile's validity, never after the signer's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from astca import catalog
from astca.catalog import CaError
from astca.issuance.certificates import sign_certificate
from astca.issuance.kms import KmsSigner
from astca.policy.names import SUBJECT_TEXT_MAX, is_subject_text
from astca.policy.profiles import ExtendedKeyUsageName, KeyKind, Profile

SERIAL_MIN = 1 << 63  # at least 64 significant bits: what a random 159-bit serial has but for 2^-96
SERIAL_LIMIT = 1 << 159  # positive and at most 20 octets of DER (RFC 5280 4.1.2.2)
_EXTENDED_KEY_USAGES = {
    ExtendedKeyUsageName.CLIENT_AUTH: ExtendedKeyUsageOID.CLIENT_AUTH,
    ExtendedKeyUsageName.SERVER_AUTH: ExtendedKeyUsageOID.SERVER_AUTH,
}
_CURVE_KINDS = {ec.SECP256R1.name: KeyKind.EC_P256, ec.SECP384R1.name: KeyKind.EC_P384}

DevicePublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey


@dataclass(frozen=True)
class DeviceIdentity:
    """Whom a device certificate names: the tenant, the OAuth client id and the user id (from the token)."""

    tenant: str
    client_id: str
    user_id: str

    def subject(self) -> x509.Name:
        """``CN=<client id>, UID=<user id>, OU=<tenant>`` (ValueError for text a certificate cannot carry)."""
        for what, value in (
            ("client id", self.client_id),
            ("user id", self.user_id),
            ("tenant", self.tenant),
        ):
            if not is_subject_text(value):
                raise ValueError(
                    f"{what} must be 1-{SUBJECT_TEXT_MAX} bytes of UTF-8 a certificate can name (policy.names)"
                )
        return x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, self.tenant),
                x509.NameAttribute(NameOID.USER_ID, self.user_id),
                x509.NameAttribute(NameOID.COMMON_NAME, self.client_id),
            ]
        )


def new_serial() -> int:
    """A fresh random serial for a device certificate: positive, 159 bits from the OS's CSPRNG, at least 2^63."""
    while True:
        serial = x509.random_serial_number()
        if serial >= SERIAL_MIN:
            return serial


def device_certificate(
    *,
    profile: Profile,
    identity: DeviceIdentity,
    public_key: PublicKeyTypes,
    signer_certificate: x509.Certificate,
    signer: KmsSigner,
    serial: int,
    not_before: datetime,
    lint: Callable[[x509.Certificate], None] | None,
) -> x509.Certificate:
    """The device certificate of ``profile`` for ``public_key``, signed by ``signer`` under ``signer_certificate``.

    ``lint`` sees the draft before KMS signs (``lint.pkilint_lint`` in the worker); whatever it
    raises stops issuance. ValueError when the identity, key, serial or notBefore cannot make a
    certificate of ``profile``; SignerError when the signer certificate leaves no validity or
    KMS fails.
    """
    builder = device_certificate_builder(
        profile=profile,
        identity=identity,
        public_key=public_key,
        signer_certificate=signer_certificate,
        serial=serial,
        not_before=not_before,
    )
    return sign_certificate(builder, signer, issuer=signer_certificate, lint=lint)


def device_certificate_builder(
    *,
    profile: Profile,
    identity: DeviceIdentity,
    public_key: PublicKeyTypes,
    signer_certificate: x509.Certificate,
    serial: int,
    not_before: datetime,
) -> x509.CertificateBuilder:
    """The unsigned device certificate ``device_certificate`` signs: the same inputs give the same TBS."""
    if profile.is_ca:
        raise ValueError(f"{profile.name} is a CA profile, not a device certificate profile")
    device_key = _allowed_key(profile, public_key)
    if not SERIAL_MIN <= serial < SERIAL_LIMIT:
        raise ValueError(
            "serial must be a random positive integer of 64 to 159 bits (2^63 <= serial < 2^159)"
        )
    if not_before.tzinfo is None:
        raise ValueError("not_before must be timezone-aware")
    start = not_before.astimezone(UTC).replace(microsecond=0)
    end = min(start + profile.validity, signer_certificate.not_valid_after_utc)
    if end <= start:
        raise CaError(
            catalog.SIGNER_ERROR, "the signer certificate leaves no validity for a device certificate"
        )
    builder = (
        x509.CertificateBuilder()
        .subject_name(identity.subject())
        .issuer_name(signer_certificate.subject)
        .public_key(device_key)
        .serial_number(serial)
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    )
    if profile.key_usage:
        builder = builder.add_extension(key_usage(profile.key_usage), critical=True)
    if profile.extended_key_usage:
        usages = [_EXTENDED_KEY_USAGES[usage] for usage in profile.extended_key_usage]
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    return builder.add_extension(
        x509.SubjectKeyIdentifier.from_public_key(device_key), critical=False
    ).add_extension(_authority_key_identifier(signer_certificate), critical=False)


def _key_kind(public_key: DevicePublicKey) -> KeyKind | None:
    if isinstance(public_key, rsa.RSAPublicKey):
        return KeyKind.RSA
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return KeyKind.ED25519
    return _CURVE_KINDS.get(public_key.curve.name)


def _allowed_key(profile: Profile, public_key: PublicKeyTypes) -> DevicePublicKey:
    """``public_key`` if ``profile`` allows its kind and size (the CSR policy checked it first), else ValueError."""
    if isinstance(public_key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
        kind = _key_kind(public_key)
        if kind in profile.key_kinds and (
            not isinstance(public_key, rsa.RSAPublicKey)
            or profile.rsa_min_bits <= public_key.key_size <= profile.rsa_max_bits
        ):
            return public_key
    raise ValueError(f"{profile.name} does not allow this {type(public_key).__name__}")


def _authority_key_identifier(signer_certificate: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    try:
        ski = signer_certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:
        raise CaError(catalog.SIGNER_ERROR, "the signer certificate has no subject key identifier") from None
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


KEY_USAGE_BITS = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
    "encipher_only",
    "decipher_only",
)


def key_usage(bits: Iterable[str]) -> x509.KeyUsage:
    """The keyUsage extension with exactly ``bits`` set (names as x509.KeyUsage's arguments)."""
    wanted = set(bits)
    unknown = wanted - set(KEY_USAGE_BITS)
    if unknown:
        raise ValueError(f"unknown keyUsage bits {sorted(unknown)}")
    return x509.KeyUsage(**{bit: bit in wanted for bit in KEY_USAGE_BITS})
