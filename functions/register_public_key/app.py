"""POST /v1/tenants/{tenant}/public-keys: register the public half of a key that stays on the caller's device."""

from __future__ import annotations

from typing import Annotated

from astca import web
from astca.api.public_keys import PublicKeyView, RegisterPublicKeyRequest
from astca.services.public_keys import public_key_service
from astca.web import Depends, Needs, Principal, Response

app = web.create_app()


@app.post(
    "/v1/tenants/<tenant>/public-keys",
    summary="Register a public key",
    description="The token's amr must show a password login. The body's proof, a compact JWS signed by the "
    "key itself (typ astca-key-proof+jwt; claims sub = the token's user, tenant = the path's, iat within "
    "300 s), proves the caller holds the private key; a missing, stale or foreign proof is 4002. The key's "
    "kid is its RFC 7638 thumbprint, unique in the tenant; its owner is the token's user. The identity "
    "provider verifies the user's signed assertions (RFC 7523) with it.",
    tags=["public keys"],
    security=[{"bearer": []}],
    responses={
        **web.documented(201, "The registered key; Location names it", PublicKeyView),
        **web.documented(400, "4001/4002/4005: no accepted public JWK, no valid proof, a bad expiresAt"),
        **web.documented(403, "51050 PasswordAuthMissing, 5104031 MissingUserId"),
        **web.documented(409, "51051 KeyAlreadyExists"),
    },
)
def register_public_key(
    tenant: str,
    request: RegisterPublicKeyRequest,
    principal: Annotated[Principal, Depends(web.principal)],
) -> Response[str]:
    """Register the key and answer 201 with where to read it."""
    key = public_key_service().register(
        tenant, principal, request.jwk, request.expires_at, proof=request.proof
    )
    location = f"/v1/tenants/{tenant}/public-keys/{key.kid}"
    return web.json_response(PublicKeyView.of(key), status=201, headers={"Location": location})


lambda_handler = web.lambda_handler(app, needs=Needs(user_id=True), encrypted=True)
