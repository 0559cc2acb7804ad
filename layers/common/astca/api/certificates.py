"""Certificate requests and responses."""

from __future__ import annotations

from pydantic import Field

from astca import clock
from astca.api.signers import CamelModel
from astca.storage.certificate_records import CertificateRecord, IssuedCertificate


class CertificateRequest(CamelModel):
    """POST /certificates and /certificates/renew: a PKCS#10 CSR and the profile to issue under."""

    csr: str = Field(min_length=1, max_length=16384, description="PEM, or base64 DER, PKCS#10")
    profile: str = Field(default="AST_DEVICE", min_length=1, max_length=64, description="e.g. AST_DEVICE")


class RenewalRequest(CertificateRequest):
    """POST /certificates/renew: a CSR, a profile and, where a header carried the certificate, a proof of its key."""

    proof: str | None = Field(
        default=None,
        min_length=1,
        max_length=8192,
        description="Only where a TLS terminator's header carries the client certificate (ASTCA_CLIENT_CERT_HEADER): "
        "a compact JWS, header typ 'astca-renewal+jwt', signed by the current certificate's key, with claims "
        "htm 'POST', htu the request path, csr base64url(SHA-256(the csr field)) and iat (within 300 s). "
        "Not needed over mutual TLS, whose handshake proves the key.",
    )


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
    not_before: str = Field(serialization_alias="notBefore")
    not_after: str = Field(serialization_alias="notAfter")
    certificate: str = Field(description="PEM")
    chain: list[str]

    @classmethod
    def of(cls, found: IssuedCertificate, chain: list[str]) -> CertificateLookup:
        """The view of an indexed certificate; validity and subject are read from the certificate."""
        from cryptography import x509  # noqa: PLC0415 - lookups only

        from astca.services.certificates import device_subject, pem_of  # noqa: PLC0415

        certificate = x509.load_der_x509_certificate(found.certificate)
        subject = device_subject(certificate)
        return cls(
            id=found.id,
            tenant=found.tenant,
            profile=found.profile,
            serial=found.serial,
            signer_id=found.signer_id,
            client_id=subject.client_id,
            user_id=subject.user_id,
            not_before=clock.rfc3339(certificate.not_valid_before_utc),
            not_after=clock.rfc3339(certificate.not_valid_after_utc),
            certificate=pem_of(found.certificate),
            chain=chain,
        )
