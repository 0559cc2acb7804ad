"""POST /v1/tenants/{tenant}/certificates/revoke-self: a device revokes its own certificate, proving it holds the key."""

from __future__ import annotations

from typing import Annotated

from astca import web
from astca.api.certificates import CertificateRevocation, SelfRevocationRequest
from astca.services.certificates import certificate_service
from astca.web import Depends, Needs, Principal

app = web.create_app()


@app.post(
    "/v1/tenants/<tenant>/certificates/revoke-self",
    summary="Revoke the client certificate over mTLS",
    description="A lost or compromised device's own certificate, revoked by the device: the client certificate "
    "must be an unexpired, unrevoked certificate this tenant's signers issued, byte for byte the one on record. "
    "Its key is proven by the mutual-TLS handshake or, behind a terminator whose header carries the "
    "certificate, by field 'proof'.",
    tags=["certificates"],
    responses={
        **web.documented(200, "The certificate, REVOKED", CertificateRevocation),
        **web.documented(
            401, "5104011 TlsClientAuthMissing, or 510401: not a certificate of this tenant, or no proof"
        ),
        **web.documented(409, "51024 AlreadyRevoked (extension)"),
    },
)
def revoke_own_certificate(
    tenant: str, request: SelfRevocationRequest, principal: Annotated[Principal, Depends(web.principal)]
) -> CertificateRevocation:
    """Revoke the caller's certificate and answer with the revocation."""
    assert principal.client_certificate is not None  # Needs(client_certificate=True) guarantees it
    record = certificate_service().revoke_own(
        tenant,
        principal.client_certificate,
        request.reason.value,
        proven=principal.client_certificate_proven,
        proof=request.proof,
        path=app.current_event.raw_path,
    )
    return CertificateRevocation.of(record)


lambda_handler = web.lambda_handler(app, needs=Needs(token=False, client_certificate=True))
