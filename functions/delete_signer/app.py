"""DELETE /v1/tenants/{tenant}/signers/{signerId}: delete a signer that has issued nothing."""

from __future__ import annotations

from astca import web
from astca.services.signers import signer_service
from astca.web import Needs, Response

app = web.create_app()


@app.delete(
    "/v1/tenants/<tenant>/signers/<signerId>",
    summary="Delete an unused signer",
    description="Only while it has issued no certificate; its KMS key is scheduled for deletion.",
    tags=["signers"],
    security=[{"bearer": []}],
    responses={
        **web.documented(204, "Deleted"),
        **web.documented(404, "5104041 SignerNotFound"),
        **web.documented(409, "51045 SignerAlreadyInUse"),
    },
)
def delete_signer(tenant: str, signerId: str) -> Response[str]:  # noqa: N803 - the path's own name
    """Delete and answer 204."""
    signer_service().delete(tenant, signerId)
    return Response(status_code=204, body="")


lambda_handler = web.lambda_handler(app, needs=Needs(admin=True))
