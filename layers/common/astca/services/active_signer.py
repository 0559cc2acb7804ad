"""Which signer signs for tenant t now, and may it? Answered here and nowhere else.

The tenant's current-signer pointer names the signer; its state decides, by one table
(``OUTCOMES``): ISSUED signs; PENDING is 51030 SignerNotYetIssued; REVOKED is 51041 SignerRevoked;
FAILED, or no signer at all, is 5104043 SignerNotFoundForTenant. Certificate requests apply the
table to the state their accept condition found, the issuance worker and SDK configs to the signer
they load, and the signer API uses ``blocks_creation`` for the same states.

The loaded signer (id, KMS key, CA certificate) is cached per container for ``SIGNER_CACHE_SECONDS``.
A cached signer may have been revoked (its key disabled: KMS refuses) or rotated away (the worker's
count finds it ``ROTATED``: its successor took over) since: ``signing`` then forgets it, looks the
signer up once more and runs again, so a revoked signer answers 51041 and a rotated one is replaced
by its successor at once, not when the cache expires. A signer loaded just before its successor took
over is retried the same way.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, TypeVar

from astca import catalog
from astca.catalog import CaError, ErrorEntry
from astca.domain.errors import Failed, PreconditionFailed
from astca.domain.signers import SignerPointer, SignerState
from astca.settings import get_settings
from astca.storage.dynamo import Table
from astca.storage.signers import ROTATED, SignerRepository

if TYPE_CHECKING:
    from cryptography.x509 import Certificate

SIGNER_CACHE_SECONDS = 60
T = TypeVar("T")

# The one table from the current signer's state to what a caller that wants it to sign gets.
OUTCOMES: dict[SignerState | None, ErrorEntry | None] = {
    SignerState.ISSUED: None,
    SignerState.PENDING: catalog.SIGNER_NOT_YET_ISSUED,
    SignerState.REVOKED: catalog.SIGNER_REVOKED,
    SignerState.FAILED: catalog.SIGNER_NOT_FOUND_FOR_TENANT,
    None: catalog.SIGNER_NOT_FOUND_FOR_TENANT,
}
_DETAILS: dict[SignerState | None, str] = {
    SignerState.PENDING: "the signer of tenant {tenant} is not issued yet",
    SignerState.REVOKED: "the current signer of tenant {tenant} is revoked",
    SignerState.FAILED: "tenant {tenant} has no usable signer: its signer FAILED; create another",
    None: "tenant {tenant} has no signer",
}
# States in which the current signer (or its successor on the way) keeps a new one from being created.
IN_SERVICE = frozenset({SignerState.PENDING, SignerState.ISSUED})


def refusal(tenant: str, state: SignerState | str | None) -> CaError | None:
    """The error for a tenant whose current signer is in ``state`` (None: it has none), or None if it signs."""
    known = SignerState(state) if state in tuple(SignerState) else None
    entry = OUTCOMES[known]
    return None if entry is None else CaError(entry, _DETAILS[known].format(tenant=tenant))


def blocks_creation(pointer: SignerPointer | None) -> bool:
    """Whether the tenant has a signer in service (or one on its way), so that creating another is 51040."""
    if pointer is None:
        return False
    return pointer.current_state in IN_SERVICE or pointer.pending_id is not None


@dataclass(frozen=True)
class ActiveSigner:
    """The signer that signs for a tenant now: its id, KMS key and CA certificate."""

    tenant: str
    id: str
    key_id: str
    certificate: Certificate
    certificate_pem: str

    @property
    def not_after(self) -> datetime:
        """When the signer's CA certificate expires."""
        return self.certificate.not_valid_after_utc


class ActiveSigners:
    """The active signer of each tenant, cached per container for ``ttl`` seconds."""

    def __init__(
        self,
        signers: SignerRepository,
        *,
        ttl: float = SIGNER_CACHE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.signers = signers
        self.ttl = ttl
        self.monotonic = monotonic
        self._cache: dict[str, tuple[float, ActiveSigner]] = {}
        self._lock = threading.Lock()

    def get(self, tenant: str) -> ActiveSigner:
        """The tenant's signer if it may sign now; the table's error if it may not."""
        return self._get(tenant)[0]

    def forget(self, tenant: str) -> None:
        """Drop the tenant's cached signer."""
        with self._lock:
            self._cache.pop(tenant, None)

    def signing(self, tenant: str, use: Callable[[ActiveSigner], T]) -> T:
        """``use(signer)``; if a cached signer turns out revoked or rotated away, look it up again and retry once."""
        signer, cached = self._get(tenant)
        try:
            return use(signer)
        except (Failed, PreconditionFailed) as error:
            rotated = isinstance(error, PreconditionFailed) and error.state == ROTATED
            if not (cached or rotated):
                raise
        self.forget(tenant)
        return use(self.get(tenant))

    def _get(self, tenant: str) -> tuple[ActiveSigner, bool]:
        now = self.monotonic()
        with self._lock:
            found = self._cache.get(tenant)
        if found is not None and now - found[0] < self.ttl:
            return found[1], True
        signer = self._load(tenant)
        with self._lock:
            self._cache[tenant] = (now, signer)
        return signer, False

    def _load(self, tenant: str) -> ActiveSigner:
        # cryptography's x509 is loaded by the callers that sign (worker, SDK configs), not by requests.
        from cryptography import x509  # noqa: PLC0415

        pointer = self.signers.pointer(tenant)
        current = pointer.current_id if pointer else None
        signer = self.signers.get(tenant, current) if current else None
        error = refusal(tenant, signer.state if signer else None)
        if error is not None:
            raise error
        assert signer is not None
        if not signer.certificate or not signer.kms_key_id:
            raise CaError(catalog.SIGNER_ERROR, f"signer {signer.id} is ISSUED without a certificate or key")
        try:
            certificate = x509.load_pem_x509_certificate(signer.certificate.encode("ascii"))
        except ValueError:
            raise CaError(catalog.SIGNER_ERROR, f"the certificate of signer {signer.id} is not PEM") from None
        return ActiveSigner(tenant, signer.id, signer.kms_key_id, certificate, signer.certificate)


@cache
def active_signers() -> ActiveSigners:
    """The active signers of this container (one cache for every use case in it)."""
    return ActiveSigners(SignerRepository(Table(get_settings().table_name)))
