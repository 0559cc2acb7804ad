"""POST /v1/tenants/{tenant}/signers: create the tenant's signer (or its successor); issued asynchronously."""

from __future__ import annotations

from astca import web
from astca.api.signers import CreateSignerRequest, SignerView
from astca.services.signers import signer_service
from astca.web import Needs, Response

app = web.create_app()


@app.post(
    "/v1/tenants/<tenant>/signers",
    summary="Create the tenant's signer CA",
    description="Creates a PENDING signer; a worker creates its KMS key and issues its CA certificate. "
    "With rotate=true it creates the successor of the ISSUED current signer, which takes over once issued.",
    tags=["signers"],
    security=[{"bearer": []}],
    responses={
        **web.documented(202, "The signer, PENDING; Location names it", SignerView),
        **web.documented(409, "51040 SignerAlreadyExists or 51042 SignerCreationConflict"),
    },
)
def create_signer(tenant: str, request: CreateSignerRequest) -> Response[str]:
    """Create a signer and answer 202 with where to watch it."""
    signer = signer_service().create(tenant, request.name, rotate=request.rotate)
    location = f"/v1/tenants/{tenant}/signers/{signer.id}"
    return web.json_response(SignerView.of(signer), status=202, headers={"Location": location})


lambda_handler = web.lambda_handler(app, needs=Needs(admin=True))
