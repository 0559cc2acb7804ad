"""Certificate use cases of the API: request (from a token or by renewal), one-time delivery, lookup.

A request is accepted in one round trip: the profile and CSR are checked in memory, then one
transaction stores it with its event, conditional on the tenant's current signer being ISSUED.
The serial, notBefore and lifetime (validityDays: 1 to the profile's maximum, by default that
maximum) are fixed here, so the worker signs the same TBS however often it runs;
the serial travels only to the worker (the internal certificate.requested event) and is shown with
the delivered certificate, never in an answer before it.
Delivery is one conditional update; the chain above the certificate comes from per-container
caches (signer certificates by id, the chains above them from ``services.trust``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from astca import catalog, clock, ids
from astca.catalog import CaError
from astca.domain.certificates import (
    CertificateRecord,
    CertificateState,
    DeviceSubject,
    IssuedCertificate,
    pem_of,
)
from astca.domain.errors import Conflict, NotFound, PreconditionFailed
from astca.domain.profiles import PROFILES, Endpoint, Profile
from astca.domain.proofs import RENEWAL_PROOF_TYPE, REVOCATION_PROOF_TYPE
from astca.domain.serials import new_serial
from astca.domain.signers import SignerState
from astca.identity.principal import Principal
from astca.services.active_signer import refusal
from astca.settings import get_settings
from astca.storage import items
from astca.storage.certificates import SUPERSEDED, CertificateRepository
from astca.storage.dynamo import Table
from astca.storage.signers import SignerRepository

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.x509 import Certificate

RETRY_AFTER_SECONDS = "2"
SERIAL = re.compile(r"(0x)?[0-9a-fA-F]{1,40}")  # whole strings: fullmatch
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")


@dataclass(frozen=True)
class Lookup:
    """An issued certificate found by issuer and serial: the record, whom and when it is for, and its chain."""

    issued: IssuedCertificate
    subject: DeviceSubject
    not_before: datetime
    not_after: datetime
    chain: list[str]


@dataclass(frozen=True)
class Delivery:
    """A certificate handed out, with the chain above it (PEM)."""

    record: CertificateRecord
    certificate: str
    chain: list[str]


class SignerCertificates:
    """Signer CA certificates by id, read once per container (they never change once issued)."""

    def __init__(self, signers: SignerRepository) -> None:
        self.signers = signers
        self._pem: dict[tuple[str, str], str] = {}

    def pem(self, tenant: str, signer_id: str) -> str:
        """The signer's CA certificate (5105003 SignerError if it has none)."""
        key = (tenant, signer_id)
        if key not in self._pem:
            signer = self.signers.get(tenant, signer_id)
            if signer is None or signer.certificate is None:
                raise CaError(
                    catalog.SIGNER_ERROR, f"signer {signer_id} of tenant {tenant} has no certificate"
                )
            self._pem[key] = signer.certificate
        return self._pem[key]


class CertificateService:
    """Certificate requests, delivery and lookup."""

    def __init__(
        self,
        repository: CertificateRepository,
        signers: SignerRepository,
        *,
        enabled_profiles: frozenset[str],
        max_validity_days: Mapping[str, int],
        chain: Callable[[str, str], list[str]],
        now: Callable[[], datetime] = clock.utcnow,
    ) -> None:
        self.repository = repository
        self.signers = signers
        self.signer_certificates = SignerCertificates(signers)
        self.enabled_profiles = enabled_profiles
        self.max_validity_days = max_validity_days
        self.chain = chain
        self.now = now

    def profile(self, name: str, endpoint: Endpoint) -> Profile:
        """The profile ``name`` if this endpoint may request it (4002, 51014 BadProfile, 51015 otherwise)."""
        profile = PROFILES.get(name)
        if profile is None:
            requestable = sorted(p.name for p in PROFILES.values() if p.endpoints)
            raise CaError(catalog.MALFORMED_FIELD, f"field 'profile' must be one of {', '.join(requestable)}")
        if endpoint not in profile.endpoints:
            raise CaError(
                catalog.BAD_PROFILE, f"profile {name} cannot be requested on the {endpoint.value} endpoint"
            )
        if name not in self.enabled_profiles:
            raise CaError(catalog.UNSUPPORTED_PROFILE, f"profile {name} is not enabled for this issuer")
        return profile

    def validity_days(self, profile: Profile, requested: object) -> int:
        """The days a request lasts: ``requested``, an integer 1 to the profile's maximum (else 4002), or that maximum."""
        maximum = self.max_validity_days.get(profile.name, profile.validity.days)
        if requested is None:
            return maximum
        if type(requested) is not int or not 1 <= requested <= maximum:
            raise CaError(
                catalog.MALFORMED_FIELD,
                f"field 'validityDays' must be an integer from 1 to {maximum} (the maximum of profile {profile.name})",
            )
        return requested

    def request(
        self,
        tenant: str,
        subject: DeviceSubject,
        csr: str,
        profile_name: str,
        *,
        endpoint: Endpoint = Endpoint.REQUEST,
        renewal_of: str | None = None,
        validity_days: object = None,
        idempotency_key: str | None = None,
    ) -> CertificateRecord:
        """Check the request and store it PENDING with its event; once per ``idempotency_key``, if given.

        ``validity_days`` is the body's validityDays as sent (any JSON value; None: absent). With an
        ``idempotency_key`` it is part of the request the key is bound to, as sent: another value is
        another request (4002).
        """

        def accept() -> CertificateRecord:
            return self._request(
                tenant,
                subject,
                csr,
                profile_name,
                endpoint=endpoint,
                renewal_of=renewal_of,
                validity_days=validity_days,
            )

        if idempotency_key is None:
            return accept()
        if not IDEMPOTENCY_KEY.fullmatch(idempotency_key):
            raise CaError(
                catalog.MALFORMED_FIELD, "header 'Idempotency-Key' must be 1-255 printable ASCII characters"
            )
        # Powertools Idempotency is loaded by requests that send the header only.
        from astca.storage.idempotency import IN_PROGRESS, once  # noqa: PLC0415

        scope = f"{tenant}|{subject.user_id}|{endpoint.value}|{idempotency_key}"
        # validityDays only when sent: a key used before it existed still answers its retries.
        sent: dict[str, object] = {"csr": csr, "profile": profile_name, "renewalOf": renewal_of}
        if validity_days is not None:
            sent["validityDays"] = validity_days
        try:
            item = once(
                scope,
                sent,
                lambda: items.to_item(accept()),
            )
        except Conflict as error:
            raise CaError(catalog.MALFORMED_FIELD, error.detail) from error
        except PreconditionFailed as error:
            if error.state != IN_PROGRESS:
                raise
            raise CaError(catalog.SERVICE_UNAVAILABLE, error.detail, headers={"Retry-After": "1"}) from error
        return items.from_item(CertificateRecord, item)

    def _request(
        self,
        tenant: str,
        subject: DeviceSubject,
        csr: str,
        profile_name: str,
        *,
        endpoint: Endpoint,
        renewal_of: str | None,
        validity_days: object,
    ) -> CertificateRecord:
        # The CSR checks and the serial (cryptography, ~40 ms) are loaded by requests, not by GET and lookups.
        from astca.policy.csr import CsrPolicy, parse_csr  # noqa: PLC0415

        profile = self.profile(profile_name, endpoint)
        days = self.validity_days(profile, validity_days)
        checked = CsrPolicy().check(parse_csr(csr), profile)
        now = self.now().replace(microsecond=0)
        record = CertificateRecord(
            tenant=tenant,
            id=ids.new_ulid(),
            state=CertificateState.PENDING,
            profile=profile.name,
            serial=format(new_serial(), "x"),
            not_before=now - profile.backdate,
            subject=subject,
            created_at=now,
            updated_at=now,
            renewal_of=renewal_of,
            validity_days=days,
        )
        payload: dict[str, Any] = {
            "tenant": tenant,
            "certificateId": record.id,
            "profile": profile.name,
            "serial": record.serial,
            "notBefore": clock.rfc3339(record.not_before),
            "validityDays": days,
            "clientId": subject.client_id,
            "userId": subject.user_id,
            "publicKey": base64.b64encode(checked.spki_der).decode("ascii"),
        }
        try:
            self.repository.accept(record, event=("certificate.requested", payload))
        except PreconditionFailed as error:
            if error.state == SUPERSEDED:
                raise CaError(catalog.UNAUTHORIZED, error.detail) from error
            raise refusal(tenant, error.state) or CaError(catalog.SIGNER_ERROR, error.detail) from error
        return record

    def deliver(self, tenant: str, certificate_id: str, user_id: str) -> Delivery:
        """The certificate, once (51020 not yet, 51021 delivered, 51022 failed, 5104042 unknown)."""
        if not ids.is_ulid(certificate_id):
            raise CaError(
                catalog.CERTIFICATE_NOT_FOUND, f"tenant {tenant} has no certificate {certificate_id}"
            )
        try:
            record = self.repository.deliver(tenant, certificate_id, user_id, now=self.now())
        except NotFound as error:
            raise CaError(catalog.CERTIFICATE_NOT_FOUND, error.detail) from error
        except PreconditionFailed as error:
            if error.state == CertificateState.PENDING:
                raise CaError(
                    catalog.NOT_YET_SIGNED, error.detail, headers={"Retry-After": RETRY_AFTER_SECONDS}
                ) from error
            entry = {
                CertificateState.FAILED.value: catalog.ISSUANCE_FAILED,
                CertificateState.REVOKED.value: catalog.CERTIFICATE_REVOKED,
            }.get(str(error.state), catalog.ALREADY_DELIVERED)
            raise CaError(entry, error.detail) from error
        return Delivery(record=record, certificate=_pem(record), chain=self._chain(record))

    def revoke(self, tenant: str, certificate_id: str, reason: str) -> CertificateRecord:
        """Revoke an issued certificate of the tenant (5104042 unknown, 51024 already, 51020 / 51022 never issued)."""
        record = self.repository.get(tenant, certificate_id) if ids.is_ulid(certificate_id) else None
        if record is None:
            raise CaError(
                catalog.CERTIFICATE_NOT_FOUND, f"tenant {tenant} has no certificate {certificate_id}"
            )
        event = {
            "tenant": tenant,
            "certificateId": record.id,
            "serial": record.serial,
            "signerId": record.signer_id,
            "reason": reason,
        }
        try:
            return self.repository.revoke(
                record, reason=reason, now=self.now(), event=("certificate.revoked", event)
            )
        except PreconditionFailed as error:
            entry = {
                CertificateState.REVOKED.value: catalog.ALREADY_REVOKED,
                CertificateState.PENDING.value: catalog.NOT_YET_SIGNED,
                CertificateState.FAILED.value: catalog.ISSUANCE_FAILED,
            }.get(str(error.state), catalog.ALREADY_REVOKED)
            raise CaError(entry, error.detail) from error

    def revoke_found(self, tenant: str, issuer: str, serial: str, reason: str) -> CertificateRecord:
        """Revoke the certificate of ``issuer`` and ``serial``, in the lookup's forms (5104044 when none)."""
        return self.revoke(tenant, self._indexed(tenant, issuer, serial).id, reason)

    def find(self, tenant: str, issuer: str, serial: str) -> Lookup:
        """The issued certificate of ``issuer`` (RFC 4514 or base64 DER) and ``serial`` (hex), and its chain."""
        from cryptography import x509  # noqa: PLC0415 - lookups only

        item = self._indexed(tenant, issuer, serial)
        chain = self.chain(tenant, self.signer_certificates.pem(tenant, item.signer_id))
        certificate = x509.load_der_x509_certificate(item.certificate)
        return Lookup(
            item,
            device_subject(certificate),
            certificate.not_valid_before_utc,
            certificate.not_valid_after_utc,
            chain,
        )

    def renew(
        self,
        tenant: str,
        current: Certificate,
        csr: str,
        profile_name: str,
        *,
        proven: bool,
        proof: str | None,
        path: str,
        validity_days: object = None,
        idempotency_key: str | None = None,
    ) -> CertificateRecord:
        """A new request for the device of ``current``, an unexpired certificate of this tenant's signers.

        ``proven``: the TLS handshake proved the key of ``current``. Otherwise (a terminator's header
        carried it) ``proof`` must: a renewal proof signed by that key over this request and ``csr``.
        The renewed certificate is superseded by the new request, once (``CertificateRepository.accept``).
        """
        if not proven:
            expected = {"htm": "POST", "htu": path, "csr": renewal_csr_hash(csr)}
            self._check_proof(current, proof, typ=RENEWAL_PROOF_TYPE, what="renewal", expected=expected)
        item = self._own(tenant, current)
        signer = self.signers.get(tenant, item.signer_id)
        if (
            Endpoint.RENEW not in PROFILES[item.profile].endpoints
            or signer is None
            or signer.state is not SignerState.ISSUED
        ):
            raise _not_own()
        subject = device_subject(current)
        return self.request(
            tenant,
            subject,
            csr,
            profile_name,
            endpoint=Endpoint.RENEW,
            renewal_of=item.id,
            validity_days=validity_days,
            idempotency_key=idempotency_key,
        )

    def _indexed(self, tenant: str, issuer: str, serial: str) -> IssuedCertificate:
        """The indexed certificate of ``issuer`` and ``serial`` (4002 for a serial that is no hex; 5104044 when none)."""
        if not SERIAL.fullmatch(serial):
            raise CaError(
                catalog.MALFORMED_FIELD, "'serial' must be a hex serial number: 1-40 hex digits, 0x optional"
            )
        item = self.repository.find(tenant, issuer_name_der(issuer), serial.lower().removeprefix("0x"))
        if item is None:
            raise CaError(
                catalog.ISSUER_SERIAL_NOT_FOUND,
                f"tenant {tenant} has no certificate of that issuer and serial",
            )
        return item

    def revoke_own(
        self, tenant: str, current: Certificate, reason: str, *, proven: bool, proof: str | None, path: str
    ) -> CertificateRecord:
        """A device revokes its own certificate ``current``, proving its key as renewal does.

        ``proven``: the TLS handshake proved it. Otherwise ``proof`` must: a revocation proof (typ
        ``astca-revocation+jwt``) signed by that key, claims htm, htu (this path), reason and iat.
        """
        if not proven:
            expected = {"htm": "POST", "htu": path, "reason": reason}
            self._check_proof(current, proof, typ=REVOCATION_PROOF_TYPE, what="revocation", expected=expected)
        return self.revoke(tenant, self._own(tenant, current).id, reason)

    def _own(self, tenant: str, current: Certificate) -> IssuedCertificate:
        """The record of ``current`` if it is an unexpired, unrevoked certificate of this tenant, byte for byte (510401)."""
        from cryptography.hazmat.primitives.serialization import Encoding  # noqa: PLC0415 - mTLS callers only

        try:
            item = self.repository.find(
                tenant, current.issuer.public_bytes(), format(current.serial_number, "x")
            )
        except ValueError:
            raise _not_own() from None
        if (
            item is None
            or item.certificate != current.public_bytes(Encoding.DER)
            or not current.not_valid_before_utc <= self.now() <= current.not_valid_after_utc
            or item.state is CertificateState.REVOKED
        ):
            raise _not_own()
        return item

    def _check_proof(
        self, current: Certificate, proof: str | None, *, typ: str, what: str, expected: dict[str, str]
    ) -> None:
        """510401 unless ``proof`` is a fresh ``typ`` proof by the key of ``current`` with the ``expected`` claims."""
        # Proof checking (JWS over cryptography) is loaded by header-mode renewals only.
        from cryptography.exceptions import UnsupportedAlgorithm  # noqa: PLC0415

        from astca.jose.proof import ProofError, verify_proof  # noqa: PLC0415

        if proof is None:
            raise CaError(
                catalog.UNAUTHORIZED,
                f"a client certificate from a header needs field 'proof': a {what} proof signed by its key",
            )
        try:
            key = current.public_key()
        except (ValueError, UnsupportedAlgorithm):
            raise CaError(
                catalog.UNAUTHORIZED, "the client certificate's key cannot verify a proof"
            ) from None
        try:
            claims = verify_proof(proof, key, typ=typ, now=self.now().timestamp())
        except ProofError as error:
            raise CaError(catalog.UNAUTHORIZED, f"the {what} proof does not hold: {error}") from None
        for claim, value in expected.items():
            if claims.get(claim) != value:
                raise CaError(
                    catalog.UNAUTHORIZED, f"the {what} proof's {claim} claim does not match this request"
                )

    def _chain(self, record: CertificateRecord) -> list[str]:
        if record.signer_id is None:
            raise CaError(catalog.SIGNER_ERROR, f"certificate {record.id} names no signer")
        return self.chain(record.tenant, self.signer_certificates.pem(record.tenant, record.signer_id))


def _not_own() -> CaError:
    return CaError(
        catalog.UNAUTHORIZED,
        "the client certificate is not an unexpired, unrevoked certificate issued by a signer of this tenant",
    )


def token_subject(principal: Principal) -> DeviceSubject:
    """Whom a certificate requested with a token is for: its AST client id and user id (never the CSR's)."""
    return DeviceSubject(client_id=str(principal.client_id), user_id=str(principal.user_id))


def renewal_csr_hash(csr: str) -> str:
    """The ``csr`` claim of a renewal proof: base64url (no padding) of SHA-256 over the csr field as sent."""
    digest = hashlib.sha256(csr.encode("utf-8", "surrogatepass")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def device_subject(certificate: Certificate) -> DeviceSubject:
    """The device a certificate this CA issued names: CN is the AST client id, UID the user id."""
    from cryptography.x509.oid import NameOID  # noqa: PLC0415 - renewals and lookups only

    def one(oid: x509.ObjectIdentifier) -> str:
        values = certificate.subject.get_attributes_for_oid(oid)
        return str(values[0].value) if values else ""

    return DeviceSubject(client_id=one(NameOID.COMMON_NAME), user_id=one(NameOID.USER_ID))


def issuer_name_der(issuer: str) -> bytes:
    """The DER of an issuer name given as an RFC 4514 string or as base64 DER (4002 otherwise)."""
    from cryptography import x509  # noqa: PLC0415 - lookups only

    text = issuer.strip()
    if "=" in text and not text.endswith("="):
        try:
            return x509.Name.from_rfc4514_string(text).public_bytes()
        except ValueError:
            pass
    try:
        der = base64.b64decode(
            text + "=" * (-len(text) % 4), altchars=b"-_" if "-" in text or "_" in text else None
        )
    except (binascii.Error, ValueError):
        der = b""
    if not der.startswith(b"\x30"):
        raise CaError(
            catalog.MALFORMED_FIELD,
            "query parameter 'issuer' must be an RFC 4514 name or base64 DER of a Name",
        )
    return der


def _pem(record: CertificateRecord) -> str:
    if record.certificate is None:
        raise CaError(catalog.SIGNER_ERROR, f"certificate {record.id} has no certificate")
    return pem_of(record.certificate)


def delivery_chain(tenant: str, signer_pem: str) -> list[str]:
    """The chain handed out with a certificate of this signer (``services.trust``)."""
    # Trust material (and the hierarchy's KMS and x509 modules) is loaded by a delivery or lookup that
    # answers a chain, not by POST nor by a GET that finds the certificate unsigned.
    from astca.services.trust import trust_material  # noqa: PLC0415

    return trust_material().delivery_chain(tenant, signer_pem)


@cache
def certificate_service() -> CertificateService:
    """The certificate service of this container."""
    settings = get_settings()
    table = Table(settings.table_name)
    return CertificateService(
        CertificateRepository(table),
        SignerRepository(table),
        enabled_profiles=frozenset(settings.enabled_profiles),
        max_validity_days=settings.max_validity_days,
        chain=delivery_chain,
    )
