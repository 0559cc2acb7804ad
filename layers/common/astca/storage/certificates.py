"""Certificate requests in the single table: each step is one round trip, decided by a condition.

- accept: one transaction of a ConditionCheck that the tenant's current signer is ISSUED, the
  PENDING record and the certificate.requested event. A failed check returns the pointer as it
  was, which names the error (no signer, not yet issued, revoked). A renewal also marks the
  certificate it renews ``supersededBy`` the new request, on condition that nothing superseded it
  before: a certificate renews once, however many copies of it or races there are.
- record_issued: one transaction of PENDING -> ISSUED (the claim: a redelivered or concurrent
  issuance finds it no longer PENDING), the signer's issued count (conditional on it still being
  ISSUED) and the certificate.issued event.
- deliver: one conditional update ISSUED -> DELIVERED that returns the old item, so exactly one
  caller gets the certificate; a refusal returns the item, which names the error.

Items: ``TENANT#{t}`` / ``CERT#{id}``; once issued also ``GSI1PK = ISSUER#{t}#{sha256(issuer DER)}``,
``GSI1SK = SERIAL#{hex}``. GSI1 projects only the profile, the signer and the certificate (the rest
is in the keys or in the certificate itself): delivering a certificate does not write the index,
and issuing one writes a single index unit. ``expiresAtEpoch`` (TTL) gives an undelivered request a
week; a delivered certificate stays until it expires.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from astca import catalog, clock
from astca.catalog import CaError
from astca.storage.certificate_records import (
    CertificateRecord,
    CertificateState,
    IssuedCertificate,
    issuer_key,
    serial_key,
)
from astca.storage.dynamo import ConditionFailed, Item, TransactionCancelled
from astca.storage.signer_records import SignerState
from astca.storage.signers import POINTER_SK, usage_sk
from astca.storage.tenancy import Event, TenantRepository

CERT_PREFIX = "CERT#"
DELIVERY_WINDOW = timedelta(days=7)


class CertificateRepository(TenantRepository):
    """Certificate requests, their certificates and their one delivery."""

    def accept(self, record: CertificateRecord, *, event: Event) -> None:
        """Store a PENDING request if the tenant's current signer is ISSUED (5104043, 51030, 51041 otherwise).

        A renewal (``record.renewal_of``) supersedes the certificate it renews, once (510401 if renewed before).
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
                raise _signer_unusable(record.tenant, cancelled.items[0]) from cancelled
            if cancelled.failed_at(3):
                renewed_by = (cancelled.items[3] or {}).get("supersededBy")
                raise CaError(
                    catalog.UNAUTHORIZED,
                    f"certificate {record.renewal_of} was renewed already (by certificate {renewed_by}): "
                    "a certificate renews once; renew from the newest one",
                ) from cancelled
            raise CaError(
                catalog.DB_ERROR, f"request not stored ({', '.join(cancelled.reasons)})"
            ) from cancelled

    def deliver(self, tenant: str, certificate_id: str, user_id: str, *, now: datetime) -> CertificateRecord:
        """ISSUED -> DELIVERED for the user who requested it, once; the record as it was issued."""
        stamp = clock.rfc3339(now)
        try:
            old = self.table.update(
                self.pk(tenant),
                f"{CERT_PREFIX}{certificate_id}",
                update="SET #state = :delivered, deliveredAt = :now, updatedAt = :now, expiresAtEpoch = notAfterEpoch",
                condition="#state = :issued AND userId = :user",
                names={"#state": "state"},
                values={
                    ":delivered": CertificateState.DELIVERED.value,
                    ":issued": CertificateState.ISSUED.value,
                    ":now": stamp,
                    ":user": user_id,
                },
                return_old=True,
            )
        except ConditionFailed as refused:
            raise _not_deliverable(tenant, certificate_id, user_id, refused.item) from refused
        return CertificateRecord.from_item(old)

    def get(self, tenant: str, certificate_id: str) -> CertificateRecord | None:
        """A request of the tenant, or None."""
        item = self.table.get(self.pk(tenant), f"{CERT_PREFIX}{certificate_id}")
        return CertificateRecord.from_item(item) if item else None

    def find(self, tenant: str, issuer_name_der: bytes, serial_hex: str) -> IssuedCertificate | None:
        """The issued certificate of ``issuer`` and ``serial`` in the tenant (one GSI read), or None."""
        items, _ = self.table.query(
            index="GSI1", pk=issuer_key(tenant, issuer_name_der), sk=serial_key(serial_hex), limit=1
        )
        return IssuedCertificate.from_index_item(items[0]) if items else None

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

        51041 SignerRevoked when the signer left ISSUED (revoked or deleted) meanwhile.
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
            condition="#state = :issued",
            names={"#state": "state"},
            values={":one": 1, ":issued": SignerState.ISSUED.value},
        )
        try:
            self.table.transact([certificate_op, signer_op, self.outbox.op(*event)])
        except TransactionCancelled as cancelled:
            if cancelled.failed_at(0):
                return False
            if cancelled.failed_at(1):
                raise CaError(
                    catalog.SIGNER_REVOKED, f"signer {signer_id} was revoked or deleted"
                ) from cancelled
            raise CaError(
                catalog.DB_ERROR, f"issuance not stored ({', '.join(cancelled.reasons)})"
            ) from cancelled
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
            raise CaError(
                catalog.DB_ERROR, f"failure not stored ({', '.join(cancelled.reasons)})"
            ) from cancelled
        return True

    def _item(self, record: CertificateRecord) -> Item:
        created = clock.parse_rfc3339(record.created_at)
        return {
            "PK": self.pk(record.tenant),
            "SK": f"{CERT_PREFIX}{record.id}",
            **record.to_item(),
            "expiresAtEpoch": int((created + DELIVERY_WINDOW).timestamp()),
        }


def _signer_unusable(tenant: str, pointer: Mapping[str, Any] | None) -> CaError:
    state = (pointer or {}).get("currentState")
    if state == SignerState.PENDING.value:
        return CaError(catalog.SIGNER_NOT_YET_ISSUED, f"the signer of tenant {tenant} is not issued yet")
    if state == SignerState.REVOKED.value:
        return CaError(catalog.SIGNER_REVOKED, f"the current signer of tenant {tenant} is revoked")
    return CaError(catalog.SIGNER_NOT_FOUND_FOR_TENANT, f"tenant {tenant} has no usable signer")


def _not_deliverable(
    tenant: str, certificate_id: str, user_id: str, item: Mapping[str, Any] | None
) -> CaError:
    if item is None or item.get("userId") != user_id:
        return CaError(catalog.CERTIFICATE_NOT_FOUND, f"tenant {tenant} has no certificate {certificate_id}")
    state = item.get("state")
    if state == CertificateState.PENDING.value:
        return CaError(
            catalog.NOT_YET_SIGNED, f"certificate {certificate_id} is not signed yet; retry shortly"
        )
    if state == CertificateState.FAILED.value:
        return CaError(
            catalog.ISSUANCE_FAILED,
            f"certificate {certificate_id} was not issued: {item.get('failureReason')}",
        )
    return CaError(
        catalog.ALREADY_DELIVERED, f"certificate {certificate_id} was delivered at {item.get('deliveredAt')}"
    )
