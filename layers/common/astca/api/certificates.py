"""Certificate requests and responses."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from astca.api.signers import CamelModel
from astca.storage.certificate_records import CertificateRecord


class CertificateRequest(CamelModel):
    """POST /certificates and /certificates/renew: a PKCS#10 CSR and the profile to issue under."""

    csr: str = Field(min_length=1, max_length=16384, description="PEM, or base64 DER, PKCS#10")
    profile: str = Field(default="AST_DEVICE", min_length=1, max_length=64, description="e.g. AST_DEVICE")


class CertificateAccepted(CamelModel):
    """A request accepted for asynchronous signing."""

    id: str
    state: str
    profile: str
    serial: str = Field(description="Serial number the certificate will carry (hex)")
    created_at: str = Field(serialization_alias="createdAt")
    renewal_of: str | None = Field(default=None, serialization_alias="renewalOf")

    @classmethod
    def of(cls, record: CertificateRecord) -> CertificateAccepted:
        """The view of a stored request."""
        return cls(
            id=record.id,
            state=record.state.value,
            profile=record.profile,
            serial=record.serial,
            created_at=record.created_at,
            renewal_of=record.renewal_of,
        )


class CertificateDelivery(CamelModel):
    """The certificate, handed out once, with the chain above it."""

    id: str
    state: str = "DELIVERED"
    profile: str
    serial: str
    not_before: str = Field(serialization_alias="notBefore")
    not_after: str | None = Field(serialization_alias="notAfter")
    certificate: str = Field(description="PEM")
    chain: list[str] = Field(description="PEM: the signer CA, then the issuer CA")


class CertificateLookup(CamelModel):
    """An issued certificate found by issuer and serial, with its metadata."""

    id: str
    tenant: str
    profile: str
    serial: str
    signer_id: str = Field(serialization_alias="signerId")
    client_id: str = Field(serialization_alias="clientId")
    user_id: str = Field(serialization_alias="userId")
    issued_at: str = Field(serialization_alias="issuedAt")
    not_before: str = Field(serialization_alias="notBefore")
    not_after: str = Field(serialization_alias="notAfter")
    certificate: str = Field(description="PEM")
    chain: list[str]

    @classmethod
    def of(cls, item: dict[str, Any], certificate_pem: str, chain: list[str]) -> CertificateLookup:
        """The view of an index item."""
        return cls(
            id=item["id"],
            tenant=item["tenant"],
            profile=item["profile"],
            serial=item["serial"],
            signer_id=item["signerId"],
            client_id=item["clientId"],
            user_id=item["userId"],
            issued_at=item["issuedAt"],
            not_before=item["notBefore"],
            not_after=item["notAfter"],
            certificate=certificate_pem,
            chain=chain,
        )
