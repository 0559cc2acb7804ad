"""POST /v1/tenants/{tenant}/certificates/renew: a new certificate for the device presenting its current one."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends

from astca import web
from astca.api.certificates import CertificateAccepted, CertificateRequest
from astca.identity.principal import Needs, Principal
from astca.services.certificates import certificate_service

app = web.create_app()


@app.post(
    "/v1/tenants/<tenant>/certificates/renew",
    summary="Renew a device certificate over mTLS",
    description="The client certificate (mutual TLS) must be an unexpired certificate this tenant's signers "
    "issued under a renewable profile; the new CSR then follows the request path, for the same device.",
    tags=["certificates"],
    responses={
        **web.documented(202, "Accepted; Location names the new certificate", CertificateAccepted),
        **web.documented(401, "5104011 TlsClientAuthMissing or 510401 (not a certificate of this tenant)"),
    },
)
def renew_certificate(
    tenant: str, request: CertificateRequest, principal: Annotated[Principal, Depends(web.principal)]
) -> Response[str]:
    """Accept the renewal and answer 202."""
    assert principal.client_certificate is not None  # Needs(client_certificate=True) guarantees it
    record = certificate_service().renew(
        tenant,
        principal.client_certificate,
        request.csr,
        request.profile,
        idempotency_key=app.current_event.headers.get("idempotency-key"),
    )
    location = f"/v1/tenants/{tenant}/certificates/{record.id}"
    return web.json_response(CertificateAccepted.of(record), status=202, headers={"Location": location})


lambda_handler = web.lambda_handler(
    app, needs=Needs(token=False, client_certificate=True), idempotent=True, encrypted=True
)
