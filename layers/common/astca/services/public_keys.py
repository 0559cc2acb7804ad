"""Users' public keys: register, read, list, delete; the identity provider verifies users' assertions with them.

Rules:
- Registering needs a token whose ``amr`` shows a password (``PASSWORD_METHODS``; else 51050
  PasswordAuthMissing): a key bound to a user should not be added by whoever only holds, say, a
  one-time code. The key must pass ``policy.public_keys`` (4002 otherwise); its kid is its RFC 7638
  thumbprint, unique in the tenant (51051 KeyAlreadyExists, decided by a condition); its owner is the
  token's user. Without ``expiresAt`` it lives ``Settings.public_key_default_days``; an ``expiresAt``
  not in the future or more than ``Settings.public_key_max_days`` ahead is 4002.
- Registering proves possession: ``proof`` is a compact JWS of typ ``KEY_PROOF_TYPE`` signed by the
  key's private half (``astca.jose.proof``: the alg that fits the key, ``iat`` at most 300 s old), whose
  ``sub`` is the token's user and ``tenant`` the path's. A public key alone is anyone's to copy: without
  the proof, whoever saw it could register it first and block its owner (51051), or bind it to
  themselves. A missing, stale or foreign proof is 4002, checked after the key and before any write.
  The ``public_key.registered`` event records it: ``possessionProven`` and the proof's ``proofIat``.
- A key is read by its owner, or by any caller with ``Settings.key_reader_role`` (the identity
  provider's client, usually a service account); to anyone else it does not exist (5104045). An
  expired key is 51055 KeyExpired until its record is removed, some time after it expired.
- Listing and deleting concern the caller's own keys only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from astca import catalog, clock
from astca.catalog import CaError
from astca.domain.errors import Conflict, NotFound
from astca.domain.proofs import KEY_PROOF_TYPE
from astca.domain.public_keys import PublicKey
from astca.identity.principal import Principal
from astca.settings import Settings, get_settings
from astca.storage.dynamo import Table
from astca.storage.public_keys import PublicKeyRepository, public_key_filters

if TYPE_CHECKING:
    from astca.policy.public_keys import JwkPolicy, PublicJwk

# RFC 8176 method names that show a password; Keycloak's password form reports "pwd".
PASSWORD_METHODS = frozenset({"pwd"})
KID = re.compile(r"[A-Za-z0-9_-]{43}")  # an RFC 7638 SHA-256 thumbprint


class PublicKeyService:
    """Public key use cases of the HTTP API."""

    def __init__(
        self,
        repository: PublicKeyRepository,
        policy: Callable[[], JwkPolicy],
        *,
        default_lifetime: timedelta,
        max_lifetime: timedelta,
        reader_role: str,
        now: Callable[[], datetime] = clock.utcnow,
    ) -> None:
        self.repository = repository
        self.policy = policy
        self.default_lifetime = default_lifetime
        self.max_lifetime = max_lifetime
        self.reader_role = reader_role
        self.now = now

    @classmethod
    def of(
        cls, repository: PublicKeyRepository, settings: Settings, policy: Callable[[], JwkPolicy]
    ) -> PublicKeyService:
        """The service as the settings configure it."""
        return cls(
            repository,
            policy,
            default_lifetime=timedelta(days=settings.public_key_default_days),
            max_lifetime=timedelta(days=settings.public_key_max_days),
            reader_role=settings.key_reader_role,
        )

    def register(
        self,
        tenant: str,
        principal: Principal,
        jwk: Mapping[str, Any],
        expires_at: str | None,
        *,
        proof: str | None,
    ) -> PublicKey:
        """Register the caller's public key, whose ``proof`` shows the caller holds it (51050, 4002, 51051)."""
        owner = _user(principal)
        if not PASSWORD_METHODS.intersection(principal.amr):
            shown = ", ".join(principal.amr) or "none"
            raise CaError(
                catalog.PASSWORD_AUTH_MISSING,
                f"registering a key needs a password login; the token's amr is [{shown}]",
            )
        accepted = self.policy().check(jwk)
        now = self.now()
        proven_at = _check_proof(proof, accepted, tenant=tenant, owner=owner, now=now)
        now = now.replace(microsecond=0)
        key = PublicKey(
            tenant=tenant,
            kid=accepted.thumbprint,
            jwk=accepted.jwk,
            owner=owner,
            kty=accepted.kty,
            crv=accepted.crv,
            created_at=now,
            expires_at=self._expiry(expires_at, now),
        )
        event = {
            "tenant": key.tenant,
            "kid": key.kid,
            "owner": owner,
            "kty": key.kty,
            "expiresAt": clock.rfc3339(key.expires_at),
            "possessionProven": True,  # events of keys registered before proofs were required lack it
            "proofIat": proven_at,  # the proof's signed iat: when the caller showed they hold the key
        }
        try:
            self.repository.register(key, event=("public_key.registered", event))
        except Conflict as error:
            raise CaError(catalog.KEY_ALREADY_EXISTS, error.detail) from error
        return key

    def get(self, tenant: str, principal: Principal, kid: str) -> PublicKey:
        """A key of the tenant for its owner or a key reader (5104045), unless it expired (51055)."""
        reader = self.reader_role in principal.roles
        if not reader:
            _user(principal)
        key = self.repository.get(tenant, kid) if KID.fullmatch(kid) else None
        if key is None or not (reader or key.owner == principal.user_id):
            raise CaError(catalog.KEY_NOT_FOUND, f"tenant {tenant} has no key {kid}")
        if key.expired(self.now()):
            raise CaError(catalog.KEY_EXPIRED, f"key {kid} expired at {clock.rfc3339(key.expires_at)}")
        return key

    def page(
        self,
        tenant: str,
        principal: Principal,
        *,
        limit: str | None,
        token: str | None,
        filter_text: str | None,
    ) -> tuple[list[PublicKey], str | None]:
        """One page of the caller's keys (5104003 BadPagination, 5104004 BadFilter)."""
        # The filter language and the cursors are loaded by the list function only.
        from astca.services.lists import list_errors, parse_limit  # noqa: PLC0415
        from astca.storage.filters import parse_filter  # noqa: PLC0415

        owner = _user(principal)
        with list_errors():
            return self.repository.page(
                tenant,
                owner,
                limit=parse_limit(limit),
                token=token,
                where=parse_filter(filter_text, public_key_filters()),
            )

    def delete(self, tenant: str, principal: Principal, kid: str) -> None:
        """Delete one of the caller's keys (5104045 for any other kid)."""
        owner = _user(principal)
        if not KID.fullmatch(kid):
            raise CaError(catalog.KEY_NOT_FOUND, f"you have no key {kid} in tenant {tenant}")
        event = {"tenant": tenant, "kid": kid, "owner": owner}
        try:
            self.repository.delete(tenant, kid, owner, event=("public_key.deleted", event))
        except NotFound as error:
            raise CaError(catalog.KEY_NOT_FOUND, error.detail) from error

    def _expiry(self, requested: str | None, now: datetime) -> datetime:
        """When a key registered ``now`` expires: as requested (to the second) or after the default lifetime."""
        if requested is None:
            return now + self.default_lifetime
        try:
            moment = clock.parse_rfc3339(requested).replace(microsecond=0)
        except (ValueError, OverflowError):
            raise CaError(catalog.MALFORMED_FIELD, "field 'expiresAt' is not an RFC 3339 timestamp") from None
        if moment <= now:
            raise CaError(catalog.MALFORMED_FIELD, "field 'expiresAt' is not in the future")
        latest = now + self.max_lifetime
        if moment > latest:
            raise CaError(
                catalog.MALFORMED_FIELD,
                f"field 'expiresAt' is more than {self.max_lifetime.days} days ahead (latest {clock.rfc3339(latest)})",
            )
        return moment


def _check_proof(proof: str | None, key: PublicJwk, *, tenant: str, owner: str, now: datetime) -> int:
    """The ``iat`` of ``proof``, a fresh key proof signed by ``key`` for ``owner`` in ``tenant`` (else 4002)."""
    from astca.jose.proof import ProofError, verify_proof  # noqa: PLC0415 - registrations only

    if proof is None:
        raise CaError(
            catalog.MALFORMED_FIELD,
            f"field 'proof' is required: a compact JWS of typ {KEY_PROOF_TYPE!r} signed by the key, "
            "with claims sub (your user id), tenant and iat",
        )
    try:
        claims = verify_proof(proof, key.public_key, typ=KEY_PROOF_TYPE, now=now.timestamp())
    except ProofError as error:
        raise CaError(catalog.MALFORMED_FIELD, f"field 'proof': {error}") from None
    if claims.get("sub") != owner:
        raise CaError(
            catalog.MALFORMED_FIELD,
            f"field 'proof': the proof is for another user: its sub is {catalog.echo(claims.get('sub'))}, "
            "not the token's",
        )
    if claims.get("tenant") != tenant:
        raise CaError(
            catalog.MALFORMED_FIELD,
            f"field 'proof': the proof is for another tenant: its tenant is "
            f"{catalog.echo(claims.get('tenant'))}, not {tenant!r}",
        )
    iat: int = claims["iat"]  # verify_proof checked it is a whole number of seconds
    return iat


def _user(principal: Principal) -> str:
    if not principal.user_id:
        raise CaError(catalog.MISSING_USER_ID, "the access token has no user id (sub)")
    return principal.user_id


@cache
def public_key_service() -> PublicKeyService:
    """The public key service of this container."""
    settings = get_settings()
    return PublicKeyService.of(PublicKeyRepository(Table(settings.table_name)), settings, _jwk_policy)


@cache
def _jwk_policy() -> JwkPolicy:
    """The key policy, built on first registration (it loads the weak-key list)."""
    from astca.policy.public_keys import JwkPolicy  # noqa: PLC0415 - registrations only

    return JwkPolicy()
