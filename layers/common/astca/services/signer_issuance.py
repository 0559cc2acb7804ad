"""The issue_signer worker's use case: give a PENDING signer its KMS key and CA certificate, issued by its tenant's anchor.

The tenant's anchor is made first where it is missing (``services.tenant_anchors``): with the
tenant's first signer, or a legacy tenant's next one. Every signer it issues carries AIA caIssuers
naming the anchor's URL.

Idempotent under redelivery and concurrency: a signer that is no longer PENDING is left alone; its
KMS key is recorded by a condition, so of two workers only one key survives (the other is scheduled
for deletion); the move to ISSUED is conditional on PENDING. A signing or KMS failure is permanent
for the signer: FAILED with the reason and a signer.failed event, so the tenant can create another.
A ``Transient`` failure (KMS, DynamoDB or SQS throttled, a 5xx, no answer) is raised, so the message
goes back to its queue and is retried.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Protocol

from aws_lambda_powertools import Logger
from cryptography.hazmat.primitives.serialization import Encoding

from astca import catalog, clock
from astca.catalog import CaError
from astca.domain.errors import Conflict, DomainError, PreconditionFailed, Transient
from astca.domain.locations import ANCHOR
from astca.domain.signers import Signer, SignerState
from astca.issuance.certificates import signer_ca_certificate
from astca.issuance.kms import KmsKeys, KmsSigner
from astca.services.hierarchy import ca_hierarchy
from astca.services.tenant_anchors import TenantAnchors
from astca.settings import ca_locations, get_settings
from astca.storage.anchors import AnchorRepository
from astca.storage.dynamo import Table
from astca.storage.signers import SignerRepository

if TYPE_CHECKING:
    from cryptography.x509 import Certificate

logger = Logger()


class SigningKeys(Protocol):
    """What the worker needs of KMS."""

    def create_signing_key(self, key_spec: str, description: str, tags: Mapping[str, str]) -> str:
        """Create an asymmetric signing key and return its id."""

    def schedule_deletion(self, key_id: str) -> None:
        """Schedule a key's deletion."""


CertificateIssuer = Callable[[Signer, str], "Certificate"]


class SignerIssuance:
    """Issues PENDING signers."""

    def __init__(
        self,
        repository: SignerRepository,
        keys: SigningKeys,
        issue_certificate: CertificateIssuer,
        *,
        key_spec: str,
        now: Callable[[], datetime] = clock.utcnow,
    ) -> None:
        self.repository = repository
        self.keys = keys
        self.issue_certificate = issue_certificate
        self.key_spec = key_spec
        self.now = now

    def issue(self, tenant: str, signer_id: str) -> SignerState | None:
        """Issue the signer if it is still PENDING; the state it ends in (None if it is gone)."""
        signer = self.repository.get(tenant, signer_id)
        if signer is None or signer.state is not SignerState.PENDING:
            logger.info("signer is not pending; nothing to do", extra={"signerId": signer_id})
            return signer.state if signer else None
        try:
            key_id = signer.kms_key_id or self._new_key(signer)
            if key_id is None:
                return self._state_of(tenant, signer_id)
            certificate = self.issue_certificate(signer, key_id)
        except Transient:
            raise  # back to the queue: a retry may succeed
        except (CaError, DomainError) as error:
            self._fail(
                signer, error if isinstance(error, CaError) else CaError(catalog.SIGNER_ERROR, error.detail)
            )
            return SignerState.FAILED

        pointer = self.repository.pointer(tenant)
        if pointer is None:
            return self._state_of(tenant, signer_id)
        serial = format(certificate.serial_number, "x")
        try:
            self.repository.mark_issued(
                signer,
                pointer,
                certificate=certificate.public_bytes(Encoding.PEM).decode(),
                serial=serial,
                now=self.now(),
                events=[
                    (
                        "signer.issued",
                        {
                            "tenant": tenant,
                            "signerId": signer_id,
                            "generation": signer.generation,
                            "serial": serial,
                        },
                    )
                ],
            )
        except (Conflict, PreconditionFailed) as error:
            logger.info(
                "signer changed while it was issued", extra={"signerId": signer_id, "detail": error.detail}
            )
            return self._state_of(tenant, signer_id)
        return SignerState.ISSUED

    def _new_key(self, signer: Signer) -> str | None:
        key_id = self.keys.create_signing_key(
            self.key_spec,
            description=f"astca signer {signer.id} of tenant {signer.tenant}",
            tags={"astca:tenant": signer.tenant, "astca:signer": signer.id, "astca:role": "signer"},
        )
        if self.repository.attach_key(signer, key_id):
            return key_id
        # Another worker got there first, or the signer left PENDING: this key is not needed.
        self.keys.schedule_deletion(key_id)
        current = self.repository.get(signer.tenant, signer.id)
        if current is not None and current.state is SignerState.PENDING and current.kms_key_id:
            return current.kms_key_id
        return None

    def _fail(self, signer: Signer, error: CaError) -> None:
        logger.error("signer issuance failed", extra={"signerId": signer.id, "errorName": error.entry.name})
        reason = f"{error.entry.name}: {error.detail}"
        try:
            self.repository.mark_failed(
                signer,
                self.repository.pointer(signer.tenant),
                reason=reason,
                now=self.now(),
                events=[
                    ("signer.failed", {"tenant": signer.tenant, "signerId": signer.id, "reason": reason})
                ],
            )
        except (Conflict, PreconditionFailed):
            logger.info("signer changed while it failed", extra={"signerId": signer.id})

    def _state_of(self, tenant: str, signer_id: str) -> SignerState | None:
        signer = self.repository.get(tenant, signer_id)
        return signer.state if signer else None


@cache
def signer_issuance() -> SignerIssuance:
    """The worker's use case of this container: signer keys in KMS, CA certificates from the tenant's anchor."""
    settings = get_settings()
    table = Table(settings.table_name)
    locations = ca_locations(settings)
    keys = KmsKeys()
    anchors = TenantAnchors(
        AnchorRepository(table),
        keys,
        lambda: ca_hierarchy().issuer,
        key_spec=settings.ca_key_spec,
        locations=locations,
    )

    def issue_certificate(signer: Signer, key_id: str) -> Certificate:
        try:
            anchor = anchors.ensure(signer.tenant)
            return signer_ca_certificate(
                tenant=signer.tenant,
                signer_id=signer.id,
                name=signer.name,
                public_key=KmsSigner(key_id).public_key(),
                issuer_certificate=anchor.certificate,
                issuer_signer=anchor.signer(),
                ca_issuers=locations.tenant_certificate(signer.tenant, ANCHOR),
            )
        except ValueError as exc:
            raise CaError(catalog.SIGNER_ERROR, f"the signer's certificate cannot be built: {exc}") from exc

    return SignerIssuance(SignerRepository(table), keys, issue_certificate, key_spec=settings.signer_key_spec)
