"""POST /v1/tenants/{tenant}/certificates: accept a CSR for asynchronous signing (one round trip)."""

from __future__ import annotations

from typing import Annotated

from astca import web
from astca.api.certificates import CertificateAccepted, CertificateRequest
from astca.services.certificates import certificate_service, token_subject
from astca.web import Depends, Needs, Principal, Response

app = web.create_app()


@app.post(
    "/v1/tenants/<tenant>/certificates",
    summary="Request a certificate",
    description="Checks the CSR against the profile and accepts it; the certificate is signed asynchronously. "
    "Subject and identity come from the token (AST client id, user id), never from the CSR. "
    "Send Idempotency-Key to make retries safe.",
    tags=["certificates"],
    security=[{"bearer": []}],
    responses={
        **web.documented(202, "Accepted; Location names the certificate to fetch", CertificateAccepted),
        **web.documented(
            400, "4001/4002/4005, 51011 UnsupportedKeyType, 51012 BadKey, 51013 UnsupportedAlgorithm"
        ),
        **web.documented(403, "51010 InvalidCsrSignature, 51014 BadProfile, 510403 and 510403x"),
        **web.documented(404, "5104043 SignerNotFoundForTenant"),
        **web.documented(409, "51041 SignerRevoked"),
        **web.documented(412, "51030 SignerNotYetIssued"),
    },
)
def request_certificate(
    tenant: str, request: CertificateRequest, principal: Annotated[Principal, Depends(web.principal)]
) -> Response[str]:
    """Accept the request and answer 202 with where to fetch the certificate."""
    record = certificate_service().request(
        tenant,
        token_subject(principal),
        request.csr,
        request.profile,
        validity_days=request.validity_days,
        idempotency_key=app.current_event.headers.get(web.IDEMPOTENCY_KEY_HEADER),
    )
    location = f"/v1/tenants/{tenant}/certificates/{record.id}"
    return web.json_response(CertificateAccepted.of(record), status=202, headers={"Location": location})


lambda_handler = web.lambda_handler(
    app, needs=Needs(user_id=True, client_id=True), idempotent=True, encrypted=True
)
