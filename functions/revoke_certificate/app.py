"""POST /v1/tenants/{tenant}/certificates/{certificateId}/revoke and /certificates/revoke: an admin revokes a device certificate."""

from __future__ import annotations

from astca import web
from astca.api.certificates import CertificateRevocation, RevokeBySerialRequest, RevokeCertificateRequest
from astca.services.certificates import certificate_service
from astca.web import Needs

app = web.create_app()

REFUSALS = {
    **web.documented(409, "51024 AlreadyRevoked (extension), or 51020 NotYetSigned"),
    **web.documented(410, "51022 IssuanceFailed"),
}


@app.post(
    "/v1/tenants/<tenant>/certificates/<certificateId>/revoke",
    summary="Revoke a certificate by id",
    description="Revokes an issued (or delivered) certificate for good, with an RFC 5280 reason; the state, the "
    "revocation record and a certificate.revoked event are one transaction.",
    tags=["certificates"],
    security=[{"bearer": []}],
    responses={
        **web.documented(200, "The certificate, REVOKED", CertificateRevocation),
        **web.documented(404, "5104042 CertificateNotFound"),
        **REFUSALS,
    },
)
def revoke_certificate(
    tenant: str,
    certificateId: str,  # noqa: N803
    request: RevokeCertificateRequest,
) -> CertificateRevocation:
    """Revoke and answer with the revocation."""
    return CertificateRevocation.of(certificate_service().revoke(tenant, certificateId, request.reason.value))


@app.post(
    "/v1/tenants/<tenant>/certificates/revoke",
    summary="Revoke a certificate by issuer and serial",
    description="As revoking by id, the certificate named as the lookup names it (issuer RFC 4514 or base64 DER, "
    "serial hex).",
    tags=["certificates"],
    security=[{"bearer": []}],
    responses={
        **web.documented(200, "The certificate, REVOKED", CertificateRevocation),
        **web.documented(404, "5104044 IssuerSerialNotFound"),
        **REFUSALS,
    },
)
def revoke_by_serial(tenant: str, request: RevokeBySerialRequest) -> CertificateRevocation:
    """Revoke and answer with the revocation."""
    found = certificate_service().revoke_found(tenant, request.issuer, request.serial, request.reason.value)
    return CertificateRevocation.of(found)


lambda_handler = web.lambda_handler(app, needs=Needs(admin=True))
