"""Certificate requests and responses."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, JsonValue, WithJsonSchema

from astca.api.base import CamelModel, Timestamp
from astca.domain.certificates import CertificateRecord, DeviceSubject, IssuedCertificate, pem_of
from astca.domain.profiles import PROFILES
from astca.domain.proofs import MAX_AGE_SECONDS, MAX_PROOF_CHARS, RENEWAL_PROOF_TYPE, REVOCATION_PROOF_TYPE

_DEFAULT_MAXIMA = ", ".join(f"{p.name} {p.validity.days} days" for p in PROFILES.values() if p.endpoints)


class CertificateRequest(CamelModel):
    """POST /certificates and /certificates/renew: a PKCS#10 CSR, the profile to issue under and, optionally, the lifetime."""

    csr: str = Field(min_length=1, max_length=16384, description="PEM, or base64 DER, PKCS#10")
    profile: str = Field(default="AST_DEVICE", min_length=1, max_length=64, description="e.g. AST_DEVICE")
    # Any JSON here: the service checks it against the profile's maximum, and a 4002 names that range.
    validity_days: Annotated[JsonValue, WithJsonSchema({"type": "integer", "minimum": 1})] = Field(
        default=None,
        description="Lifetime in days: 1 to the profile's maximum (ASTCA_MAX_VALIDITY_DAYS; by default its "
        f"validity: {_DEFAULT_MAXIMA}); notAfter = notBefore + validityDays, never after the signer CA's "
        "notAfter. Absent: the profile's maximum",
    )


class RenewalRequest(CertificateRequest):
    """POST /certificates/renew: a CSR, a profile and, where a header carried the certificate, a proof of its key."""

    proof: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_PROOF_CHARS,
        description="Only where a TLS terminator's header carries the client certificate (ASTCA_CLIENT_CERT_HEADER): "
        f"a compact JWS, header typ {RENEWAL_PROOF_TYPE!r}, signed by the current certificate's key, with claims "
        "htm 'POST', htu the request path, csr base64url(SHA-256(the csr field)) and iat "
        f"(within {MAX_AGE_SECONDS} s). Not needed over mutual TLS, whose handshake proves the key.",
    )


class CertificateAccepted(CamelModel):
    """A request accepted for asynchronous signing; its serial is fixed but shown only with the certificate."""

    id: str
    state: str
    profile: str
    created_at: Timestamp
    renewal_of: str | None = None

    @classmethod
    def of(cls, record: CertificateRecord) -> CertificateAccepted:
        """The view of a stored request."""
        return cls(
            id=record.id,
            state=record.state.value,
            profile=record.profile,
            created_at=record.created_at,
            renewal_of=record.renewal_of,
        )


class CertificateDelivery(CamelModel):
    """The certificate, handed out once, with the chain above it."""

    id: str
    state: str = "DELIVERED"
    profile: str
    serial: str
    not_before: Timestamp
    not_after: Timestamp | None
    certificate: str = Field(description="PEM")
    chain: list[str] = Field(
        description="PEM, nearest first, what the device presents: the signer CA, then the tenant anchor "
        "cross-certified by the platform issuer, then the platform issuer CA (GET /ca names the anchors)"
    )


class CertificateRevocationReason(StrEnum):
    """RFC 5280 CRLReason names that apply to a device certificate."""

    UNSPECIFIED = "unspecified"
    KEY_COMPROMISE = "keyCompromise"
    AFFILIATION_CHANGED = "affiliationChanged"
    SUPERSEDED = "superseded"
    CESSATION_OF_OPERATION = "cessationOfOperation"
    PRIVILEGE_WITHDRAWN = "privilegeWithdrawn"


class RevokeCertificateRequest(CamelModel):
    """POST /certificates/{id}/revoke: why."""

    reason: CertificateRevocationReason = CertificateRevocationReason.UNSPECIFIED


class RevokeBySerialRequest(RevokeCertificateRequest):
    """POST /certificates/revoke: the certificate by issuer and serial, in the lookup's forms, and why."""

    issuer: str = Field(min_length=1, max_length=2048, description="RFC 4514 name, or base64 DER of a Name")
    serial: str = Field(min_length=1, max_length=42, description="hex, optionally 0x-prefixed")


class SelfRevocationRequest(RevokeCertificateRequest):
    """POST /certificates/revoke-self: why and, where a header carried the certificate, a proof of its key."""

    proof: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_PROOF_CHARS,
        description="Only where a TLS terminator's header carries the client certificate: a compact JWS, header "
        f"typ {REVOCATION_PROOF_TYPE!r}, signed by the certificate's key, with claims htm 'POST', htu the request "
        f"path, reason (as in this body) and iat (within {MAX_AGE_SECONDS} s). Not needed over mutual TLS.",
    )


class CertificateRevocation(CamelModel):
    """A certificate as revoked."""

    id: str
    state: str
    serial: str
    revoked_at: Timestamp
    revocation_reason: str

    @classmethod
    def of(cls, record: CertificateRecord) -> CertificateRevocation:
        """The view of a revoked record."""
        assert record.revoked_at is not None
        assert record.revocation_reason is not None
        return cls(
            id=record.id,
            state=record.state.value,
            serial=record.serial,
            revoked_at=record.revoked_at,
            revocation_reason=record.revocation_reason,
        )


class CertificateLookup(CamelModel):
    """An issued certificate found by issuer and serial, with its metadata."""

    id: str
    tenant: str
    profile: str
    serial: str
    signer_id: str
    client_id: str
    user_id: str
    not_before: Timestamp
    not_after: Timestamp
    certificate: str = Field(description="PEM")
    chain: list[str]
    status: str = Field(description="VALID or REVOKED")
    revoked_at: Timestamp | None = None
    revocation_reason: str | None = None

    @classmethod
    def of(
        cls,
        found: IssuedCertificate,
        chain: Sequence[str],
        *,
        subject: DeviceSubject,
        not_before: datetime,
        not_after: datetime,
    ) -> CertificateLookup:
        """The view of an indexed certificate, with the subject and validity read from its certificate."""
        return cls(
            id=found.id,
            tenant=found.tenant,
            profile=found.profile,
            serial=found.serial,
            signer_id=found.signer_id,
            client_id=subject.client_id,
            user_id=subject.user_id,
            not_before=not_before,
            not_after=not_after,
            certificate=pem_of(found.certificate),
            chain=list(chain),
            status="REVOKED" if found.revoked_at else "VALID",
            revoked_at=found.revoked_at,
            revocation_reason=found.revocation_reason,
        )
