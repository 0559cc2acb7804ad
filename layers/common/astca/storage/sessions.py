"""Session keys at rest: one item per key, the key itself only ever stored wrapped by a KMS key.

Item ``PK=SESSION#{id}``, ``SK=SESSION`` (the architecture's shape: a key is read by its id alone,
one GetItem, and sessions spread over partitions instead of crowding their tenant's) with the owner
(``tenant``, ``userId``, ``clientId``), ``createdAt``, ``expiresAt`` and ``expiresAtEpoch`` (the
table's TTL, which deletes late: readers treat an item past ``expiresAt`` as absent) and ``wrappedKey``,
the KMS Encrypt ciphertext of the 32-byte key (``astca.issuance.session_keys`` wraps and unwraps it).
"""

from __future__ import annotations

from astca.domain.sessions import SessionKeyRecord
from astca.storage import items
from astca.storage.dynamo import ConditionFailed, Table

SESSION_PREFIX = "SESSION#"
SESSION_SK = "SESSION"


class SessionKeyRepository:
    """Session key items: written once, read by id."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def put(self, record: SessionKeyRecord) -> None:
        """Store a new session key (its id is fresh: the condition only guards against a collision)."""
        item = {
            "PK": f"{SESSION_PREFIX}{record.id}",
            "SK": SESSION_SK,
            **items.to_item(record),
            "expiresAtEpoch": int(record.expires_at.timestamp()),
        }
        try:
            self.table.put(item, condition="attribute_not_exists(PK)")
        except ConditionFailed as refused:
            if refused.item != item:  # not our own write, retried after its answer was lost
                raise

    def get(self, session_key_id: str) -> SessionKeyRecord | None:
        """The stored key of that id (expired or not), or None."""
        # Consistent: a key is used right after it was created, from another function.
        item = self.table.get(f"{SESSION_PREFIX}{session_key_id}", SESSION_SK)
        return items.from_item(SessionKeyRecord, item) if item else None
