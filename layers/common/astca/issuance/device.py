"""Device certificates: an end-entity certificate for a device's key, signed by its tenant's signer CA.

The TBS is a pure function of (profile, identity, public key, signer certificate, serial,
notBefore, validity): the subject comes from the identity (never from a CSR), the extensions from
the profile's data through the one builder (``certificates.certificate_builder``), the issuer name
and authority key identifier from the signer certificate. The caller fixes the serial, notBefore
and validity when it accepts the request (``astca.domain.serials.new_serial``, the profile's
``backdate``, the lifetime asked for) and stores them with the certificate record, so a
redelivered or concurrent issuance of that record
signs the very same TBS: the record is written before anything is signed, and no certificate can
exist that its record does not already describe (ECDSA signatures differ between runs, the
certificate's content does not).

Profile (RFC 5280): subject ``CN=<client id>, UID=<user id>, OU=<tenant>`` (UTF8String), no
subjectAltName, basicConstraints CA:FALSE and keyUsage critical, extendedKeyUsage as the profile
lists it, subject key identifier and authority key identifier (the signer's SKI); notAfter is
notBefore plus the profile's validity, never after the signer's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.x509.oid import NameOID

from astca.domain.names import SUBJECT_TEXT_MAX, is_subject_text
from astca.domain.profiles import Profile
from astca.issuance.certificates import certificate_builder, sign_certificate
from astca.issuance.kms import KmsSigner

# new_serial lives in astca.domain.serials (no cryptography); named here until services.certificates imports it there.
__all__ = ["DeviceIdentity", "device_certificate", "device_certificate_builder"]


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
                    f"{what} must be 1-{SUBJECT_TEXT_MAX} bytes of UTF-8 a certificate can name (domain.names)"
                )
        return x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, self.tenant),
                x509.NameAttribute(NameOID.USER_ID, self.user_id),
                x509.NameAttribute(NameOID.COMMON_NAME, self.client_id),
            ]
        )


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
    validity: timedelta | None = None,
) -> x509.Certificate:
    """The device certificate of ``profile`` for ``public_key``, signed by ``signer`` under ``signer_certificate``.

    ``validity``: notAfter less notBefore (None: the profile's; never past the signer's notAfter).
    ``lint`` sees the draft before KMS signs (``lint.pkilint_lint`` in the worker: ``Invalid("certificate")``);
    whatever it raises stops issuance. ValueError when the identity, key, serial or notBefore cannot
    make a certificate of ``profile``; ``PreconditionFailed("ca hierarchy")`` when the signer
    certificate leaves no validity; the KMS and verification outcomes of ``sign_certificate``.
    """
    builder = device_certificate_builder(
        profile=profile,
        identity=identity,
        public_key=public_key,
        signer_certificate=signer_certificate,
        serial=serial,
        not_before=not_before,
        validity=validity,
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
    validity: timedelta | None = None,
) -> x509.CertificateBuilder:
    """The unsigned device certificate ``device_certificate`` signs: the same inputs give the same TBS."""
    if profile.is_ca:
        raise ValueError(f"{profile.name} is a CA profile, not a device certificate profile")
    return certificate_builder(
        profile,
        subject=identity.subject(),
        public_key=public_key,
        issuer=signer_certificate,
        serial=serial,
        not_before=not_before,
        validity=validity,
    )
