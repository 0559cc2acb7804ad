"""POST /v1/tenants/{tenant}/sdkconfig: the config, signed by the tenant's current signer (a compact JWS)."""

from __future__ import annotations

from astca import web
from astca.api.sdk_configs import SdkConfigRequest, SdkConfigView
from astca.services.sdk_configs import sdk_config_service
from astca.web import Needs, Response

app = web.create_app()


@app.post(
    "/v1/tenants/<tenant>/sdkconfig",
    summary="Create a signed SDK config",
    description="Signs the config with the tenant's current signer (KMS): a JWS Compact Serialization whose "
    "header carries x5c = [signer CA, issuer CA] and kid = the signer's id, and whose claims are the config as "
    "sent plus iss (the service's URL), sub (the tenant), iat and jti. RS256 for RSA signer keys, ES256 or "
    "ES384 for P-256 or P-384 ones. Verify it against the root of GET /v1/tenants/{tenant}/ca.",
    tags=["sdk configs"],
    security=[{"bearer": []}],
    responses={
        **web.documented(201, "The signed config", SdkConfigView),
        **web.documented(404, "5104043 SignerNotFoundForTenant"),
        **web.documented(409, "51041 SignerRevoked"),
        **web.documented(412, "51030 SignerNotYetIssued"),
        **web.documented(500, "51031 SdkConfigSignError"),
    },
)
def create_sdk_config(tenant: str, request: SdkConfigRequest) -> Response[str]:
    """Sign the config and answer 201 with the token."""
    context = app.current_event.request_context
    token = sdk_config_service().create(
        tenant, request.claims(), domain_name=context.domain_name, api_id=context.api_id
    )
    return web.json_response(SdkConfigView(sdk_config=token), status=201)


lambda_handler = web.lambda_handler(app, needs=Needs(admin=True))
