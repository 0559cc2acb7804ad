"""GET /v1/session-encryption/jwks: the key-transport key a device encrypts its session key to, public."""

from __future__ import annotations

from astca import web
from astca.api.sessions import SessionJwks
from astca.services.sessions import session_service
from astca.web import Response

app = web.create_app()

MAX_AGE_SECONDS = 300


@app.get(
    "/v1/session-encryption/jwks",
    summary="The session key-transport key",
    description="A JWK set with the service's RSA key (use enc, alg RSA-OAEP-256) whose private half never "
    "leaves KMS: encrypt a fresh 256-bit session key to it and POST it to /session-keys.",
    tags=["session encryption"],
    responses={**web.documented(200, "The JWK set", SessionJwks)},
)
def get_session_jwks() -> Response[str]:
    """Answer with the transport key as a JWK set."""
    jwks = SessionJwks(keys=[session_service().transport_jwk()])
    return Response(
        status_code=200,
        content_type="application/jwk-set+json",
        body=jwks.model_dump_json(by_alias=True),
        headers={"Cache-Control": f"public, max-age={MAX_AGE_SECONDS}"},
    )


lambda_handler = web.lambda_handler(app)
