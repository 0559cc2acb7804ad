"""Certificates signed through KMS, and the CA certificate profiles: root, issuer, and a tenant's signer CA.

``cryptography`` has no external-signer API, so ``sign_certificate`` builds the certificate and signs
it once with a throwaway key of the signer's algorithm: that gives the TBS bytes and the
signatureAlgorithm exactly as the real certificate needs them (the TBS names the algorithm, never
the key). KMS signs the TBS bytes, the DER certificate is assembled from the three parts, parsed
back and verified against its issuer. Nothing is returned that does not verify.

Profiles (RFC 5280): basicConstraints and keyUsage critical, subject and authority key identifiers,
a random positive 159-bit serial, notBefore a minute in the past and never before the issuer's,
notAfter never after the issuer's. The root has no pathLenConstraint (issuer and signer CAs follow
it), the issuer CA has pathLen 1 (a signer CA follows it), a signer CA pathLen 0 (it signs device
certificates only).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from astca import catalog, clock
from astca.catalog import CaError
from astca.issuance import der
from astca.issuance.kms import KmsSigner, SigningAlgorithm, SigningPublicKey
from astca.policy.names import SUBJECT_TEXT_MAX, is_subject_text

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
BACKDATE = timedelta(minutes=1)
_PRINTABLE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?")


@dataclass(frozen=True)
class CaProfile:
    """What a CA certificate of one kind says: its path length, whether it signs data, its default validity."""

    name: str
    path_length: int | None
    digital_signature: bool
    validity: timedelta


ROOT_CA = CaProfile("ROOT_CA", path_length=None, digital_signature=False, validity=timedelta(days=7305))
ISSUER_CA = CaProfile("ISSUER_CA", path_length=1, digital_signature=False, validity=timedelta(days=3653))
SIGNER_CA = CaProfile("SIGNER_CA", path_length=0, digital_signature=True, validity=timedelta(days=1826))

_throwaway_keys: dict[str, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey] = {}


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
    issuance. SignerError when KMS fails, the issuer's key is not the signer's, or the result does not
    verify.
    """
    algorithm = signer.algorithm
    draft = builder.sign(_throwaway_key(algorithm), algorithm.hash_algorithm())
    if lint is not None:
        lint(draft)
    tbs = draft.tbs_certificate_bytes
    signature_algorithm = der.signature_algorithm_of(draft.public_bytes(Encoding.DER))
    if issuer is not None and issuer.public_key() != signer.public_key():
        raise CaError(catalog.SIGNER_ERROR, "the issuer certificate does not hold the signing key")
    signature = signer.sign(tbs)
    certificate = x509.load_der_x509_certificate(der.certificate(tbs, signature_algorithm, signature))
    if certificate.tbs_certificate_bytes != tbs:  # pragma: no cover - cryptography parses what it wrote
        raise CaError(catalog.SIGNER_ERROR, "the assembled certificate does not hold the TBS that was signed")
    issuing = issuer or certificate
    try:
        certificate.verify_directly_issued_by(issuing)
    except (ValueError, TypeError, InvalidSignature) as exc:
        raise CaError(catalog.SIGNER_ERROR, f"the signed certificate does not verify ({exc})") from None
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


def ca_certificate_builder(
    profile: CaProfile,
    subject: x509.Name,
    public_key: SigningPublicKey,
    *,
    issuer: x509.Certificate | None,
    validity: timedelta,
    now: datetime,
) -> x509.CertificateBuilder:
    """A CA certificate of ``profile`` for ``public_key``, issued by ``issuer`` (None: self-issued), unsigned."""
    ski = x509.SubjectKeyIdentifier.from_public_key(public_key)
    not_before, not_after = now - BACKDATE, now + validity
    if issuer is None:
        issuer_name, aki = subject, x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)
    else:
        issuer_name, aki = issuer.subject, _authority_key_identifier(issuer)
        not_before = max(not_before, issuer.not_valid_before_utc)
        not_after = min(not_after, issuer.not_valid_after_utc)
    if not_after <= not_before or validity <= timedelta(0):
        raise CaError(catalog.SIGNER_ERROR, f"no validity left for a {profile.name} certificate")
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before.replace(microsecond=0))
        .not_valid_after(not_after.replace(microsecond=0))
        .add_extension(x509.BasicConstraints(ca=True, path_length=profile.path_length), critical=True)
        .add_extension(_ca_key_usage(profile), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(aki, critical=False)
    )


def root_ca_certificate(
    signer: KmsSigner, *, validity: timedelta = ROOT_CA.validity, now: datetime | None = None
) -> x509.Certificate:
    """The self-signed root CA certificate (CN=astca Root CA, O=astca) of ``signer``'s key."""
    builder = ca_certificate_builder(
        ROOT_CA, ROOT_CA_NAME, signer.public_key(), issuer=None, validity=validity, now=now or clock.utcnow()
    )
    return sign_certificate(builder, signer)


def issuer_ca_certificate(
    public_key: SigningPublicKey,
    root_certificate: x509.Certificate,
    root_signer: KmsSigner,
    *,
    validity: timedelta = ISSUER_CA.validity,
    now: datetime | None = None,
) -> x509.Certificate:
    """The issuer CA certificate (CN=astca Issuer CA, O=astca) of ``public_key``, signed by the root."""
    builder = ca_certificate_builder(
        ISSUER_CA,
        ISSUER_CA_NAME,
        public_key,
        issuer=root_certificate,
        validity=validity,
        now=now or clock.utcnow(),
    )
    return sign_certificate(builder, root_signer, issuer=root_certificate)


def signer_ca_certificate(
    *,
    tenant: str,
    signer_id: str,
    name: str,
    public_key: SigningPublicKey,
    issuer_certificate: x509.Certificate,
    issuer_signer: KmsSigner,
    validity: timedelta = SIGNER_CA.validity,
    now: datetime | None = None,
) -> x509.Certificate:
    """A tenant's signer CA certificate (CN=<name>, OU=<tenant>, O=astca, serialNumber=<signer id>).

    ValueError when ``name`` or ``tenant`` is not 1-64 bytes of UTF-8 a certificate can name (policy.names)
    (``is_subject_text``) or ``signer_id`` is not 1-64 PrintableString characters.
    """
    subject = signer_ca_name(tenant, signer_id, name)
    builder = ca_certificate_builder(
        SIGNER_CA,
        subject,
        public_key,
        issuer=issuer_certificate,
        validity=validity,
        now=now or clock.utcnow(),
    )
    return sign_certificate(builder, issuer_signer, issuer=issuer_certificate)


def signer_ca_name(tenant: str, signer_id: str, name: str) -> x509.Name:
    """The subject of a tenant's signer CA (ValueError for text a certificate cannot carry)."""
    for what, value in (("signer name", name), ("tenant", tenant)):
        if not is_subject_text(value):
            raise ValueError(
                f"{what} must be 1-{SUBJECT_TEXT_MAX} bytes of UTF-8 a certificate can name (policy.names)"
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


def _authority_key_identifier(issuer: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    try:
        ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.public_key())  # type: ignore[arg-type]
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def _ca_key_usage(profile: CaProfile) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=profile.digital_signature,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )
