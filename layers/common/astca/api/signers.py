"""Signer requests and responses."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from astca.api.base import CamelModel, Page, Timestamp
from astca.domain.signers import Signer, SignerState


class CreateSignerRequest(CamelModel):
    """POST /signers: a name, and whether this creates the successor of the current signer."""

    name: str = Field(
        min_length=1, max_length=64, pattern=r"^[\w][\w .-]*$", description="Shown in the CA's subject (CN)"
    )
    rotate: bool = Field(default=False, description="Create a successor while an ISSUED signer is current")


class RevocationReason(StrEnum):
    """RFC 5280 CRLReason names that apply to a CA."""

    UNSPECIFIED = "unspecified"
    KEY_COMPROMISE = "keyCompromise"
    CA_COMPROMISE = "cACompromise"
    AFFILIATION_CHANGED = "affiliationChanged"
    SUPERSEDED = "superseded"
    CESSATION_OF_OPERATION = "cessationOfOperation"


class RevokeSignerRequest(CamelModel):
    """POST /signers/{id}/revoke."""

    reason: RevocationReason = RevocationReason.UNSPECIFIED


class SignerView(CamelModel):
    """A signer as the API shows it."""

    id: str
    tenant: str
    name: str
    state: SignerState
    generation: int
    created_at: Timestamp
    updated_at: Timestamp
    issued_at: Timestamp | None = None
    revoked_at: Timestamp | None = None
    revocation_reason: str | None = None
    failure_reason: str | None = None
    serial: str | None = Field(default=None, description="Serial number of the CA certificate, hex")
    certificate: str | None = Field(default=None, description="The signer's CA certificate (PEM) once ISSUED")

    @classmethod
    def of(cls, signer: Signer) -> SignerView:
        """The view of a stored signer."""
        return cls(
            id=signer.id,
            tenant=signer.tenant,
            name=signer.name,
            state=signer.state,
            generation=signer.generation,
            created_at=signer.created_at,
            updated_at=signer.updated_at,
            issued_at=signer.issued_at,
            revoked_at=signer.revoked_at,
            revocation_reason=signer.revocation_reason,
            failure_reason=signer.failure_reason,
            serial=signer.serial,
            certificate=signer.certificate,
        )


class SignerList(Page[SignerView]):
    """One page of signers."""


class CaChainView(CamelModel):
    """Trust anchors and chains of a tenant (PEM)."""

    root: str
    issuer: str
    signers: list[str]
