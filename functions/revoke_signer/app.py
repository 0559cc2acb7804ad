"""POST /v1/tenants/{tenant}/signers/{signerId}/revoke: revoke a signer for good; its KMS key is disabled."""

from __future__ import annotations

from astca import web
from astca.api.signers import RevokeSignerRequest, SignerView
from astca.services.signers import signer_service
from astca.web import Needs

app = web.create_app()


@app.post(
    "/v1/tenants/<tenant>/signers/<signerId>/revoke",
    summary="Revoke a signer",
    tags=["signers"],
    security=[{"bearer": []}],
    responses={
        **web.documented(200, "The signer, REVOKED"),
        **web.documented(404, "5104041 SignerNotFound"),
        **web.documented(409, "51041 SignerRevoked"),
    },
)
def revoke_signer(tenant: str, signerId: str, request: RevokeSignerRequest) -> SignerView:  # noqa: N803
    """Revoke and answer with the signer."""
    return SignerView.of(signer_service().revoke(tenant, signerId, request.reason.value))


lambda_handler = web.lambda_handler(app, needs=Needs(admin=True))
