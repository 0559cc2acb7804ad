"""GET /v1/tenants/{tenant}/public-keys/{kid}: a registered key, for its owner or the identity provider."""

from __future__ import annotations

from typing import Annotated

from astca import web
from astca.api.public_keys import PublicKeyView
from astca.services.public_keys import public_key_service
from astca.web import Depends, Needs, Principal

app = web.create_app()


@app.get(
    "/v1/tenants/<tenant>/public-keys/<kid>",
    summary="A registered public key",
    description="Readable by the key's owner and by callers with the key reader role (the identity "
    "provider's client); to anyone else the key does not exist.",
    tags=["public keys"],
    security=[{"bearer": []}],
    responses={
        **web.documented(200, "The key"),
        **web.documented(403, "5104031 MissingUserId: a token with neither a user nor the key reader role"),
        **web.documented(404, "5104045 KeyNotFound"),
        **web.documented(410, "51055 KeyExpired"),
    },
)
def get_public_key(
    tenant: str, kid: str, principal: Annotated[Principal, Depends(web.principal)]
) -> PublicKeyView:
    """Answer with the key."""
    return PublicKeyView.of(public_key_service().get(tenant, principal, kid))


# A machine token (client credentials) may carry no user: the service decides by role or owner.
lambda_handler = web.lambda_handler(app, needs=Needs(), encrypted=True)
