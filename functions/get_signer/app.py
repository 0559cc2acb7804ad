"""GET /v1/tenants/{tenant}/signers/{signerId}: one of the tenant's signers."""

from __future__ import annotations

from astca import web
from astca.api.signers import SignerView
from astca.services.signers import signer_service
from astca.web import Needs

app = web.create_app()


@app.get(
    "/v1/tenants/<tenant>/signers/<signerId>",
    summary="A signer of the tenant",
    tags=["signers"],
    security=[{"bearer": []}],
    responses={**web.documented(200, "The signer"), **web.documented(404, "5104041 SignerNotFound")},
)
def get_signer(tenant: str, signerId: str) -> SignerView:  # noqa: N803 - the path's own name
    """Answer with the signer."""
    return SignerView.of(signer_service().get(tenant, signerId))


lambda_handler = web.lambda_handler(app, needs=Needs(admin=True))
