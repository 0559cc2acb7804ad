"""Session keys: set up by key transport, bound to their owner, opened for an encrypted request.

``create`` takes a key-transport JWE (RSA-OAEP-256 + A256GCM to the service's transport key, whose
plaintext is a fresh 256-bit key), has KMS decrypt its encrypted key, and stores the session key
wrapped by the wrapping key for ``ASTCA_SESSION_KEY_LIFETIME_SECONDS``; a key that is not 32 bytes,
or is 32 zero bytes, is 5104037. ``open`` gives the key of an id to its owner only: an unknown id, a
key past its expiry (DynamoDB's TTL deletes late) and another caller's key are one and the same
5104036 SessionKeyNotFound, so nobody learns which; a stored key KMS will not unwrap (or that is
not such a key) is 5104037.

Opened keys are cached per container (``SessionKeyCache``: at most ``CACHE_ENTRIES`` keys, least
recently used out first, none past its expiry), so a warm container serves an encrypted request
without a DynamoDB or KMS call. The owner is checked on every use, cached or not.
"""

from __future__ import annotations

import hmac
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID

from astca import catalog, clock, ids
from astca.catalog import CaError
from astca.domain.errors import Failed, Invalid
from astca.domain.sessions import SessionKeyRecord, SessionOwner
from astca.identity.principal import Principal
from astca.issuance.session_keys import SessionKeyWrapper, TransportKey
from astca.jose import jwe
from astca.settings import get_settings
from astca.storage.dynamo import Table
from astca.storage.sessions import SessionKeyRepository

CACHE_ENTRIES = 1024


@dataclass(frozen=True)
class SessionKey:
    """An opened session key: its id, owner, expiry and the 32 key bytes (never printed)."""

    id: str
    owner: SessionOwner
    expires_at: datetime
    key: bytes = field(repr=False)


class SessionKeyCache:
    """Opened session keys of this container: bounded, least recently used out first, none past its expiry."""

    def __init__(self, max_entries: int = CACHE_ENTRIES) -> None:
        self.max_entries = max_entries
        self._keys: OrderedDict[str, SessionKey] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session_key_id: str, now: datetime) -> SessionKey | None:
        """The cached key of that id, unless it has expired (then it is forgotten)."""
        with self._lock:
            found = self._keys.get(session_key_id)
            if found is None:
                return None
            if found.expires_at <= now:
                del self._keys[session_key_id]
                return None
            self._keys.move_to_end(session_key_id)
            return found

    def put(self, session_key: SessionKey) -> None:
        """Remember a key; the least recently used one goes when the cache is full."""
        with self._lock:
            self._keys[session_key.id] = session_key
            self._keys.move_to_end(session_key.id)
            while len(self._keys) > self.max_entries:
                self._keys.popitem(last=False)

    def __len__(self) -> int:
        return len(self._keys)


def token_owner(tenant: str, principal: Principal) -> SessionOwner:
    """The owner a token's caller creates a session key for in ``tenant``: its user id and AST client id."""
    return SessionOwner(tenant, str(principal.user_id), str(principal.client_id))


def session_owner(principal: Principal) -> SessionOwner | None:
    """Whom a session of this caller belongs to: the token's user and AST client id, or, over mTLS
    without a token, the client certificate's subject (UID = user id, CN = AST client id, OU = the tenant).
    """
    if principal.user_id and principal.client_id:
        return SessionOwner(principal.tenant, principal.user_id, principal.client_id)
    certificate = principal.client_certificate
    if certificate is None:
        return None
    subject = certificate.subject
    user_id = _attribute(subject, NameOID.USER_ID)
    client_id = _attribute(subject, NameOID.COMMON_NAME)
    tenant = _attribute(subject, NameOID.ORGANIZATIONAL_UNIT_NAME)
    if not (user_id and client_id) or tenant != principal.tenant:
        return None
    return SessionOwner(principal.tenant, user_id, client_id)


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    values = name.get_attributes_for_oid(oid)
    if len(values) != 1 or not isinstance(values[0].value, str):
        return None
    return values[0].value


class SessionKeyService:
    """Creates session keys from key-transport JWEs and opens them for their owners."""

    def __init__(
        self,
        repository: SessionKeyRepository,
        transport: TransportKey,
        wrapper: SessionKeyWrapper,
        *,
        lifetime: timedelta,
        cache: SessionKeyCache | None = None,
        now: Callable[[], datetime] = clock.utcnow,
    ) -> None:
        self.repository = repository
        self.transport = transport
        self.wrapper = wrapper
        self.lifetime = lifetime
        self.cache = cache if cache is not None else SessionKeyCache()
        self.now = now
        self._jwk: dict[str, Any] | None = None

    def transport_jwk(self) -> dict[str, Any]:
        """The transport key as a public JWK (kid = its RFC 7638 thumbprint), built once per container."""
        if self._jwk is None:
            try:
                self._jwk = jwe.public_jwk(self.transport.public_key())
            except (Failed, Invalid) as error:
                raise CaError(catalog.INTERNAL_ERROR, error.detail) from error
        return self._jwk

    def create(self, owner: SessionOwner, compact_jwe: str) -> SessionKeyRecord:
        """Unwrap the session key a key-transport JWE carries and store it for ``owner``; 5104037 if it cannot."""
        transport_jwk = self.transport_jwk()
        try:
            key = jwe.unwrap_key_transport(compact_jwe, transport_jwk, self.transport.decrypt)
        except jwe.JweError as error:
            raise CaError(catalog.SESSION_KEY_DECRYPTION_FAILED, str(error)) from None
        except (Failed, Invalid) as error:
            raise CaError(catalog.SESSION_KEY_DECRYPTION_FAILED, error.detail) from error
        if len(key) != jwe.KEY_BYTES:
            raise CaError(
                catalog.SESSION_KEY_DECRYPTION_FAILED, "the JWE's plaintext must be a 256-bit key (32 bytes)"
            )
        if _all_zero(key):
            raise CaError(catalog.SESSION_KEY_DECRYPTION_FAILED, "the JWE's plaintext is a key of zero bytes")
        now = self.now().replace(microsecond=0)
        session_key_id = ids.new_ulid()
        try:
            wrapped = self.wrapper.wrap(session_key_id, owner, key)
        except (Failed, Invalid) as error:
            raise CaError(catalog.INTERNAL_ERROR, error.detail) from error
        record = SessionKeyRecord(session_key_id, owner, now, now + self.lifetime, wrapped)
        self.repository.put(record)
        return record

    def open(self, session_key_id: str, owner: SessionOwner | None) -> SessionKey:
        """The session key of that id if ``owner`` holds it and it has not expired (5104036, 5104037 otherwise)."""
        not_found = CaError(catalog.SESSION_KEY_NOT_FOUND, f"no usable session key {session_key_id[:26]!r}")
        if owner is None or not ids.is_ulid(session_key_id):
            raise not_found
        now = self.now()
        cached = self.cache.get(session_key_id, now)
        if cached is not None:
            if cached.owner != owner:
                raise not_found
            return cached
        record = self.repository.get(session_key_id)
        if record is None or record.owner != owner or record.expires_at <= now:
            raise not_found
        try:
            key = self.wrapper.unwrap(record)
        except (Failed, Invalid) as error:
            raise CaError(catalog.SESSION_KEY_DECRYPTION_FAILED, error.detail) from error
        if len(key) != jwe.KEY_BYTES or _all_zero(key):
            raise CaError(
                catalog.SESSION_KEY_DECRYPTION_FAILED, "the stored session key is not a usable 256-bit key"
            )
        opened = SessionKey(record.id, owner, record.expires_at, key)
        self.cache.put(opened)
        return opened


def _all_zero(key: bytes) -> bool:
    return hmac.compare_digest(key, bytes(len(key)))


@cache
def session_service() -> SessionKeyService:
    """The session key service of this container."""
    settings = get_settings()
    return SessionKeyService(
        SessionKeyRepository(Table(settings.table_name)),
        TransportKey(settings.session_transport_key_id),
        SessionKeyWrapper(settings.session_wrapping_key_id),
        lifetime=timedelta(seconds=settings.session_key_lifetime_seconds),
    )
