"""GET /v1/tenants/{tenant}/signers/current: the tenant's current signer."""

from __future__ import annotations

from astca import web
from astca.api.signers import SignerView
from astca.services.signers import signer_service
from astca.web import Needs

app = web.create_app()


@app.get(
    "/v1/tenants/<tenant>/signers/current",
    summary="The tenant's current signer",
    tags=["signers"],
    security=[{"bearer": []}],
    responses={
        **web.documented(200, "The current signer"),
        **web.documented(404, "5104043 SignerNotFoundForTenant"),
    },
)
def get_current_signer(tenant: str) -> SignerView:
    """Answer with the current signer."""
    return SignerView.of(signer_service().current(tenant))


lambda_handler = web.lambda_handler(app, needs=Needs(admin=True))
