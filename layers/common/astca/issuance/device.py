"""Device certificates: an end-entity certificate for a device's key, signed by its tenant's signer CA.

The TBS is a pure function of (profile, identity, public key, signer certificate, serial,
notBefore, validity, locations): the subject comes from the identity (never from a CSR), the
extensions from the profile's data through the one builder (``certificates.certificate_builder``),
the issuer name and authority key identifier from the signer certificate. The caller fixes the
serial, notBefore and validity when it accepts the request (``astca.domain.serials.new_serial``,
the profile's ``backdate``, the lifetime asked for) and stores them with the certificate record, so
a redelivered or concurrent issuance of that record
signs the very same TBS: the record is written before anything is signed, and no certificate can
exist that its record does not already describe (ECDSA signatures differ between runs, the
certificate's content does not).

Profile (RFC 5280): subject ``CN=<client id>, UID=<user id>, OU=<tenant>`` (UTF8String),
basicConstraints CA:FALSE and keyUsage critical, extendedKeyUsage as the profile lists it, subject
key identifier and authority key identifier (the signer's SKI), a subjectAltName URI that names the
device within its tenant (``CaLocations.device``: relying parties such as cryptography's verifier
require a SAN) and AIA caIssuers where the signer's certificate is served; notAfter is notBefore
plus the validity fixed at acceptance (the profile's maximum unless the request asked for less),
never after the signer's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.x509.oid import NameOID

from astca.domain.locations import CaLocations
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

    def uri(self, locations: CaLocations) -> str:
        """The subjectAltName URI that names this device within its tenant."""
        return locations.device(self.tenant, self.client_id, self.user_id)


def device_certificate(
    *,
    profile: Profile,
    identity: DeviceIdentity,
    public_key: PublicKeyTypes,
    signer_certificate: x509.Certificate,
    signer_id: str,
    signer: KmsSigner,
    serial: int,
    not_before: datetime,
    locations: CaLocations,
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
        signer_id=signer_id,
        serial=serial,
        not_before=not_before,
        locations=locations,
        validity=validity,
    )
    return sign_certificate(builder, signer, issuer=signer_certificate, lint=lint)


def device_certificate_builder(
    *,
    profile: Profile,
    identity: DeviceIdentity,
    public_key: PublicKeyTypes,
    signer_certificate: x509.Certificate,
    signer_id: str,
    serial: int,
    not_before: datetime,
    locations: CaLocations,
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
        alt_names=[x509.UniformResourceIdentifier(identity.uri(locations))],
        ca_issuers=locations.tenant_certificate(identity.tenant, signer_id),
    )
