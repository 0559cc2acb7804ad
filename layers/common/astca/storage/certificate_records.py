"""The certificate record of the single table: a request, its issued certificate and its delivery."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class CertificateState(StrEnum):
    """Where a certificate request is: PENDING -> ISSUED -> DELIVERED, or FAILED."""

    PENDING = "PENDING"
    ISSUED = "ISSUED"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


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
    not_before: str  # RFC 3339, fixed when the request is accepted
    subject: DeviceSubject
    created_at: str
    updated_at: str
    certificate: bytes | None = None
    signer_id: str | None = None
    issued_at: str | None = None
    not_after: str | None = None
    delivered_at: str | None = None
    failure_reason: str | None = None
    renewal_of: str | None = None

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> CertificateRecord:
        """The record of a table item."""
        certificate = item.get("certificate")
        return cls(
            tenant=item["tenant"],
            id=item["id"],
            state=CertificateState(item["state"]),
            profile=item["profile"],
            serial=item["serial"],
            not_before=item["notBefore"],
            subject=DeviceSubject(client_id=item["clientId"], user_id=item["userId"]),
            created_at=item["createdAt"],
            updated_at=item["updatedAt"],
            certificate=bytes(certificate) if certificate is not None else None,
            signer_id=item.get("signerId"),
            issued_at=item.get("issuedAt"),
            not_after=item.get("notAfter"),
            delivered_at=item.get("deliveredAt"),
            failure_reason=item.get("failureReason"),
            renewal_of=item.get("renewalOf"),
        )

    def to_item(self) -> dict[str, Any]:
        """The record's attributes as the table stores them (keys, index and TTL are the repository's)."""
        return {
            "type": "certificate",
            "tenant": self.tenant,
            "id": self.id,
            "state": self.state.value,
            "profile": self.profile,
            "serial": self.serial,
            "notBefore": self.not_before,
            "clientId": self.subject.client_id,
            "userId": self.subject.user_id,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "renewalOf": self.renewal_of,
        }


@dataclass(frozen=True)
class IssuedCertificate:
    """An issued certificate as the issuer + serial index holds it: keys, profile, signer, DER."""

    tenant: str
    id: str
    serial: str
    profile: str
    signer_id: str
    certificate: bytes

    @classmethod
    def from_index_item(cls, item: Mapping[str, Any]) -> IssuedCertificate:
        """The certificate of a GSI1 item (id, tenant and serial come from its keys)."""
        return cls(
            tenant=str(item["PK"]).removeprefix("TENANT#"),
            id=str(item["SK"]).removeprefix("CERT#"),
            serial=str(item["GSI1SK"]).removeprefix("SERIAL#"),
            profile=item["profile"],
            signer_id=item["signerId"],
            certificate=bytes(item["certificate"]),
        )


def issuer_key(tenant: str, issuer_name_der: bytes) -> str:
    """The GSI1 partition of certificates of one issuer in one tenant (tenants never share a partition)."""
    return f"ISSUER#{tenant}#{hashlib.sha256(issuer_name_der).hexdigest()}"


def serial_key(serial_hex: str) -> str:
    """The GSI1 sort key of a serial number (lower-case hex without leading zeros)."""
    return f"SERIAL#{int(serial_hex, 16):x}"
