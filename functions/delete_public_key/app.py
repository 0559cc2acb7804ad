"""DELETE /v1/tenants/{tenant}/public-keys/{kid}: remove one of the caller's keys."""

from __future__ import annotations

from typing import Annotated

from astca import web
from astca.services.public_keys import public_key_service
from astca.web import Depends, Needs, Principal, Response

app = web.create_app()


@app.delete(
    "/v1/tenants/<tenant>/public-keys/<kid>",
    summary="Delete one of the caller's keys",
    description="Only the key's owner may delete it; its thumbprint may then be registered again.",
    tags=["public keys"],
    security=[{"bearer": []}],
    responses={**web.documented(204, "Deleted"), **web.documented(404, "5104045 KeyNotFound")},
)
def delete_public_key(
    tenant: str, kid: str, principal: Annotated[Principal, Depends(web.principal)]
) -> Response[str]:
    """Delete and answer 204."""
    public_key_service().delete(tenant, principal, kid)
    return Response(status_code=204, body="")


lambda_handler = web.lambda_handler(app, needs=Needs(user_id=True), encrypted=True)
