"""POST /v1/tenants/{tenant}/certificates/renew: a new certificate for the device that proves it holds its current one."""

from __future__ import annotations

from typing import Annotated

from astca import web
from astca.api.certificates import CertificateAccepted, RenewalRequest
from astca.services.certificates import certificate_service
from astca.web import Depends, Needs, Principal, Response

app = web.create_app()


@app.post(
    "/v1/tenants/<tenant>/certificates/renew",
    summary="Renew a device certificate over mTLS",
    description="The client certificate must be an unexpired certificate this tenant's signers issued under a "
    "renewable profile, and not renewed before (a certificate renews once). Its key is proven by the mutual-TLS "
    "handshake of the API's mTLS domain or, behind a terminator whose header carries the certificate, by "
    "field 'proof'. The new CSR then follows the request path, for the same device.",
    tags=["certificates"],
    responses={
        **web.documented(202, "Accepted; Location names the new certificate", CertificateAccepted),
        **web.documented(
            401,
            "5104011 TlsClientAuthMissing, or 510401: not a certificate of this tenant, renewed already, "
            "no or a bad proof of possession, or a deployment without mutual TLS",
        ),
    },
)
def renew_certificate(
    tenant: str, request: RenewalRequest, principal: Annotated[Principal, Depends(web.principal)]
) -> Response[str]:
    """Accept the renewal and answer 202."""
    assert principal.client_certificate is not None  # Needs(client_certificate=True) guarantees it
    event = app.current_event
    record = certificate_service().renew(
        tenant,
        principal.client_certificate,
        request.csr,
        request.profile,
        proven=principal.client_certificate_proven,
        proof=request.proof,
        path=event.raw_path,
        validity_days=request.validity_days,
        idempotency_key=event.headers.get(web.IDEMPOTENCY_KEY_HEADER),
    )
    location = f"/v1/tenants/{tenant}/certificates/{record.id}"
    return web.json_response(CertificateAccepted.of(record), status=202, headers={"Location": location})


lambda_handler = web.lambda_handler(
    app, needs=Needs(token=False, client_certificate=True), idempotent=True, encrypted=True
)
