"""The issue_certificate worker's use case: sign a PENDING request with the tenant's signer.

Two AWS round trips with warm caches: KMS Sign, then one transaction that moves the request
PENDING -> ISSUED (the claim: a redelivered or concurrent run finds it taken and stops), counts it
on the signer (conditional on the signer still being ISSUED) and writes certificate.issued. The
message carries everything the certificate needs (public key, identity, serial, notBefore fixed at
acceptance), so the worker reads nothing; the tenant's current signer (id, key, certificate) is
cached per container for a minute. A run that loses the claim has signed the very same TBS as the
winner, so no certificate exists that the record does not describe.

Failures: a lint or KMS failure, or no usable signer, moves the request to FAILED with the reason
(certificate.failed); database and queue failures are raised so the message is retried.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from astca import catalog, clock
from astca.catalog import CaError
from astca.policy.profiles import PROFILES
from astca.settings import get_settings
from astca.storage.certificate_records import CertificateRecord, CertificateState, DeviceSubject
from astca.storage.certificates import CertificateRepository
from astca.storage.dynamo import Table
from astca.storage.signer_records import SignerState
from astca.storage.signers import SignerRepository

if TYPE_CHECKING:
    from cryptography.x509 import Certificate

logger = Logger()

SIGNER_CACHE_SECONDS = 60
TRANSIENT = frozenset({catalog.DB_ERROR, catalog.KAFKA_ERROR})


@dataclass(frozen=True)
class ActiveSigner:
    """The signer that signs a tenant's certificates: its id, KMS key and CA certificate."""

    id: str
    key_id: str
    certificate: Certificate


class CurrentSigners:
    """The current signer of each tenant, cached per container for ``ttl`` seconds."""

    def __init__(self, signers: SignerRepository, *, ttl: float = SIGNER_CACHE_SECONDS) -> None:
        self.signers = signers
        self.ttl = ttl
        self._cache: dict[str, tuple[float, ActiveSigner]] = {}

    def get(self, tenant: str) -> ActiveSigner:
        """The tenant's current, issued signer (51041 / 5104043 / 51030 when there is none)."""
        cached = self._cache.get(tenant)
        if cached and time.monotonic() - cached[0] < self.ttl:
            return cached[1]
        active = self._load(tenant)
        self._cache[tenant] = (time.monotonic(), active)
        return active

    def forget(self, tenant: str) -> None:
        """Drop the cached signer (it was revoked or rotated away)."""
        self._cache.pop(tenant, None)

    def _load(self, tenant: str) -> ActiveSigner:
        from cryptography import x509  # noqa: PLC0415 - worker only

        pointer = self.signers.pointer(tenant)
        signer = self.signers.get(tenant, pointer.current_id) if pointer and pointer.current_id else None
        if signer is None:
            raise CaError(catalog.SIGNER_NOT_FOUND_FOR_TENANT, f"tenant {tenant} has no signer")
        if signer.state is SignerState.REVOKED:
            raise CaError(catalog.SIGNER_REVOKED, f"signer {signer.id} of tenant {tenant} is revoked")
        if signer.state is not SignerState.ISSUED or not signer.certificate or not signer.kms_key_id:
            raise CaError(
                catalog.SIGNER_NOT_YET_ISSUED, f"signer {signer.id} of tenant {tenant} is not issued"
            )
        certificate = x509.load_pem_x509_certificate(signer.certificate.encode("ascii"))
        return ActiveSigner(id=signer.id, key_id=signer.kms_key_id, certificate=certificate)


# (request, signer) -> the signed certificate
CertificateSigner = Callable[[CertificateRecord, bytes, ActiveSigner], "Certificate"]


class CertificateIssuance:
    """Issues accepted certificate requests."""

    def __init__(
        self,
        repository: CertificateRepository,
        signers: CurrentSigners,
        sign: CertificateSigner,
        *,
        now: Callable[[], datetime] = clock.utcnow,
    ) -> None:
        self.repository = repository
        self.signers = signers
        self.sign = sign
        self.now = now

    def issue(self, request: Mapping[str, Any]) -> CertificateState:
        """Issue the request a certificate.requested event carries; the state it ends in."""
        record = record_of(request)
        public_key = base64.b64decode(str(request["publicKey"]))
        for attempt in (1, 2):
            try:
                signer = self.signers.get(record.tenant)
                certificate = self.sign(record, public_key, signer)
                return self._store(record, certificate, signer)
            except CaError as error:
                if error.entry in TRANSIENT:
                    raise
                if attempt == 1:
                    # The cached signer may have been revoked (its key disabled), deleted or rotated
                    # away since it was cached: look the current one up again and sign once more.
                    self.signers.forget(record.tenant)
                    continue
                return self._fail(record, error)
        raise AssertionError("unreachable")  # pragma: no cover

    def _store(
        self, record: CertificateRecord, certificate: Certificate, signer: ActiveSigner
    ) -> CertificateState:
        from cryptography.hazmat.primitives.serialization import Encoding  # noqa: PLC0415

        event = {
            "tenant": record.tenant,
            "certificateId": record.id,
            "profile": record.profile,
            "serial": record.serial,
            "signerId": signer.id,
            "notAfter": clock.rfc3339(certificate.not_valid_after_utc),
        }
        stored = self.repository.record_issued(
            record,
            certificate=certificate.public_bytes(Encoding.DER),
            signer_id=signer.id,
            issuer_name_der=signer.certificate.subject.public_bytes(),
            not_after=certificate.not_valid_after_utc,
            now=self.now(),
            event=("certificate.issued", event),
        )
        if stored:
            return CertificateState.ISSUED
        logger.info("request was no longer pending", extra={"certificateId": record.id})
        current = self.repository.get(record.tenant, record.id)
        return current.state if current else CertificateState.FAILED

    def _fail(self, record: CertificateRecord, error: CaError) -> CertificateState:
        logger.error(
            "certificate issuance failed", extra={"certificateId": record.id, "errorName": error.entry.name}
        )
        reason = f"{error.entry.name}: {error.detail}"
        event = {"tenant": record.tenant, "certificateId": record.id, "reason": reason}
        self.repository.record_failed(
            record, reason=reason, now=self.now(), event=("certificate.failed", event)
        )
        return CertificateState.FAILED


def record_of(request: Mapping[str, Any]) -> CertificateRecord:
    """The PENDING record a certificate.requested event describes."""
    return CertificateRecord(
        tenant=str(request["tenant"]),
        id=str(request["certificateId"]),
        state=CertificateState.PENDING,
        profile=str(request["profile"]),
        serial=str(request["serial"]),
        not_before=str(request["notBefore"]),
        subject=DeviceSubject(client_id=str(request["clientId"]), user_id=str(request["userId"])),
        created_at=str(request["notBefore"]),
        updated_at=str(request["notBefore"]),
    )


@cache
def certificate_issuance() -> CertificateIssuance:
    """The worker's use case of this container: KMS-signed, linted device certificates."""
    from cryptography.hazmat.primitives.serialization import load_der_public_key  # noqa: PLC0415

    from astca.issuance.device import DeviceIdentity, device_certificate  # noqa: PLC0415
    from astca.issuance.kms import KmsSigner  # noqa: PLC0415
    from astca.issuance.lint import pkilint_lint  # noqa: PLC0415

    table = Table(get_settings().table_name)

    def sign(record: CertificateRecord, public_key: bytes, signer: ActiveSigner) -> Certificate:
        try:
            return device_certificate(
                profile=PROFILES[record.profile],
                identity=DeviceIdentity(record.tenant, record.subject.client_id, record.subject.user_id),
                public_key=load_der_public_key(public_key),
                signer_certificate=signer.certificate,
                signer=KmsSigner(signer.key_id),
                serial=int(record.serial, 16),
                not_before=clock.parse_rfc3339(record.not_before),
                lint=pkilint_lint,
            )
        except ValueError as exc:
            raise CaError(catalog.SIGNER_ERROR, f"the certificate cannot be built: {exc}") from exc

    return CertificateIssuance(CertificateRepository(table), CurrentSigners(SignerRepository(table)), sign)
