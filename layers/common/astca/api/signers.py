"""Signer requests and responses."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from astca.storage.signer_records import Signer, SignerState


class CamelModel(BaseModel):
    """A model whose JSON names are camelCase."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")


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
    created_at: str = Field(serialization_alias="createdAt")
    updated_at: str = Field(serialization_alias="updatedAt")
    issued_at: str | None = Field(default=None, serialization_alias="issuedAt")
    revoked_at: str | None = Field(default=None, serialization_alias="revokedAt")
    revocation_reason: str | None = Field(default=None, serialization_alias="revocationReason")
    failure_reason: str | None = Field(default=None, serialization_alias="failureReason")
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


class SignerList(CamelModel):
    """One page of signers."""

    items: list[SignerView]
    next_token: str | None = Field(default=None, serialization_alias="nextToken")


class CaChainView(CamelModel):
    """Trust anchors and chains of a tenant (PEM)."""

    root: str
    issuer: str
    signers: list[str]
