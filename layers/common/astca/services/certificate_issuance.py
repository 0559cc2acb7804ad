"""The issue_certificate worker's use case: sign a PENDING request with the tenant's signer.

Two AWS round trips with warm caches: KMS Sign, then one transaction that moves the request
PENDING -> ISSUED (the claim: a redelivered or concurrent run finds it taken and stops), counts it
on the signer (conditional on the signer still being ISSUED) and writes certificate.issued. The
message carries everything the certificate needs (public key, identity, serial, notBefore and
validityDays fixed at acceptance), so the worker reads nothing; the tenant's signer comes from
``services.active_signer`` (cached per container, looked up again once if it was revoked or rotated
away). A run that loses the claim has signed the very same TBS as the winner, so no certificate exists that the record does not
describe.

Failures: a permanent one (lint, a KMS refusal, no usable signer) moves the request to FAILED with the
reason (certificate.failed); a ``Transient`` one (KMS, DynamoDB or SQS throttled, a 5xx, no answer)
is raised, so the message goes back to its queue and is tried again.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from cryptography.hazmat.primitives.serialization import Encoding, load_der_public_key

from astca import catalog, clock
from astca.catalog import CaError
from astca.domain.certificates import CertificateRecord, CertificateState, DeviceSubject
from astca.domain.errors import DomainError, PreconditionFailed, Transient
from astca.domain.profiles import PROFILES
from astca.issuance.device import DeviceIdentity, device_certificate
from astca.issuance.kms import KmsSigner
from astca.issuance.lint import pkilint_lint
from astca.services.active_signer import ActiveSigner, ActiveSigners, active_signers, refusal
from astca.settings import ca_locations, get_settings
from astca.storage.certificates import CertificateRepository
from astca.storage.dynamo import Table

if TYPE_CHECKING:
    from cryptography.x509 import Certificate

logger = Logger()

# (request, signer) -> the signed certificate
CertificateSigner = Callable[[CertificateRecord, bytes, ActiveSigner], "Certificate"]


class CertificateIssuance:
    """Issues accepted certificate requests."""

    def __init__(
        self,
        repository: CertificateRepository,
        signers: ActiveSigners,
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
        try:
            return self.signers.signing(
                record.tenant,
                lambda signer: self._store(record, self.sign(record, public_key, signer), signer),
            )
        except Transient:
            raise  # back to the queue: a retry may succeed
        except CaError as error:
            return self._fail(record, error)
        except PreconditionFailed as error:
            signer_gone = refusal(record.tenant, error.state) if error.subject == "signer" else None
            return self._fail(record, signer_gone or _signer_error(error))
        except DomainError as error:
            return self._fail(record, _signer_error(error))

    def _store(
        self, record: CertificateRecord, certificate: Certificate, signer: ActiveSigner
    ) -> CertificateState:
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


def _signer_error(error: DomainError) -> CaError:
    return CaError(catalog.SIGNER_ERROR, error.detail)


def record_of(request: Mapping[str, Any]) -> CertificateRecord:
    """The PENDING record a certificate.requested event describes."""
    not_before = clock.parse_rfc3339(str(request["notBefore"]))
    validity_days = request.get("validityDays")  # absent in messages from before it was chosen
    return CertificateRecord(
        tenant=str(request["tenant"]),
        id=str(request["certificateId"]),
        state=CertificateState.PENDING,
        profile=str(request["profile"]),
        serial=str(request["serial"]),
        not_before=not_before,
        subject=DeviceSubject(client_id=str(request["clientId"]), user_id=str(request["userId"])),
        created_at=not_before,
        updated_at=not_before,
        validity_days=None if validity_days is None else int(validity_days),
    )


@cache
def certificate_issuance() -> CertificateIssuance:
    """The worker's use case of this container: KMS-signed, linted device certificates."""
    settings = get_settings()
    table = Table(settings.table_name)
    locations = ca_locations(settings)

    def sign(record: CertificateRecord, public_key: bytes, signer: ActiveSigner) -> Certificate:
        try:
            return device_certificate(
                profile=PROFILES[record.profile],
                identity=DeviceIdentity(record.tenant, record.subject.client_id, record.subject.user_id),
                public_key=load_der_public_key(public_key),
                signer_certificate=signer.certificate,
                signer_id=signer.id,
                signer=KmsSigner(signer.key_id),
                serial=int(record.serial, 16),
                not_before=record.not_before,
                locations=locations,
                lint=pkilint_lint,
                validity=None if record.validity_days is None else timedelta(days=record.validity_days),
            )
        except ValueError as exc:
            raise CaError(catalog.SIGNER_ERROR, f"the certificate cannot be built: {exc}") from exc

    return CertificateIssuance(CertificateRepository(table), active_signers(), sign)
