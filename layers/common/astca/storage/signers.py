"""Signers of a tenant and the tenant's current-signer pointer; every race is decided by a condition.

Items (single table): a signer at ``TENANT#{t}`` / ``SIGNER#{id}`` and the pointer at ``TENANT#{t}`` /
``CURRENT#SIGNER`` (not ``SIGNER#CURRENT``, so that listing signers is one key range). The pointer
holds the current signer's id and state, the id of a pending successor (rotation), the last
generation handed out and a version: every change of it is conditional on the version that was
read, so of two concurrent creations exactly one commits. Each state change is one transaction
with its outbox events.

A signer's issued count lives on a small usage item ``USAGE#SIGNER#{id}`` (created when the signer is
issued, its state mirrored there), not on the signer item that carries the CA certificate: the
issuance worker's transaction counts every certificate on it, and a write is billed by item size.
When a successor takes over, the same transaction marks the predecessor's usage item
(``supersededBy``): the predecessor stays ISSUED (its devices keep verifying and renewing), but a
worker that still holds it in its cache is refused its next count (``ROTATED``) and signs with the
successor instead, so no certificate is signed by a signer that is no longer current.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from astca import clock
from astca.domain.errors import Conflict, DomainError, NotFound, PreconditionFailed
from astca.domain.events import Event
from astca.domain.signers import Signer, SignerPointer, SignerState
from astca.storage import items
from astca.storage.dynamo import ConditionFailed, Item, TransactionCancelled
from astca.storage.revocations import revocation_record
from astca.storage.tenancy import TenantRepository

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

    from astca.storage.filters import Filter, FilterSpec

POINTER_SK = "CURRENT#SIGNER"
USAGE_PREFIX = "USAGE#SIGNER#"
SIGNER_PREFIX = "SIGNER#"
IN_USE = "IN_USE"  # the state a delete finds when the signer has issued certificates
ROTATED = "ROTATED"  # what the issuance worker's count finds on a signer whose successor took over


@cache
def signer_filters() -> FilterSpec:
    """What list filters may name, and how."""
    # The filter language is loaded by the reads of many signers (lists, the CA chain) only.
    from astca.storage.filters import FieldType, FilterField, FilterSpec  # noqa: PLC0415

    return FilterSpec(
        FilterField("state", FieldType.ENUM, values=tuple(SignerState)),
        FilterField("name", FieldType.STRING),
        FilterField("generation", FieldType.INT),
        FilterField("createdAt", FieldType.TIMESTAMP),
        FilterField("issuedAt", FieldType.TIMESTAMP),
    )


class SignerRepository(TenantRepository):
    """Signers and the current-signer pointer in the single table.

    Failed conditions are typed: ``Conflict`` (the pointer or the signer changed since it was read),
    ``PreconditionFailed`` (the signer is not PENDING any more, or has issued certificates: state
    ``IN_USE``) and ``NotFound`` (deleted meanwhile).
    """

    def get(self, tenant: str, signer_id: str) -> Signer | None:
        """A signer of the tenant, or None."""
        item = self.table.get(self.pk(tenant), self.sk(signer_id))
        return items.from_item(Signer, item) if item else None

    def pointer(self, tenant: str) -> SignerPointer | None:
        """The tenant's current-signer pointer, or None if it never had a signer."""
        item = self.table.get(self.pk(tenant), POINTER_SK)
        return items.from_item(SignerPointer, item) if item else None

    def page(
        self, tenant: str, *, limit: int, token: str | None, where: Filter | None
    ) -> tuple[list[Signer], str | None]:
        """One page of the tenant's signers, oldest first."""
        from astca.storage.listing import list_page  # noqa: PLC0415 - the cursors are loaded by lists only

        page = list_page(
            self.table, pk=self.pk(tenant), sk_prefix=SIGNER_PREFIX, limit=limit, token=token, where=where
        )
        return [items.from_item(Signer, item) for item in page.items], page.next_token

    def issued(self, tenant: str) -> list[Signer]:
        """Every ISSUED signer of the tenant, oldest first (all pages, no cursor)."""
        from astca.storage.filters import parse_filter  # noqa: PLC0415 - as in signer_filters

        where = parse_filter("state eq 'ISSUED'", signer_filters())
        found: list[Signer] = []
        start: Item | None = None
        while True:
            page, start = self.table.query(
                pk=self.pk(tenant),
                sk_prefix=SIGNER_PREFIX,
                start_key=start,
                where=where.to_dynamodb() if where else None,
            )
            found += [items.from_item(Signer, item) for item in page]
            if start is None:
                return found

    def create(
        self,
        signer: Signer,
        pointer: SignerPointer | None,
        *,
        rotate: bool,
        events: Sequence[Event],
    ) -> None:
        """Store a new PENDING signer and make it current (or the pending successor, when rotating).

        ``Conflict`` when the pointer changed since it was read.
        """
        if rotate:
            update = "SET pendingId = :id, lastGeneration = :generation, version = :next"
        else:
            update = (
                "SET currentId = :id, currentState = :state, lastGeneration = :generation, version = :next"
                " REMOVE pendingId"
            )
        values: dict[str, Any] = {
            ":id": signer.id,
            ":generation": signer.generation,
            ":next": (pointer.version if pointer else 0) + 1,
        }
        if not rotate:
            values[":state"] = SignerState.PENDING.value
        if pointer:
            values[":version"] = pointer.version
        pointer_op = self.table.update_op(
            self.pk(signer.tenant),
            POINTER_SK,
            update=update,
            condition="version = :version" if pointer else "attribute_not_exists(PK)",
            values=values,
        )
        signer_op = self.table.put_op(self._item(signer), condition="attribute_not_exists(PK)")
        self._commit([pointer_op, signer_op], events, failed={0: _conflict()})

    def attach_key(self, signer: Signer, key_id: str) -> bool:
        """Record the signer's KMS key unless it has one or left PENDING; whether it was recorded."""
        try:
            self.table.update(
                self.pk(signer.tenant),
                self.sk(signer.id),
                update="SET kmsKeyId = :key, updatedAt = :now",
                condition="attribute_not_exists(kmsKeyId) AND #state = :pending",
                names={"#state": "state"},
                values={
                    ":key": key_id,
                    ":now": clock.rfc3339(clock.utcnow()),
                    ":pending": SignerState.PENDING.value,
                },
            )
        except ConditionFailed as refused:
            # Our own update, retried after its answer was lost, finds our key: still ours.
            return refused.item is not None and refused.item.get("kmsKeyId") == key_id
        return True

    def mark_issued(
        self,
        signer: Signer,
        pointer: SignerPointer,
        *,
        certificate: str,
        serial: str,
        now: datetime,
        events: Sequence[Event],
    ) -> None:
        """PENDING -> ISSUED with its certificate; a pending successor becomes current."""
        stamp = clock.rfc3339(now)
        signer_op = self._transition(
            signer,
            {SignerState.PENDING},
            "SET #state = :to, certificate = :certificate, serial = :serial, issuedAt = :now, updatedAt = :now",
            {":to": SignerState.ISSUED.value, ":certificate": certificate, ":serial": serial, ":now": stamp},
        )
        if pointer.pending_id == signer.id:
            update, condition = (
                "SET currentId = :id, currentState = :state, version = :next REMOVE pendingId",
                "pendingId = :id AND version = :version",
            )
        else:
            update, condition = (
                "SET currentState = :state, version = :next",
                "currentId = :id AND version = :version",
            )
        pointer_op = self._pointer_op(signer, pointer, update, condition, SignerState.ISSUED)
        usage_op = self.table.put_op(
            {
                "PK": self.pk(signer.tenant),
                "SK": usage_sk(signer.id),
                "state": SignerState.ISSUED.value,
                "issuedCount": 0,
            },
            condition="attribute_not_exists(PK)",
        )
        ops = [signer_op, pointer_op, usage_op]
        if (
            pointer.pending_id == signer.id
            and pointer.current_id
            and pointer.current_state is SignerState.ISSUED
        ):
            ops.append(
                self.table.update_op(
                    self.pk(signer.tenant),
                    usage_sk(pointer.current_id),
                    update="SET supersededBy = :id",
                    condition="attribute_exists(PK)",
                    values={":id": signer.id},
                )
            )
        self._commit(ops, events, failed={0: _not_pending(signer), 1: _conflict()})

    def mark_failed(
        self,
        signer: Signer,
        pointer: SignerPointer | None,
        *,
        reason: str,
        now: datetime,
        events: Sequence[Event],
    ) -> None:
        """PENDING -> FAILED with the reason; the tenant may then create another signer."""
        signer_op = self._transition(
            signer,
            {SignerState.PENDING},
            "SET #state = :to, failureReason = :reason, updatedAt = :now",
            {":to": SignerState.FAILED.value, ":reason": reason[:500], ":now": clock.rfc3339(now)},
        )
        ops = [signer_op, *self._release(signer, pointer, SignerState.FAILED)]
        self._commit(ops, events, failed={0: _not_pending(signer), 1: _conflict()})

    def mark_revoked(
        self,
        signer: Signer,
        pointer: SignerPointer | None,
        *,
        reason: str,
        now: datetime,
        events: Sequence[Event],
        issuer_list: str | None = None,
    ) -> None:
        """PENDING or ISSUED (as read) -> REVOKED, its usage too; ``Conflict`` if it changed since it was read.

        An ISSUED signer is also put on its issuer's revocation list ``issuer_list``
        (``storage.revocations``), in the same transaction.
        """
        stamp = clock.rfc3339(now)
        signer_op = self._transition(
            signer,
            {signer.state},
            "SET #state = :to, revokedAt = :now, revocationReason = :reason, updatedAt = :now",
            {":to": SignerState.REVOKED.value, ":now": stamp, ":reason": reason},
        )
        ops = [signer_op]
        if signer.state is SignerState.ISSUED:
            ops.append(
                self.table.update_op(
                    self.pk(signer.tenant),
                    usage_sk(signer.id),
                    update="SET #state = :revoked",
                    condition="attribute_exists(PK)",
                    names={"#state": "state"},
                    values={":revoked": SignerState.REVOKED.value},
                )
            )
        if signer.state is SignerState.ISSUED and issuer_list and signer.serial:
            ops.append(
                self.table.put_op(
                    revocation_record(
                        issuer_list,
                        serial=signer.serial,
                        subject_id=signer.id,
                        reason=reason,
                        revoked_at=now,
                        not_after=None,
                    ),
                    condition="attribute_not_exists(PK)",
                )
            )
        ops += self._release(signer, pointer, SignerState.REVOKED)
        self._commit(ops, events, failed={index: _conflict() for index in range(len(ops))})

    def delete(self, signer: Signer, pointer: SignerPointer | None, *, events: Sequence[Event]) -> None:
        """Remove a signer that has issued nothing (``PreconditionFailed`` IN_USE otherwise), decided by a condition."""
        signer_op = self.table.delete_op(
            self.pk(signer.tenant), self.sk(signer.id), condition="attribute_exists(PK)"
        )
        usage_op = self.table.delete_op(
            self.pk(signer.tenant),
            usage_sk(signer.id),
            condition="attribute_not_exists(PK) OR issuedCount = :zero",
            values={":zero": 0},
        )
        ops = [signer_op, usage_op]
        if pointer and pointer.current_id == signer.id:
            ops.append(
                self.table.delete_op(
                    self.pk(signer.tenant),
                    POINTER_SK,
                    condition="version = :version",
                    values={":version": pointer.version},
                )
            )
        elif pointer and pointer.pending_id == signer.id:
            ops.append(
                self._pointer_op(
                    signer,
                    pointer,
                    "SET version = :next REMOVE pendingId",
                    "pendingId = :id AND version = :version",
                    None,
                )
            )
        in_use = PreconditionFailed(
            "signer", f"signer {signer.id} has issued certificates and cannot be deleted", state=IN_USE
        )
        gone = NotFound("signer", f"signer {signer.id} was deleted meanwhile")
        self._commit(ops, events, failed={0: gone, 1: in_use, 2: _conflict()})

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def sk(signer_id: str) -> str:
        """The sort key of a signer."""
        return f"{SIGNER_PREFIX}{signer_id}"

    def _transition(
        self, signer: Signer, expected: set[SignerState], update: str, values: dict[str, Any]
    ) -> TransactWriteItemTypeDef:
        allowed = {f":from{index}": state.value for index, state in enumerate(sorted(expected))}
        return self.table.update_op(
            self.pk(signer.tenant),
            self.sk(signer.id),
            update=update,
            condition=f"#state IN ({', '.join(allowed)})",
            names={"#state": "state"},
            values={**allowed, **values},
        )

    def _pointer_op(
        self, signer: Signer, pointer: SignerPointer, update: str, condition: str, state: SignerState | None
    ) -> TransactWriteItemTypeDef:
        values: dict[str, Any] = {":id": signer.id, ":version": pointer.version, ":next": pointer.version + 1}
        if state is not None:
            values[":state"] = state.value
        return self.table.update_op(
            self.pk(signer.tenant), POINTER_SK, update=update, condition=condition, values=values
        )

    def _release(
        self, signer: Signer, pointer: SignerPointer | None, state: SignerState
    ) -> list[TransactWriteItemTypeDef]:
        """The pointer change for a signer that can no longer be used (none if the pointer is elsewhere)."""
        if pointer and pointer.current_id == signer.id:
            update, condition = (
                "SET currentState = :state, version = :next",
                "currentId = :id AND version = :version",
            )
            return [self._pointer_op(signer, pointer, update, condition, state)]
        if pointer and pointer.pending_id == signer.id:
            update, condition = (
                "SET version = :next REMOVE pendingId",
                "pendingId = :id AND version = :version",
            )
            return [self._pointer_op(signer, pointer, update, condition, None)]
        return []

    def _commit(
        self,
        ops: list[TransactWriteItemTypeDef],
        events: Sequence[Event],
        *,
        failed: Mapping[int, DomainError],
    ) -> None:
        """One transaction of ``ops`` and the events; a failed condition raises the error mapped to its op."""
        try:
            self.table.transact(ops + [self.outbox.op(key, payload) for key, payload in events])
        except TransactionCancelled as cancelled:
            for index, error in failed.items():
                if index < len(ops) and cancelled.failed_at(index):
                    raise error from cancelled
            raise cancelled.outcome("signer") from cancelled

    def _item(self, signer: Signer) -> Item:
        return {
            "PK": self.pk(signer.tenant),
            "SK": self.sk(signer.id),
            "type": "signer",
            **items.to_item(signer),
        }


def usage_sk(signer_id: str) -> str:
    """The sort key of a signer's usage item (its issued count and a mirror of its state)."""
    return f"{USAGE_PREFIX}{signer_id}"


def _conflict() -> Conflict:
    return Conflict(
        "signer",
        "a concurrent operation changed the tenant's signer; check its state with a GET and retry if necessary",
    )


def _not_pending(signer: Signer) -> PreconditionFailed:
    return PreconditionFailed("signer", f"signer {signer.id} is no longer PENDING", state=signer.state.value)
