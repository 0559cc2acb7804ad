"""GET /v1/tenants/{tenant}/certificates/{certificateId}: the certificate, exactly once (one round trip)."""

from __future__ import annotations

from typing import Annotated

from astca import web
from astca.api.certificates import CertificateDelivery
from astca.services.certificates import certificate_service
from astca.web import Depends, Needs, Principal

app = web.create_app()


@app.get(
    "/v1/tenants/<tenant>/certificates/<certificateId>",
    summary="Fetch a certificate (once)",
    description="The first successful call returns the certificate and its chain; later calls are 410.",
    tags=["certificates"],
    security=[{"bearer": []}],
    responses={
        **web.documented(200, "The certificate and its chain"),
        **web.documented(404, "5104042 CertificateNotFound"),
        **web.documented(409, "51020 NotYetSigned (Retry-After)"),
        **web.documented(410, "51021 AlreadyDelivered or 51022 IssuanceFailed"),
    },
)
def get_certificate(
    tenant: str,
    certificateId: str,  # noqa: N803 - the path's own name
    principal: Annotated[Principal, Depends(web.principal)],
) -> CertificateDelivery:
    """Hand the certificate out."""
    delivery = certificate_service().deliver(tenant, certificateId, str(principal.user_id))
    record = delivery.record
    return CertificateDelivery(
        id=record.id,
        profile=record.profile,
        serial=record.serial,
        not_before=record.not_before,
        not_after=record.not_after,
        certificate=delivery.certificate,
        chain=delivery.chain,
    )


lambda_handler = web.lambda_handler(app, needs=Needs(user_id=True), encrypted=True)
