"""GET /v1/ca/certificates/{name} and /v1/tenants/{tenant}/ca/certificates/{name}: a CA certificate as DER, public.

These are the URLs every certificate's AIA caIssuers names (``astca.domain.locations``): a relying
party that lacks an intermediate fetches it here. The certificates never change once issued, so
the answers may be cached for a day.
"""

from __future__ import annotations

from astca import web
from astca.services.trust import trust_material
from astca.web import Response

app = web.create_app()

PKIX_CERT = "application/pkix-cert"  # RFC 2585
MAX_AGE_SECONDS = 86400


def _der(body: bytes) -> Response[str]:
    return web.binary_response(
        body, content_type=PKIX_CERT, headers={"Cache-Control": f"public, max-age={MAX_AGE_SECONDS}"}
    )


@app.get(
    "/v1/ca/certificates/<name>",
    summary="A platform CA certificate",
    description="The platform root (`root`) or issuer CA (`issuer`) certificate, DER.",
    tags=["signers"],
    responses={
        **web.documented(200, "The certificate, DER", binary=PKIX_CERT),
        **web.documented(404, "5104041 SignerNotFound: no such platform CA"),
    },
)
def get_platform_certificate(name: str) -> Response[str]:
    """Answer with the platform CA certificate, DER."""
    return _der(trust_material().certificate_der(None, name))


@app.get(
    "/v1/tenants/<tenant>/ca/certificates/<name>",
    summary="A CA certificate of the tenant",
    description="The tenant's anchor (`anchor`), its cross-certificate by the platform issuer (`cross`) "
    "or one of its signer CAs (by id, revoked ones too), DER.",
    tags=["signers"],
    responses={
        **web.documented(200, "The certificate, DER", binary=PKIX_CERT),
        **web.documented(404, "5104041 SignerNotFound, or 5104043 SignerNotFoundForTenant: no anchor yet"),
    },
)
def get_tenant_certificate(tenant: str, name: str) -> Response[str]:
    """Answer with the tenant's CA certificate, DER."""
    return _der(trust_material().certificate_der(tenant, name))


# No caller to authenticate; the tenant path segment is checked by the service (one handler, two routes).
lambda_handler = web.lambda_handler(app)
