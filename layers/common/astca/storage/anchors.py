"""Each tenant's trust anchor, one item at ``TENANT#{t}`` / ``ANCHOR``, written in two conditional steps.

First ``claim`` records the anchor's KMS key (``attribute_not_exists``: of two workers one key wins),
then ``complete`` adds the certificates once, conditional on that key and on there being none yet,
with its ``tenant_anchor.created`` event in the same transaction. Neither step is ever undone: the
anchor outlives every signer of the tenant. Both steps are safe to retry after a lost answer: a
refusal that finds the caller's own key (or its own certificate) is the caller's own write.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from astca import clock
from astca.domain.ca import TenantAnchor
from astca.domain.errors import Conflict
from astca.domain.events import Event
from astca.storage import items
from astca.storage.dynamo import ConditionFailed, TransactionCancelled
from astca.storage.tenancy import TenantRepository

ANCHOR_SK = "ANCHOR"


class AnchorRepository(TenantRepository):
    """Reads and writes tenants' anchor items."""

    def get(self, tenant: str) -> TenantAnchor | None:
        """The tenant's anchor as stored (maybe only its key), or None."""
        item = self.table.get(self.pk(tenant), ANCHOR_SK)
        return items.from_item(TenantAnchor, item) if item else None

    def claim(self, tenant: str, key_id: str, *, now: datetime) -> TenantAnchor:
        """Record ``key_id`` as the tenant's anchor key unless one is recorded; the anchor stored afterwards."""
        anchor = TenantAnchor(tenant=tenant, key_id=key_id, created_at=now.replace(microsecond=0))
        try:
            self.table.put(self._item(anchor), condition="attribute_not_exists(PK)")
        except ConditionFailed as refused:
            if refused.item is None:  # pragma: no cover - DynamoDB returns the item that refused
                stored = self.get(tenant)
                if stored is None:
                    raise Conflict("tenant anchor", "the anchor item vanished while it was claimed") from None
                return stored
            return items.from_item(TenantAnchor, refused.item)
        return anchor

    def complete(
        self, anchor: TenantAnchor, *, certificate: str, cross_certificate: str, event: Event
    ) -> TenantAnchor:
        """Store the anchor's certificates once, with their event; the anchor stored afterwards.

        Conditional on the anchor's key and on no certificate yet: a concurrent worker that completed
        first wins, and its certificates are returned.
        """
        values: dict[str, Any] = {
            ":key": anchor.key_id,
            ":certificate": certificate,
            ":cross": cross_certificate,
            ":now": clock.rfc3339(clock.utcnow()),
        }
        op = self.table.update_op(
            self.pk(anchor.tenant),
            ANCHOR_SK,
            update="SET certificate = :certificate, crossCertificate = :cross, completedAt = :now",
            condition="keyId = :key AND attribute_not_exists(certificate)",
            values=values,
        )
        try:
            self.table.transact([op, self.outbox.op(*event)])
        except TransactionCancelled as cancelled:
            if not cancelled.failed_at(0):
                raise cancelled.outcome("tenant anchor") from cancelled
            stored = self.get(anchor.tenant)
            if stored is None or stored.certificate is None:
                raise Conflict("tenant anchor", "the anchor changed while it was completed") from cancelled
            return stored
        return TenantAnchor(
            tenant=anchor.tenant,
            key_id=anchor.key_id,
            created_at=anchor.created_at,
            certificate=certificate,
            cross_certificate=cross_certificate,
        )

    def _item(self, anchor: TenantAnchor) -> dict[str, Any]:
        return {"PK": self.pk(anchor.tenant), "SK": ANCHOR_SK, "type": "anchor", **items.to_item(anchor)}
