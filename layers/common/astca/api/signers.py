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


class PlatformPathView(CamelModel):
    """The platform path: the platform root and the certificates above the current signer that lead to it."""

    anchor: str = Field(description="The platform root CA (PEM): what a relying party of every tenant trusts")
    chain: list[str] = Field(
        description="PEM, nearest first: the tenant anchor cross-certified by the platform issuer, then the "
        "platform issuer CA (the issuer alone for a tenant that has no anchor yet)"
    )


class CaChainView(CamelModel):
    """A tenant's trust material (PEM): what to pin, and the chains to it."""

    tenant: str
    anchor: str | None = Field(
        description="The tenant's own root CA: pin it to trust this tenant's devices and no other tenant's. "
        "null until the tenant's first signer (a tenant from before anchors: its next signer) creates it"
    )
    chain: list[str] = Field(
        description="PEM, nearest first: the certificates between a device of the current signer and the "
        "anchor (the current signer CA; for a tenant without an anchor, the signer and the platform issuer, "
        "up to the platform root)"
    )
    signers: list[str] = Field(description="Every issued, unrevoked signer CA of the tenant (PEM)")
    platform: PlatformPathView
