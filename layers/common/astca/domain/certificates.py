"""A certificate request, its issued certificate and its delivery."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class CertificateState(StrEnum):
    """Where a certificate request is: PENDING -> ISSUED -> DELIVERED, or FAILED; ISSUED or DELIVERED -> REVOKED."""

    PENDING = "PENDING"
    ISSUED = "ISSUED"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"
    REVOKED = "REVOKED"


@dataclass(frozen=True)
class DeviceSubject:
    """Who a certificate is for: taken from the token (or the certificate being renewed), never the CSR."""

    client_id: str
    user_id: str


@dataclass(frozen=True)
class CertificateRecord:
    """A certificate request as stored, with its certificate once issued (DER)."""

    tenant: str
    id: str
    state: CertificateState
    profile: str
    serial: str  # hex, reserved when the request is accepted
    not_before: datetime  # fixed when the request is accepted
    subject: DeviceSubject
    created_at: datetime
    updated_at: datetime
    certificate: bytes | None = None
    signer_id: str | None = None
    issued_at: datetime | None = None
    not_after: datetime | None = None
    delivered_at: datetime | None = None
    failure_reason: str | None = None
    renewal_of: str | None = None
    revoked_at: datetime | None = None
    revocation_reason: str | None = None  # an RFC 5280 CRLReason name
    # notAfter less notBefore in days, fixed when the request is accepted (None only in requests
    # accepted before requests could choose it: their profile's validity)
    validity_days: int | None = None


@dataclass(frozen=True)
class IssuedCertificate:
    """An issued certificate as the issuer + serial index holds it: keys, profile, signer, DER."""

    tenant: str
    id: str
    serial: str
    profile: str
    signer_id: str
    certificate: bytes
    state: CertificateState = CertificateState.ISSUED
    revoked_at: datetime | None = None
    revocation_reason: str | None = None


def pem_of(der: bytes) -> str:
    """A DER certificate as PEM (the standard armour, lines of 64)."""
    body = base64.b64encode(der).decode("ascii")
    lines = "\n".join(body[index : index + 64] for index in range(0, len(body), 64))
    return f"-----BEGIN CERTIFICATE-----\n{lines}\n-----END CERTIFICATE-----\n"
