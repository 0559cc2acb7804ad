"""Certificates signed through KMS: the one builder every certificate kind goes through, and the CA certificates.

``certificate_builder`` turns a profile (``astca.domain.profiles``: root, issuer and signer CA, the
device profiles) into an unsigned certificate; nothing else says what a certificate holds. For every
profile: basicConstraints critical (cA and pathLenConstraint as the profile says), keyUsage critical
with the profile's bits, extendedKeyUsage (not critical) when the profile lists any, subject key
identifier (SHA-1 of the key, RFC 5280 method 1), authority key identifier (the issuer's subject
key identifier; a root's own), then, as the caller gives them, subjectAltName (not critical: the
subject is never empty) and authorityInfoAccess caIssuers (where the issuer's certificate is served,
``astca.domain.locations``), in that order. notBefore is the one the caller gives, in whole
seconds (a CA: the moment it is made less the profile's backdate; a device: the one fixed when its
request was accepted and stored in its record, so the certificate says what the record says);
notAfter is notBefore plus the profile's validity (or the lifetime a request chose), never after the issuer's.

``cryptography`` has no external-signer API, so ``sign_certificate`` builds the certificate and signs
it once with a throwaway key of the signer's algorithm: that gives the TBS bytes and the
signatureAlgorithm exactly as the real certificate needs them (the TBS names the algorithm, never
the key). KMS signs the TBS bytes, the DER certificate is assembled from the three parts, parsed
back and verified against its issuer. Nothing is returned that does not verify.

Failures are typed outcomes (``astca.domain.errors``): KMS's through ``issuance.kms``
(``Transient("kms")``: retry; ``Failed("kms")``), a hierarchy whose certificates and keys disagree
``Invalid("ca hierarchy")``, an issuer that leaves no validity ``PreconditionFailed("ca hierarchy")``,
a certificate that does not verify ``Invalid("certificate")``. Inputs that cannot make a certificate
of the profile (a key it does not allow, a serial out of range, text a certificate cannot name) are
ValueError, raised before KMS is asked anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from astca import clock
from astca.domain.errors import Invalid, PreconditionFailed
from astca.domain.names import SUBJECT_TEXT_MAX, is_subject_text
from astca.domain.profiles import (
    ISSUER_CA,
    ROOT_CA,
    SIGNER_CA,
    TENANT_ROOT_CA,
    ExtendedKeyUsageName,
    KeyKind,
    KeyUsageName,
    Profile,
)
from astca.domain.serials import is_serial, new_serial
from astca.issuance import der
from astca.issuance.kms import KmsSigner, SigningAlgorithm, SigningPublicKey

ORGANIZATION = "astca"
ROOT_CA_NAME = x509.Name(
    [
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
        x509.NameAttribute(NameOID.COMMON_NAME, "astca Root CA"),
    ]
)
ISSUER_CA_NAME = x509.Name(
    [
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
        x509.NameAttribute(NameOID.COMMON_NAME, "astca Issuer CA"),
    ]
)
_PRINTABLE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?")
_EXTENDED_KEY_USAGES = {
    ExtendedKeyUsageName.CLIENT_AUTH: ExtendedKeyUsageOID.CLIENT_AUTH,
    ExtendedKeyUsageName.SERVER_AUTH: ExtendedKeyUsageOID.SERVER_AUTH,
}
_CURVE_KINDS = {ec.SECP256R1.name: KeyKind.EC_P256, ec.SECP384R1.name: KeyKind.EC_P384}

CertifiedKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey

_throwaway_keys: dict[str, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey] = {}


# ---------------------------------------------------------------------------------------- the builder


def certificate_builder(
    profile: Profile,
    *,
    subject: x509.Name,
    public_key: PublicKeyTypes,
    issuer: x509.Certificate | None,
    serial: int,
    not_before: datetime,
    validity: timedelta | None = None,
    alt_names: Sequence[x509.GeneralName] = (),
    ca_issuers: str | None = None,
) -> x509.CertificateBuilder:
    """The unsigned certificate of ``profile`` for ``public_key``, issued by ``issuer`` (None: self-issued).

    ``alt_names`` become the subjectAltName, ``ca_issuers`` the AIA caIssuers URI (both left out when empty).

    A pure function of its inputs: the same inputs give the same TBS; ``validity`` is notAfter less
    notBefore (None: the profile's), cut at the issuer's notAfter. ValueError when the profile
    does not allow the key, the serial is not 2^63 <= serial < 2^159 or ``not_before`` is naive;
    ``PreconditionFailed("ca hierarchy")`` when the issuer leaves no validity; ``Invalid("ca
    hierarchy")`` when the issuer has no subject key identifier.
    """
    key = allowed_key(profile, public_key)
    if not is_serial(serial):
        raise ValueError(
            "serial must be a random positive integer of 64 to 159 bits (2^63 <= serial < 2^159)"
        )
    start, end = _validity(profile, not_before, issuer, validity)
    ski = x509.SubjectKeyIdentifier.from_public_key(key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject if issuer is None else issuer.subject)
        .public_key(key)
        .serial_number(serial)
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(
            x509.BasicConstraints(ca=profile.is_ca, path_length=profile.path_length), critical=True
        )
    )
    if profile.key_usage:
        builder = builder.add_extension(key_usage(profile.key_usage), critical=True)
    if profile.extended_key_usage:
        usages = [_EXTENDED_KEY_USAGES[usage] for usage in profile.extended_key_usage]
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    builder = builder.add_extension(ski, critical=False).add_extension(
        authority_key_identifier(issuer, ski), critical=False
    )
    if alt_names:
        builder = builder.add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
    if ca_issuers:
        access = x509.AccessDescription(
            x509.oid.AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(ca_issuers)
        )
        builder = builder.add_extension(x509.AuthorityInformationAccess([access]), critical=False)
    return builder


def validity(
    profile: Profile,
    not_before: datetime,
    issuer: x509.Certificate | None,
    lifetime: timedelta | None = None,
) -> tuple[datetime, datetime]:
    """notBefore and notAfter of a ``profile`` certificate: ``not_before`` as given (whole seconds, UTC)
    and that plus ``lifetime`` (None: the profile's validity), never after the issuer's notAfter.

    notBefore is not moved up to the issuer's: a device certificate must say the notBefore its record
    was given when the request was accepted, and a CA's (made now, less the backdate) is never before
    an issuer that already exists. ValueError for a naive ``not_before`` or a ``lifetime`` that is not
    positive whole seconds; ``PreconditionFailed("ca hierarchy", state="expired")`` when the issuer
    ends before the certificate could start: it can issue nothing more.
    """
    if not_before.tzinfo is None:
        raise ValueError("not_before must be timezone-aware")
    if lifetime is not None and (lifetime <= timedelta(0) or lifetime.microseconds):
        raise ValueError("the lifetime must be positive whole seconds")
    start = not_before.astimezone(UTC).replace(microsecond=0)
    end = start + (profile.validity if lifetime is None else lifetime)
    if issuer is not None:
        end = min(end, issuer.not_valid_after_utc)
    if end <= start:
        raise PreconditionFailed(
            "ca hierarchy",
            f"no validity left for a {profile.name} certificate: its issuer ends "
            f"{clock.rfc3339(end)}, before {clock.rfc3339(start)}",
            state="expired",
        )
    return start, end


_validity = validity  # certificate_builder's ``validity`` parameter hides the function's name


def key_usage(bits: Iterable[str]) -> x509.KeyUsage:
    """The keyUsage extension with exactly ``bits`` set (``KeyUsageName`` values; ValueError for others)."""
    wanted = set(bits)
    unknown = wanted - set(KeyUsageName)
    if unknown:
        raise ValueError(f"unknown keyUsage bits {sorted(unknown)}")
    return x509.KeyUsage(**{bit.value: bit in wanted for bit in KeyUsageName})


def authority_key_identifier(
    issuer: x509.Certificate | None, own: x509.SubjectKeyIdentifier
) -> x509.AuthorityKeyIdentifier:
    """The AKI of a certificate issued by ``issuer``: its subject key identifier (``own`` when self-issued).

    ``Invalid("ca hierarchy")`` when the issuer has none (RFC 5280 4.2.1.2: a CA certificate MUST).
    """
    if issuer is None:
        return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(own)
    try:
        ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:
        raise Invalid(
            "ca hierarchy",
            f"the issuer certificate ({issuer.subject.rfc4514_string()}) has no subject key identifier",
        ) from None
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def allowed_key(profile: Profile, public_key: PublicKeyTypes) -> CertifiedKey:
    """``public_key`` if ``profile`` allows its kind and size (the CSR policy checked it first), else ValueError."""
    if isinstance(public_key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
        kind = _key_kind(public_key)
        if kind in profile.key_kinds and (
            not isinstance(public_key, rsa.RSAPublicKey)
            or profile.rsa_min_bits <= public_key.key_size <= profile.rsa_max_bits
        ):
            return public_key
    raise ValueError(f"{profile.name} does not allow this {type(public_key).__name__}")


def _key_kind(public_key: CertifiedKey) -> KeyKind | None:
    if isinstance(public_key, rsa.RSAPublicKey):
        return KeyKind.RSA
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return KeyKind.ED25519
    return _CURVE_KINDS.get(public_key.curve.name)


# ---------------------------------------------------------------------------------------- signing


def sign_certificate(
    builder: x509.CertificateBuilder,
    signer: KmsSigner,
    *,
    issuer: x509.Certificate | None = None,
    lint: Callable[[x509.Certificate], None] | None = None,
) -> x509.Certificate:
    """The certificate ``builder`` describes, signed by ``signer``'s KMS key and verified against ``issuer``.

    Without ``issuer`` the certificate must be self-signed (a root). ``lint`` sees the draft (the very
    TBS that KMS will sign, under a throwaway signature) before KMS is asked; whatever it raises stops
    issuance (``lint.pkilint_lint`` raises ``Invalid("certificate")``). KMS failures are
    ``Transient("kms")`` or ``Failed("kms")``; ``Invalid("ca hierarchy")`` when the issuer
    certificate does not hold the signer's key (the stored CA and its key disagree), checked before
    KMS signs; ``Invalid("certificate")`` when the signed certificate does not verify against its
    issuer (its issuer name is not the issuer's subject, say).
    """
    algorithm = signer.algorithm
    draft = builder.sign(_throwaway_key(algorithm), algorithm.hash_algorithm())
    if lint is not None:
        lint(draft)
    tbs = draft.tbs_certificate_bytes
    signature_algorithm = der.signature_algorithm_of(draft.public_bytes(Encoding.DER))
    if issuer is not None and issuer.public_key() != signer.public_key():
        raise Invalid("ca hierarchy", "the issuer certificate does not hold the signing key")
    signature = signer.sign(tbs)
    certificate = x509.load_der_x509_certificate(der.certificate(tbs, signature_algorithm, signature))
    if certificate.tbs_certificate_bytes != tbs:  # pragma: no cover - cryptography parses what it wrote
        raise Invalid("certificate", "the assembled certificate does not hold the TBS that was signed")
    issuing = issuer or certificate
    try:
        certificate.verify_directly_issued_by(issuing)
    except (ValueError, TypeError, InvalidSignature) as exc:
        raise Invalid("certificate", f"the signed certificate does not verify ({exc})") from None
    return certificate


def _throwaway_key(algorithm: SigningAlgorithm) -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
    """A local key, made once per container, whose signatures are thrown away (RSA's size is not in the TBS)."""
    kind = algorithm.key_spec if algorithm.is_ec else "RSA"
    key = _throwaway_keys.get(kind)
    if key is None:
        if kind == "RSA":
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            key = ec.generate_private_key(ec.SECP384R1() if kind == "ECC_NIST_P384" else ec.SECP256R1())
        _throwaway_keys[kind] = key
    return key


# ---------------------------------------------------------------------------------------- CA certificates


def ca_certificate(
    profile: Profile,
    subject: x509.Name,
    public_key: SigningPublicKey,
    *,
    issuer: x509.Certificate | None,
    issuer_signer: KmsSigner,
    now: datetime | None = None,
    ca_issuers: str | None = None,
) -> x509.Certificate:
    """A CA certificate of ``profile``, made ``now`` (notBefore ``now`` less the profile's backdate), signed.

    ``issuer`` None: self-signed by ``issuer_signer``, whose key must be ``public_key``; ``ca_issuers``:
    where the issuer's certificate is served (AIA; a self-signed certificate has none). ValueError
    when ``profile`` is not a CA profile or does not allow the key; the failures of ``validity`` and
    ``sign_certificate`` otherwise.
    """
    if not profile.is_ca:
        raise ValueError(f"{profile.name} is not a CA profile")
    builder = certificate_builder(
        profile,
        subject=subject,
        public_key=public_key,
        issuer=issuer,
        serial=new_serial(),
        not_before=(now or clock.utcnow()) - profile.backdate,
        ca_issuers=ca_issuers,
    )
    return sign_certificate(builder, issuer_signer, issuer=issuer)


def root_ca_certificate(
    signer: KmsSigner, *, profile: Profile = ROOT_CA, now: datetime | None = None
) -> x509.Certificate:
    """The self-signed root CA certificate (CN=astca Root CA, O=astca) of ``signer``'s key (``ca_certificate``)."""
    return ca_certificate(
        profile, ROOT_CA_NAME, signer.public_key(), issuer=None, issuer_signer=signer, now=now
    )


def issuer_ca_certificate(
    public_key: SigningPublicKey,
    root_certificate: x509.Certificate,
    root_signer: KmsSigner,
    *,
    profile: Profile = ISSUER_CA,
    now: datetime | None = None,
    ca_issuers: str | None = None,
) -> x509.Certificate:
    """The issuer CA certificate (CN=astca Issuer CA, O=astca) of ``public_key``, signed by the root."""
    return ca_certificate(
        profile,
        ISSUER_CA_NAME,
        public_key,
        issuer=root_certificate,
        issuer_signer=root_signer,
        now=now,
        ca_issuers=ca_issuers,
    )


def tenant_root_certificate(
    tenant: str, signer: KmsSigner, *, profile: Profile = TENANT_ROOT_CA, now: datetime | None = None
) -> x509.Certificate:
    """A tenant's trust anchor: self-signed by ``signer``'s key (``tenant_root_name``; ValueError for a bad tenant)."""
    return ca_certificate(
        profile, tenant_root_name(tenant), signer.public_key(), issuer=None, issuer_signer=signer, now=now
    )


def cross_certificate(
    anchor: x509.Certificate,
    issuer_certificate: x509.Certificate,
    issuer_signer: KmsSigner,
    *,
    profile: Profile = TENANT_ROOT_CA,
    now: datetime | None = None,
    ca_issuers: str | None = None,
) -> x509.Certificate:
    """The platform issuer's certificate of a tenant anchor: its subject and key, so the anchor's signers chain to the platform root too."""
    public_key = anchor.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise ValueError("a tenant anchor holds an EC or RSA key")
    return ca_certificate(
        profile,
        anchor.subject,
        public_key,
        issuer=issuer_certificate,
        issuer_signer=issuer_signer,
        now=now,
        ca_issuers=ca_issuers,
    )


def tenant_root_name(tenant: str) -> x509.Name:
    """The subject of a tenant's anchor: CN=Tenant Root CA, OU=<tenant>, O=astca (ValueError for a bad tenant)."""
    if not is_subject_text(tenant):
        raise ValueError(
            f"tenant must be 1-{SUBJECT_TEXT_MAX} bytes of UTF-8 a certificate can name (domain.names)"
        )
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, tenant),
            x509.NameAttribute(NameOID.COMMON_NAME, "Tenant Root CA"),
        ]
    )


def signer_ca_certificate(
    *,
    tenant: str,
    signer_id: str,
    name: str,
    public_key: SigningPublicKey,
    issuer_certificate: x509.Certificate,
    issuer_signer: KmsSigner,
    profile: Profile = SIGNER_CA,
    now: datetime | None = None,
    ca_issuers: str | None = None,
) -> x509.Certificate:
    """A tenant's signer CA certificate (CN=<name>, OU=<tenant>, O=astca, serialNumber=<signer id>).

    ValueError when ``name`` or ``tenant`` is not 1-64 bytes of UTF-8 a certificate can name
    (``astca.domain.names``) or ``signer_id`` is not 1-64 PrintableString characters; the failures
    of ``ca_certificate`` otherwise.
    """
    subject = signer_ca_name(tenant, signer_id, name)
    return ca_certificate(
        profile,
        subject,
        public_key,
        issuer=issuer_certificate,
        issuer_signer=issuer_signer,
        now=now,
        ca_issuers=ca_issuers,
    )


def signer_ca_name(tenant: str, signer_id: str, name: str) -> x509.Name:
    """The subject of a tenant's signer CA (ValueError for text a certificate cannot carry)."""
    for what, value in (("signer name", name), ("tenant", tenant)):
        if not is_subject_text(value):
            raise ValueError(
                f"{what} must be 1-{SUBJECT_TEXT_MAX} bytes of UTF-8 a certificate can name (domain.names)"
            )
    if not 0 < len(signer_id) <= SUBJECT_TEXT_MAX or not set(signer_id) <= _PRINTABLE:
        raise ValueError("signer id must be 1-64 PrintableString characters")
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, tenant),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, signer_id),
        ]
    )
