"""The tenant signer lifecycle: create (or rotate), read, list, revoke, delete.

Rules: one current signer per tenant (51040 while one is PENDING or ISSUED, 51042 when a concurrent
creation wins); ``rotate`` adds a successor while an ISSUED signer is current, which takes over once
issued; a revoked signer is never used again (51041) and its KMS key is disabled; a signer that has
issued anything cannot be deleted (51045), and a deleted signer's key is scheduled for deletion.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from typing import Protocol

from astca import catalog, clock, ids
from astca.catalog import CaError
from astca.domain.errors import Conflict, NotFound, PreconditionFailed
from astca.domain.locations import ANCHOR
from astca.domain.signers import Signer, SignerState
from astca.services.active_signer import blocks_creation
from astca.settings import get_settings
from astca.storage.dynamo import Table
from astca.storage.revocations import PLATFORM_ISSUER_LIST, revocation_list
from astca.storage.signers import IN_USE, SignerRepository, signer_filters


class KeyRetirement(Protocol):
    """What the lifecycle needs of KMS."""

    def disable(self, key_id: str) -> None:
        """Disable a key: it signs nothing any more."""

    def schedule_deletion(self, key_id: str) -> None:
        """Schedule a key's deletion."""


class SignerService:
    """Signer use cases of the HTTP API."""

    def __init__(
        self,
        repository: SignerRepository,
        keys: Callable[[], KeyRetirement],
        *,
        now: Callable[[], datetime] = clock.utcnow,
    ) -> None:
        self.repository = repository
        self.keys = keys
        self.now = now

    def create(self, tenant: str, name: str, *, rotate: bool = False) -> Signer:
        """A new PENDING signer, current or (``rotate``) the successor of the ISSUED current one."""
        pointer = self.repository.pointer(tenant)
        if rotate:
            if pointer is None or pointer.current_state is None:
                raise CaError(catalog.SIGNER_NOT_FOUND_FOR_TENANT, f"tenant {tenant} has no signer to rotate")
            if pointer.current_state is not SignerState.ISSUED:
                raise CaError(
                    catalog.SIGNER_NOT_YET_ISSUED,
                    f"the current signer of tenant {tenant} is {pointer.current_state.value}; rotate an ISSUED one",
                )
            if pointer.pending_id is not None:
                raise CaError(
                    catalog.SIGNER_ALREADY_EXISTS,
                    f"signer {pointer.pending_id} is already on its way to succeed the current one",
                )
        elif blocks_creation(pointer):
            assert pointer is not None
            raise CaError(
                catalog.SIGNER_ALREADY_EXISTS,
                f"tenant {tenant} already has signer {pointer.pending_id or pointer.current_id}; "
                "revoke it, or create with rotate=true",
            )
        stamp = self.now().replace(microsecond=0)
        signer = Signer(
            tenant=tenant,
            id=ids.new_ulid(),
            name=name,
            state=SignerState.PENDING,
            generation=(pointer.last_generation if pointer else 0) + 1,
            created_at=stamp,
            updated_at=stamp,
        )
        request = {"tenant": tenant, "signerId": signer.id}
        created = {**request, "name": name, "generation": signer.generation, "rotate": rotate}
        with signer_outcomes():
            self.repository.create(
                signer,
                pointer,
                rotate=rotate,
                events=[("signer.requested", request), ("signer.created", created)],
            )
        return signer

    def get(self, tenant: str, signer_id: str) -> Signer:
        """A signer of the tenant; 5104041 SignerNotFound for unknown ids and other tenants' signers."""
        signer = self.repository.get(tenant, signer_id) if ids.is_ulid(signer_id) else None
        if signer is None:
            raise CaError(catalog.SIGNER_NOT_FOUND, f"tenant {tenant} has no signer {signer_id}")
        return signer

    def current(self, tenant: str) -> Signer:
        """The tenant's current signer; 5104043 SignerNotFoundForTenant when it has none."""
        pointer = self.repository.pointer(tenant)
        signer = self.repository.get(tenant, pointer.current_id) if pointer and pointer.current_id else None
        if signer is None:
            raise CaError(catalog.SIGNER_NOT_FOUND_FOR_TENANT, f"tenant {tenant} has no signer")
        return signer

    def page(
        self, tenant: str, *, limit: str | None, token: str | None, filter_text: str | None
    ) -> tuple[list[Signer], str | None]:
        """One page of the tenant's signers (5104003 BadPagination, 5104004 BadFilter)."""
        # The filter language and the cursors are loaded by the list function only.
        from astca.services.lists import list_errors, parse_limit  # noqa: PLC0415
        from astca.storage.filters import parse_filter  # noqa: PLC0415

        with list_errors():
            return self.repository.page(
                tenant,
                limit=parse_limit(limit),
                token=token,
                where=parse_filter(filter_text, signer_filters()),
            )

    def revoke(self, tenant: str, signer_id: str, reason: str) -> Signer:
        """Revoke a signer for good and disable its key; 51041 SignerRevoked if it already was."""
        for attempt in (1, 2):
            signer = self.get(tenant, signer_id)
            if signer.state in (SignerState.REVOKED, SignerState.FAILED):
                raise CaError(catalog.SIGNER_REVOKED, f"signer {signer_id} is {signer.state.value} already")
            if signer.kms_key_id:
                # First the key: should the record fail, the signer cannot sign, and a retry revokes it.
                self.keys().disable(signer.kms_key_id)
            try:
                with signer_outcomes():
                    self.repository.mark_revoked(
                        signer,
                        self.repository.pointer(tenant),
                        reason=reason,
                        now=self.now(),
                        events=[
                            ("signer.revoked", {"tenant": tenant, "signerId": signer_id, "reason": reason})
                        ],
                        issuer_list=issuer_list(signer),
                    )
            except CaError as error:
                if error.entry is catalog.SIGNER_CREATION_CONFLICT and attempt == 1:
                    continue  # issued (or rotated) while being revoked: read it again
                raise
            break
        return self.get(tenant, signer_id)

    def delete(self, tenant: str, signer_id: str) -> None:
        """Delete a signer that has issued nothing and schedule its key's deletion (51045 otherwise)."""
        signer = self.get(tenant, signer_id)
        with signer_outcomes():
            self.repository.delete(
                signer,
                self.repository.pointer(tenant),
                events=[("signer.deleted", {"tenant": tenant, "signerId": signer_id})],
            )
        if signer.kms_key_id:
            self.keys().schedule_deletion(signer.kms_key_id)


def issuer_list(signer: Signer) -> str | None:
    """The revocation list of the CA that issued ``signer``: its tenant's anchor, or (from before anchors) the platform issuer."""
    if signer.certificate is None:
        return None
    # cryptography's x509 and the CA names are loaded by revocations only.
    from cryptography import x509  # noqa: PLC0415

    from astca.issuance.certificates import tenant_root_name  # noqa: PLC0415

    issuer = x509.load_pem_x509_certificate(signer.certificate.encode("ascii")).issuer
    return (
        revocation_list(signer.tenant, ANCHOR)
        if issuer == tenant_root_name(signer.tenant)
        else PLATFORM_ISSUER_LIST
    )


@contextmanager
def signer_outcomes() -> Iterator[None]:
    """What the repository's typed outcomes mean for the signer API: 51042, 51045 or 5104041."""
    try:
        yield
    except Conflict as error:
        raise CaError(catalog.SIGNER_CREATION_CONFLICT, error.detail) from error
    except PreconditionFailed as error:
        entry = catalog.SIGNER_ALREADY_IN_USE if error.state == IN_USE else catalog.SIGNER_CREATION_CONFLICT
        raise CaError(entry, error.detail) from error
    except NotFound as error:
        raise CaError(catalog.SIGNER_NOT_FOUND, error.detail) from error


@cache
def signer_service() -> SignerService:
    """The signer service of this container (KMS is reached only by revoke and delete)."""

    def keys() -> KeyRetirement:
        # KMS key management (and cryptography) is loaded by revoke and delete only, not by reads.
        from astca.issuance.kms import KmsKeys  # noqa: PLC0415

        return KmsKeys()

    return SignerService(SignerRepository(Table(get_settings().table_name)), keys)
