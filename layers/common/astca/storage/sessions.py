"""Session keys at rest: one item per key, the key itself only ever stored wrapped by a KMS key.

Item ``PK=SESSION#{id}``, ``SK=SESSION`` (the architecture's shape: a key is read by its id alone,
one GetItem, and sessions spread over partitions instead of crowding their tenant's) with the owner
(``tenant``, ``userId``, ``clientId``), ``createdAt``, ``expiresAt`` and ``expiresAtEpoch`` (the
table's TTL, which deletes late: readers treat an item past ``expiresAt`` as absent) and ``wrappedKey``,
the KMS Encrypt ciphertext of the 32-byte key under the wrapping key with an encryption context
binding purpose, tenant, session key id, user id and client id. An item whose owner was changed no
longer unwraps: KMS refuses the context.

The transport key (RSA, ENCRYPT_DECRYPT) decrypts the encrypted key of a key-transport JWE with
RSAES_OAEP_SHA_256; its private half never leaves KMS. Its public key is read once per container.
KMS refusing a ciphertext, or failing to decrypt one, is 5104037 SessionKeyDecryptionFailed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from botocore.exceptions import BotoCoreError, ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from astca import aws, catalog, clock
from astca.catalog import CaError, ErrorEntry
from astca.storage.dynamo import Item, Table

SESSION_PREFIX = "SESSION#"
SESSION_SK = "SESSION"
PURPOSE = "astca-session-key"
TRANSPORT_ALGORITHM: Literal["RSAES_OAEP_SHA_256"] = "RSAES_OAEP_SHA_256"


@dataclass(frozen=True)
class SessionOwner:
    """Whom a session key belongs to: a user of a tenant on one AST client (app installation)."""

    tenant: str
    user_id: str
    client_id: str


@dataclass(frozen=True)
class SessionKeyRecord:
    """A stored session key: its owner, lifetime and the key as the wrapping key encrypted it."""

    id: str
    owner: SessionOwner
    created_at: datetime
    expires_at: datetime
    wrapped_key: bytes

    def to_item(self) -> Item:
        """The table item."""
        return {
            "PK": f"{SESSION_PREFIX}{self.id}",
            "SK": SESSION_SK,
            "tenant": self.owner.tenant,
            "userId": self.owner.user_id,
            "clientId": self.owner.client_id,
            "createdAt": clock.rfc3339(self.created_at),
            "expiresAt": clock.rfc3339(self.expires_at),
            "expiresAtEpoch": int(self.expires_at.timestamp()),
            "wrappedKey": self.wrapped_key,
        }

    @classmethod
    def from_item(cls, item: Mapping[str, object]) -> SessionKeyRecord:
        """The record of a table item."""
        return cls(
            id=str(item["PK"]).removeprefix(SESSION_PREFIX),
            owner=SessionOwner(str(item["tenant"]), str(item["userId"]), str(item["clientId"])),
            created_at=clock.parse_rfc3339(str(item["createdAt"])),
            expires_at=clock.parse_rfc3339(str(item["expiresAt"])),
            wrapped_key=bytes(item["wrappedKey"]),  # type: ignore[call-overload]  # boto3's Binary
        )


def encryption_context(session_key_id: str, owner: SessionOwner) -> dict[str, str]:
    """What the wrapped key is bound to (KMS checks it on every unwrap; IAM conditions name its keys)."""
    return {
        "purpose": PURPOSE,
        "tenant": owner.tenant,
        "sessionKeyId": session_key_id,
        "userId": owner.user_id,
        "clientId": owner.client_id,
    }


class SessionKeyRepository:
    """Session key items: written once, read by id; wrapping and unwrapping through the wrapping key."""

    def __init__(self, table: Table, wrapping_key_id: str | None) -> None:
        self.table = table
        self.wrapping_key_id = wrapping_key_id

    def create(
        self, session_key_id: str, owner: SessionOwner, key: bytes, *, now: datetime, expires_at: datetime
    ) -> SessionKeyRecord:
        """Wrap ``key`` (KMS Encrypt with the context) and store it under a new id."""
        if not self.wrapping_key_id:
            raise CaError(catalog.INTERNAL_ERROR, "no session wrapping key is configured")
        with kms_errors("Encrypt", catalog.INTERNAL_ERROR):
            wrapped = aws.kms().encrypt(
                KeyId=self.wrapping_key_id,
                Plaintext=key,
                EncryptionContext=encryption_context(session_key_id, owner),
            )["CiphertextBlob"]
        record = SessionKeyRecord(session_key_id, owner, now, expires_at, wrapped)
        self.table.put(record.to_item(), condition="attribute_not_exists(PK)")
        return record

    def get(self, session_key_id: str) -> SessionKeyRecord | None:
        """The stored key of that id (expired or not), or None."""
        # Consistent: a key is used right after it was created, from another function.
        item = self.table.get(f"{SESSION_PREFIX}{session_key_id}", SESSION_SK)
        return SessionKeyRecord.from_item(item) if item else None

    def unwrap(self, record: SessionKeyRecord) -> bytes:
        """The plaintext key of ``record`` (KMS Decrypt with its context); 5104037 if KMS refuses."""
        context = encryption_context(record.id, record.owner)
        with kms_errors("Decrypt", catalog.SESSION_KEY_DECRYPTION_FAILED):
            if self.wrapping_key_id:  # a symmetric ciphertext names its key; when known, insist on it
                response = aws.kms().decrypt(
                    KeyId=self.wrapping_key_id, CiphertextBlob=record.wrapped_key, EncryptionContext=context
                )
            else:
                response = aws.kms().decrypt(CiphertextBlob=record.wrapped_key, EncryptionContext=context)
        return response["Plaintext"]


class TransportKey:
    """The service's key-transport key in KMS (RSA, ENCRYPT_DECRYPT): its public half and CEK decryption."""

    def __init__(self, key_id: str | None) -> None:
        self.key_id = key_id
        self._public: rsa.RSAPublicKey | None = None

    def public_key(self) -> rsa.RSAPublicKey:
        """The public key (GetPublicKey once per container)."""
        if self._public is None:
            with kms_errors("GetPublicKey", catalog.INTERNAL_ERROR):
                response = aws.kms().get_public_key(KeyId=self._key_id())
            public = serialization.load_der_public_key(response["PublicKey"])
            if not isinstance(public, rsa.RSAPublicKey) or response.get("KeyUsage") != "ENCRYPT_DECRYPT":
                raise CaError(
                    catalog.INTERNAL_ERROR, "the session transport key is not an RSA encryption key"
                )
            self._public = public
        return self._public

    def decrypt(self, encrypted_key: bytes) -> bytes:
        """KMS Decrypt with RSAES_OAEP_SHA_256; 5104037 when KMS cannot decrypt it."""
        with kms_errors("Decrypt", catalog.SESSION_KEY_DECRYPTION_FAILED):
            response = aws.kms().decrypt(
                KeyId=self._key_id(), CiphertextBlob=encrypted_key, EncryptionAlgorithm=TRANSPORT_ALGORITHM
            )
        return response["Plaintext"]

    def _key_id(self) -> str:
        if not self.key_id:
            raise CaError(catalog.INTERNAL_ERROR, "no session transport key is configured")
        return self.key_id


@contextmanager
def kms_errors(operation: str, entry: ErrorEntry) -> Iterator[None]:
    """Turn a KMS client failure into ``entry``, naming the operation and KMS's error code."""
    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        raise CaError(entry, f"KMS {operation} failed ({code})") from exc
    except BotoCoreError as exc:
        raise CaError(entry, f"KMS {operation} failed (no answer)") from exc
