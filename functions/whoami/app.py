"""GET /v1/tenants/{tenant}/whoami: the caller as the service sees it, to check a realm's tokens."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from astca import web
from astca.web import Depends, Needs, Principal

app = web.create_app()


class Caller(BaseModel):
    """Who the service takes the caller for."""

    tenant: str
    user_id: str | None = Field(serialization_alias="userId")
    user_name: str | None = Field(serialization_alias="userName")
    client_id: str | None = Field(serialization_alias="clientId")
    roles: list[str]
    amr: list[str]


@app.get(
    "/v1/tenants/<tenant>/whoami",
    summary="The authenticated caller",
    description="Validates the bearer token against the tenant's realm and shows what the service reads from it.",
    tags=["identity"],
    security=[{"bearer": []}],
    responses={
        200: {"description": "The caller"},
        401: {"description": "510401 Unauthorized: the token failed a check the detail names"},
    },
)
def whoami(tenant: str, principal: Annotated[Principal, Depends(web.principal)]) -> Caller:
    """Answer with the caller's identity."""
    return Caller(
        tenant=tenant,
        user_id=principal.user_id,
        user_name=principal.user_name,
        client_id=principal.client_id,
        roles=sorted(principal.roles),
        amr=list(principal.amr),
    )


lambda_handler = web.lambda_handler(app, needs=Needs())
