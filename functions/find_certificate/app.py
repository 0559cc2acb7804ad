"""GET /v1/tenants/{tenant}/certificates?issuer=&serial=: an issued certificate by issuer and serial (admin)."""

from __future__ import annotations

from typing import Annotated

from astca import web
from astca.api.certificates import CertificateLookup
from astca.services.certificates import certificate_service
from astca.web import Needs, Query

app = web.create_app()


@app.get(
    "/v1/tenants/<tenant>/certificates",
    summary="Find a certificate by issuer and serial",
    tags=["certificates"],
    security=[{"bearer": []}],
    responses={**web.documented(404, "5104044 IssuerSerialNotFound")},
)
def find_certificate(
    tenant: str,
    issuer: Annotated[
        str, Query(description="The issuer name: RFC 4514 string or base64 DER", max_length=2048)
    ],
    serial: Annotated[str, Query(description="The serial number, hex", max_length=42)],
) -> CertificateLookup:
    """Answer with the certificate and its metadata, also after delivery."""
    found = certificate_service().find(tenant, issuer, serial)
    return CertificateLookup.of(
        found.issued,
        found.chain,
        subject=found.subject,
        not_before=found.not_before,
        not_after=found.not_after,
    )


lambda_handler = web.lambda_handler(app, needs=Needs(admin=True))
