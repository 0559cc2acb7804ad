"""Certificate requests in the single table: each step is one round trip, decided by a condition.

- accept: one transaction of a ConditionCheck that the tenant's current signer is ISSUED, the
  PENDING record and the certificate.requested event. A failed check returns the pointer as it
  was: ``PreconditionFailed("signer", state=...)`` carries the state it found (None: no signer),
  which ``services.active_signer`` turns into its answer. A renewal also marks the
  certificate it renews ``supersededBy`` the new request, on condition that nothing superseded it
  before: a certificate renews once, however many copies of it or races there are.
- record_issued: one transaction of PENDING -> ISSUED (the claim: a redelivered or concurrent
  issuance finds it no longer PENDING), the signer's issued count (conditional on it still being
  ISSUED) and the certificate.issued event.
- deliver: one conditional update ISSUED -> DELIVERED that returns the old item, so exactly one
  caller gets the certificate; a refusal returns the item: ``NotFound``, or ``PreconditionFailed``
  with the state found. The update writes a random ``deliveryAttempt``: when botocore retries an
  update whose answer was lost (a read timeout after DynamoDB applied it), the retry is refused
  with the attempt's own mark on the item, and the delivery is still this caller's (UpdateItem,
  unlike TransactWriteItems, has no idempotency token).

Items: ``TENANT#{t}`` / ``CERT#{id}``; once issued also ``GSI1PK = ISSUER#{t}#{sha256(issuer DER)}``,
``GSI1SK = SERIAL#{hex}``. GSI1 projects only the profile, the signer, the certificate and, once
revoked, when and why (the rest is in the keys or in the certificate itself): delivering a
certificate does not write the index, and issuing one writes a single index unit.

- revoke: one transaction of ISSUED or DELIVERED (as read) -> REVOKED with the time and reason, the
  revocation record ``REVOKED#{t}#{signer id}`` / ``SERIAL#{hex}`` (what the signer's CRL lists;
  ``attribute_not_exists``, so a serial is revoked once) and the certificate.revoked event. A
  refusal says the state found (``PreconditionFailed``). ``expiresAtEpoch`` (TTL) gives an undelivered request a
week; a delivered certificate stays until it expires.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from astca import clock
from astca.domain.certificates import CertificateRecord, CertificateState, IssuedCertificate
from astca.domain.errors import NotFound, PreconditionFailed
from astca.domain.events import Event
from astca.domain.signers import SignerState
from astca.storage import items
from astca.storage.dynamo import ConditionFailed, Item, TransactionCancelled
from astca.storage.revocations import revocation_list, revocation_record
from astca.storage.signers import POINTER_SK, ROTATED, usage_sk
from astca.storage.tenancy import TenantRepository

CERT_PREFIX = "CERT#"
REVOCABLE = frozenset({CertificateState.ISSUED, CertificateState.DELIVERED})
DELIVERY_WINDOW = timedelta(days=7)
SUPERSEDED = "SUPERSEDED"  # the state a renewal finds on a certificate renewed before


def issuer_key(tenant: str, issuer_name_der: bytes) -> str:
    """The GSI1 partition of certificates of one issuer in one tenant (tenants never share a partition)."""
    return f"ISSUER#{tenant}#{hashlib.sha256(issuer_name_der).hexdigest()}"


def serial_key(serial_hex: str) -> str:
    """The GSI1 sort key of a serial number (lower-case hex without leading zeros)."""
    return f"SERIAL#{int(serial_hex, 16):x}"


class CertificateRepository(TenantRepository):
    """Certificate requests, their certificates and their one delivery."""

    def accept(self, record: CertificateRecord, *, event: Event) -> None:
        """Store a PENDING request if the tenant's current signer is ISSUED (``PreconditionFailed`` "signer" otherwise).

        A renewal (``record.renewal_of``) supersedes the certificate it renews, once (``PreconditionFailed``
        SUPERSEDED if renewed before).
        """
        pointer_check = self.table.check_op(
            self.pk(record.tenant),
            POINTER_SK,
            condition="currentState = :issued",
            values={":issued": SignerState.ISSUED.value},
        )
        operations = [
            pointer_check,
            self.table.put_op(self._item(record), condition="attribute_not_exists(PK)"),
            self.outbox.op(*event),
        ]
        if record.renewal_of is not None:
            operations.append(
                self.table.update_op(
                    self.pk(record.tenant),
                    f"{CERT_PREFIX}{record.renewal_of}",
                    update="SET supersededBy = :renewal",
                    condition="attribute_exists(certificate) AND attribute_not_exists(supersededBy)",
                    values={":renewal": record.id},
                )
            )
        try:
            self.table.transact(operations)
        except TransactionCancelled as cancelled:
            if cancelled.failed_at(0):
                state = (cancelled.items[0] or {}).get("currentState")
                raise PreconditionFailed(
                    "signer", f"the current signer of tenant {record.tenant} is {state}", state=state
                ) from cancelled
            if cancelled.failed_at(3):
                renewed_by = (cancelled.items[3] or {}).get("supersededBy")
                raise PreconditionFailed(
                    "certificate",
                    f"certificate {record.renewal_of} was renewed already (by certificate {renewed_by}): "
                    "a certificate renews once; renew from the newest one",
                    state=SUPERSEDED,
                ) from cancelled
            raise cancelled.outcome("certificate request") from cancelled

    def deliver(self, tenant: str, certificate_id: str, user_id: str, *, now: datetime) -> CertificateRecord:
        """ISSUED -> DELIVERED for the user who requested it, once; the record as it was issued."""
        stamp = clock.rfc3339(now)
        attempt = secrets.token_hex(16)
        try:
            old = self.table.update(
                self.pk(tenant),
                f"{CERT_PREFIX}{certificate_id}",
                update="SET #state = :delivered, deliveredAt = :now, updatedAt = :now, "
                "expiresAtEpoch = notAfterEpoch, deliveryAttempt = :attempt",
                condition="#state = :issued AND userId = :user",
                names={"#state": "state"},
                values={
                    ":delivered": CertificateState.DELIVERED.value,
                    ":issued": CertificateState.ISSUED.value,
                    ":now": stamp,
                    ":user": user_id,
                    ":attempt": attempt,
                },
                return_old=True,
            )
        except ConditionFailed as refused:
            if refused.item is not None and refused.item.get("deliveryAttempt") == attempt:
                return items.from_item(CertificateRecord, refused.item)  # our own update, retried
            raise _not_deliverable(tenant, certificate_id, user_id, refused.item) from refused
        return items.from_item(CertificateRecord, old)

    def revoke(
        self, record: CertificateRecord, *, reason: str, now: datetime, event: Event
    ) -> CertificateRecord:
        """ISSUED or DELIVERED (as read) -> REVOKED, with its revocation record and event; the record as revoked.

        ``PreconditionFailed("certificate", state=...)`` with the state found when it changed since it
        was read or was never issued (PENDING, FAILED, REVOKED).
        """
        if record.state not in REVOCABLE or record.signer_id is None:
            raise _not_revocable(record, record.state)
        stamp = clock.rfc3339(now)
        certificate_op = self.table.update_op(
            self.pk(record.tenant),
            f"{CERT_PREFIX}{record.id}",
            update="SET #state = :revoked, revokedAt = :now, revocationReason = :reason, updatedAt = :now",
            condition="#state = :was",
            names={"#state": "state"},
            values={
                ":revoked": CertificateState.REVOKED.value,
                ":now": stamp,
                ":reason": reason,
                ":was": record.state.value,
            },
        )
        revocation_op = self.table.put_op(
            revocation_record(
                revocation_list(record.tenant, record.signer_id),
                serial=record.serial,
                subject_id=record.id,
                reason=reason,
                revoked_at=now,
                not_after=record.not_after,
            ),
            condition="attribute_not_exists(PK)",
        )
        try:
            self.table.transact([certificate_op, revocation_op, self.outbox.op(*event)])
        except TransactionCancelled as cancelled:
            if cancelled.failed_at(0) or cancelled.failed_at(1):
                found = (cancelled.items[0] or {}).get("state", CertificateState.REVOKED.value)
                raise _not_revocable(record, CertificateState(found)) from cancelled
            raise cancelled.outcome("revocation") from cancelled
        return dataclasses.replace(
            record,
            state=CertificateState.REVOKED,
            revoked_at=clock.parse_rfc3339(stamp),
            revocation_reason=reason,
            updated_at=clock.parse_rfc3339(stamp),
        )

    def get(self, tenant: str, certificate_id: str) -> CertificateRecord | None:
        """A request of the tenant, or None."""
        item = self.table.get(self.pk(tenant), f"{CERT_PREFIX}{certificate_id}")
        return items.from_item(CertificateRecord, item) if item else None

    def find(self, tenant: str, issuer_name_der: bytes, serial_hex: str) -> IssuedCertificate | None:
        """The issued certificate of ``issuer`` and ``serial`` in the tenant (one GSI read), or None."""
        found, _ = self.table.query(
            index="GSI1", pk=issuer_key(tenant, issuer_name_der), sk=serial_key(serial_hex), limit=1
        )
        return _indexed(found[0]) if found else None

    def record_issued(
        self,
        record: CertificateRecord,
        *,
        certificate: bytes,
        signer_id: str,
        issuer_name_der: bytes,
        not_after: datetime,
        now: datetime,
        event: Event,
    ) -> bool:
        """PENDING -> ISSUED with the certificate, counted on the signer; False if no longer PENDING.

        ``PreconditionFailed`` "signer" when the signer left ISSUED (revoked or deleted) meanwhile, or
        a successor took over from it (state ``ROTATED``: sign with the current signer instead).
        """
        stamp = clock.rfc3339(now)
        certificate_op = self.table.update_op(
            self.pk(record.tenant),
            f"{CERT_PREFIX}{record.id}",
            update=(
                "SET #state = :issued, certificate = :certificate, signerId = :signer, issuedAt = :now,"
                " updatedAt = :now, notAfter = :notAfter, notAfterEpoch = :notAfterEpoch,"
                " GSI1PK = :issuerKey, GSI1SK = :serialKey"
            ),
            condition="#state = :pending",
            names={"#state": "state"},
            values={
                ":issued": CertificateState.ISSUED.value,
                ":pending": CertificateState.PENDING.value,
                ":certificate": certificate,
                ":signer": signer_id,
                ":now": stamp,
                ":notAfter": clock.rfc3339(not_after),
                ":notAfterEpoch": int(not_after.timestamp()),
                ":issuerKey": issuer_key(record.tenant, issuer_name_der),
                ":serialKey": serial_key(record.serial),
            },
        )
        signer_op = self.table.update_op(
            self.pk(record.tenant),
            usage_sk(signer_id),
            update="ADD issuedCount :one",
            condition="#state = :issued AND attribute_not_exists(supersededBy)",
            names={"#state": "state"},
            values={":one": 1, ":issued": SignerState.ISSUED.value},
        )
        try:
            self.table.transact([certificate_op, signer_op, self.outbox.op(*event)])
        except TransactionCancelled as cancelled:
            if cancelled.failed_at(0):
                return False
            if cancelled.failed_at(1):
                usage = cancelled.items[1] or {}
                if usage.get("supersededBy") and usage.get("state") == SignerState.ISSUED.value:
                    raise PreconditionFailed(
                        "signer",
                        f"signer {signer_id} was succeeded by {usage['supersededBy']}",
                        state=ROTATED,
                    ) from cancelled
                state = usage.get("state", SignerState.REVOKED.value)
                raise PreconditionFailed(
                    "signer", f"signer {signer_id} was revoked or deleted", state=state
                ) from cancelled
            raise cancelled.outcome("issuance") from cancelled
        return True

    def record_failed(self, record: CertificateRecord, *, reason: str, now: datetime, event: Event) -> bool:
        """PENDING -> FAILED with the reason; False if no longer PENDING."""
        failed_op = self.table.update_op(
            self.pk(record.tenant),
            f"{CERT_PREFIX}{record.id}",
            update="SET #state = :failed, failureReason = :reason, updatedAt = :now",
            condition="#state = :pending",
            names={"#state": "state"},
            values={
                ":failed": CertificateState.FAILED.value,
                ":pending": CertificateState.PENDING.value,
                ":reason": reason[:500],
                ":now": clock.rfc3339(now),
            },
        )
        try:
            self.table.transact([failed_op, self.outbox.op(*event)])
        except TransactionCancelled as cancelled:
            if cancelled.failed_at(0):
                return False
            raise cancelled.outcome("failure") from cancelled
        return True

    def _item(self, record: CertificateRecord) -> Item:
        return {
            "PK": self.pk(record.tenant),
            "SK": f"{CERT_PREFIX}{record.id}",
            "type": "certificate",
            **items.to_item(record),
            "expiresAtEpoch": int((record.created_at + DELIVERY_WINDOW).timestamp()),
        }


def _indexed(item: Mapping[str, Any]) -> IssuedCertificate:
    """The certificate of a GSI1 item (id, tenant and serial come from its keys)."""
    return IssuedCertificate(
        tenant=str(item["PK"]).removeprefix("TENANT#"),
        id=str(item["SK"]).removeprefix(CERT_PREFIX),
        serial=str(item["GSI1SK"]).removeprefix("SERIAL#"),
        profile=item["profile"],
        signer_id=item["signerId"],
        certificate=bytes(item["certificate"]),
        state=CertificateState.REVOKED if item.get("revokedAt") else CertificateState.ISSUED,
        revoked_at=clock.parse_rfc3339(str(item["revokedAt"])) if item.get("revokedAt") else None,
        revocation_reason=str(item["revocationReason"]) if item.get("revocationReason") else None,
    )


def _not_revocable(record: CertificateRecord, state: CertificateState) -> PreconditionFailed:
    return PreconditionFailed(
        "certificate",
        f"certificate {record.id} is {state.value}: only an issued certificate is revoked",
        state=state.value,
    )


def _not_deliverable(
    tenant: str, certificate_id: str, user_id: str, item: Mapping[str, Any] | None
) -> NotFound | PreconditionFailed:
    if item is None or item.get("userId") != user_id:
        return NotFound("certificate", f"tenant {tenant} has no certificate {certificate_id}")
    state = item.get("state")
    if state == CertificateState.PENDING.value:
        detail = f"certificate {certificate_id} is not signed yet; retry shortly"
    elif state == CertificateState.FAILED.value:
        detail = f"certificate {certificate_id} was not issued: {item.get('failureReason')}"
    else:
        detail = f"certificate {certificate_id} was delivered at {item.get('deliveredAt')}"
    return PreconditionFailed("certificate", detail, state=state)
