"""Users' public keys in the single table: uniqueness per tenant decided by one condition, one transaction.

Items of a key (tenant partition ``TENANT#{t}``):

- ``KEY#{kid}``: the key, found by kid alone (the IdP reads it): the JWK as a map, owner, kty, crv,
  createdAt, expiresAt. Since the kid *is* the RFC 7638 thumbprint, this item is also the thumbprint
  guard: it is put with ``attribute_not_exists(PK)``, so of any number of concurrent registrations of
  one key in a tenant exactly one commits. A separate ``THUMBPRINT#{jkt}`` item would hold the same
  key under a second name and cost a write; it would be needed only if kids were not thumbprints.
- ``USERKEY#{owner}#{kid}``: the same attributes under the owner (percent-encoded, so a ``#`` in a
  user id cannot reach into another user's range), so that listing a user's keys is one key range
  and reads nothing of other users. It is put unconditionally: the key item alone decides.

Both are written in one TransactWriteItems with the ``public_key.registered`` outbox event, and
deleted in one with ``public_key.deleted``, conditional on the caller owning the key. Both expire
(TTL ``expiresAtEpoch``) ``RETENTION_AFTER_EXPIRY`` after the key does, so an expired key answers
410 KeyExpired for a while before it is gone (and its thumbprint free again).

Why not GSI1 for the owner's list: the index would have to project the JWK, owner and timestamps,
a projection CloudFormation cannot change in place (the index is dropped and rebuilt, certificate
lookups with it), and its reads are eventually consistent, so a key just registered could be missing
from its owner's list. The second item costs the same write an index entry would, inside the
registration's transaction, and is read consistently.
"""

from __future__ import annotations

import time
import urllib.parse
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING

from astca.domain.errors import Conflict, NotFound
from astca.domain.events import Event
from astca.domain.public_keys import CURVE_NAMES, KEY_TYPES, PublicKey
from astca.storage import items
from astca.storage.dynamo import Item, TransactionCancelled
from astca.storage.tenancy import TenantRepository

if TYPE_CHECKING:
    from astca.storage.filters import Filter, FilterSpec

KEY_PREFIX = "KEY#"
OWNER_PREFIX = "USERKEY#"
RETENTION_AFTER_EXPIRY = timedelta(days=30)
CONFLICT_ATTEMPTS = 3  # a TransactionConflict is retried: the retry sees the winner's key, or wins


@cache
def public_key_filters() -> FilterSpec:
    """What list filters may name, and how."""
    # The filter language (and the cursors) is loaded by the list function only.
    from astca.storage.filters import FieldType, FilterField, FilterSpec  # noqa: PLC0415

    return FilterSpec(
        FilterField("kty", FieldType.ENUM, values=KEY_TYPES),
        FilterField("crv", FieldType.ENUM, values=CURVE_NAMES),
        FilterField("createdAt", FieldType.TIMESTAMP),
        FilterField("expiresAt", FieldType.TIMESTAMP),
    )


def key_sk(kid: str) -> str:
    """The sort key of a key item, found by kid alone (the IdP's lookup)."""
    return f"{KEY_PREFIX}{kid}"


def owner_prefix(owner: str) -> str:
    """The sort-key prefix of one owner's list items; the owner is percent-encoded, so it holds no ``#``."""
    return f"{OWNER_PREFIX}{urllib.parse.quote(owner, safe='')}#"


def owner_sk(owner: str, kid: str) -> str:
    """The sort key of the owner's list item of a key."""
    return f"{owner_prefix(owner)}{kid}"


class PublicKeyRepository(TenantRepository):
    """Registered public keys and their owners' lists in the single table."""

    def register(self, key: PublicKey, *, event: Event) -> None:
        """Store a new key and its owner's list item; ``Conflict`` if the tenant has its thumbprint (or is registering it)."""
        item = self._item(key)
        ops = [
            self.table.put_op({**item, "SK": key_sk(key.kid)}, condition="attribute_not_exists(PK)"),
            self.table.put_op({**item, "SK": owner_sk(key.owner, key.kid)}),
            self.outbox.op(*event),
        ]
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            try:
                self.table.transact(ops)
            except TransactionCancelled as cancelled:
                if cancelled.failed_at(0):
                    raise Conflict(
                        "public key",
                        f"a key with thumbprint {key.kid} is already registered in tenant {key.tenant}",
                    ) from cancelled
                if "TransactionConflict" in cancelled.reasons and attempt < CONFLICT_ATTEMPTS:
                    time.sleep(0.02 * attempt)
                    continue
                if "TransactionConflict" in cancelled.reasons:
                    raise Conflict(
                        "public key",
                        f"a concurrent registration of the key with thumbprint {key.kid} is in progress",
                    ) from cancelled
                raise cancelled.outcome("public key") from cancelled
            return

    def get(self, tenant: str, kid: str) -> PublicKey | None:
        """A key of the tenant by kid, or None."""
        item = self.table.get(self.pk(tenant), key_sk(kid))
        return items.from_item(PublicKey, item) if item else None

    def page(
        self, tenant: str, owner: str, *, limit: int, token: str | None, where: Filter | None
    ) -> tuple[list[PublicKey], str | None]:
        """One page of the owner's keys in the tenant, in kid order; the cursor pages only this owner's list."""
        from astca.storage.listing import list_page  # noqa: PLC0415 - the cursors are loaded by lists only

        page = list_page(
            self.table,
            pk=self.pk(tenant),
            sk_prefix=owner_prefix(owner),
            limit=limit,
            token=token,
            where=where,
        )
        return [items.from_item(PublicKey, item) for item in page.items], page.next_token

    def delete(self, tenant: str, kid: str, owner: str, *, event: Event) -> None:
        """Remove the owner's key; ``NotFound`` if the tenant has no such key of this owner."""
        key_op = self.table.delete_op(
            self.pk(tenant), key_sk(kid), condition="#owner = :owner", values={":owner": owner}
        )
        key_op["Delete"]["ExpressionAttributeNames"] = {"#owner": "owner"}  # OWNER is a reserved word
        ops = [
            key_op,
            self.table.delete_op(self.pk(tenant), owner_sk(owner, kid)),
            self.outbox.op(*event),
        ]
        try:
            self.table.transact(ops)
        except TransactionCancelled as cancelled:
            if cancelled.failed_at(0):
                raise NotFound("public key", f"you have no key {kid} in tenant {tenant}") from cancelled
            raise cancelled.outcome("public key") from cancelled

    def _item(self, key: PublicKey) -> Item:
        return {
            "PK": self.pk(key.tenant),
            "type": "publicKey",
            **items.to_item(key),
            "expiresAtEpoch": retention_epoch(key.expires_at),
        }


def retention_epoch(expires_at: datetime) -> int:
    """The TTL of a key's items: ``RETENTION_AFTER_EXPIRY`` after the key expires, in epoch seconds."""
    return int((expires_at + RETENTION_AFTER_EXPIRY).timestamp())
