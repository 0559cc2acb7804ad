"""POST /v1/tenants/{tenant}/session-keys: set up a session key by key transport (KMS unwraps it)."""

from __future__ import annotations

from typing import Annotated

from astca import web
from astca.api.sessions import SessionKeyCreated, SessionKeyRequest
from astca.services.sessions import session_service, token_owner
from astca.web import Depends, Needs, Principal, Response

app = web.create_app()


@app.post(
    "/v1/tenants/<tenant>/session-keys",
    summary="Create a session key",
    description="Takes a fresh 256-bit key as a compact JWE (RSA-OAEP-256, A256GCM) to the key of "
    "GET /v1/session-encryption/jwks. The key is bound to the caller (user and AST client id) and expires "
    "(default 15 minutes); requests to encrypted routes then send Content-Type application/jose, "
    "X-Session-Key-Id and a dir/A256GCM JWE body, and get their answers encrypted alike.",
    tags=["session encryption"],
    security=[{"bearer": []}],
    responses={
        **web.documented(201, "The session key id and its expiry", SessionKeyCreated),
        **web.documented(403, "5104037 SessionKeyDecryptionFailed, 510403x"),
    },
)
def create_session_key(
    tenant: str, request: SessionKeyRequest, principal: Annotated[Principal, Depends(web.principal)]
) -> Response[str]:
    """Unwrap and store the session key, answer 201."""
    record = session_service().create(token_owner(tenant, principal), request.jwe)
    return web.json_response(SessionKeyCreated.of(record), status=201)


lambda_handler = web.lambda_handler(app, needs=Needs(user_id=True, client_id=True))
