"""GET /v1/tenants/{tenant}/public-keys: the caller's keys, a page at a time, optionally filtered."""

from __future__ import annotations

from typing import Annotated

from astca import web
from astca.api.public_keys import PublicKeyList, PublicKeyView
from astca.services.public_keys import public_key_service
from astca.web import Depends, Needs, Principal, Query

app = web.create_app()


@app.get(
    "/v1/tenants/<tenant>/public-keys",
    summary="The caller's public keys",
    description="In kid order, expired keys included until they are removed. filter: e.g. kty eq 'EC' and "
    "expiresAt gt '2026-01-01T00:00:00Z' (fields kty, crv, createdAt, expiresAt).",
    tags=["public keys"],
    security=[{"bearer": []}],
    responses={**web.documented(400, "5104003 BadPagination or 5104004 BadFilter")},
)
def list_public_keys(
    tenant: str,
    principal: Annotated[Principal, Depends(web.principal)],
    limit: Annotated[str | None, Query(description="1-100, default 25")] = None,
    next_token: Annotated[str | None, Query(alias="nextToken", description="From the previous page")] = None,
    filter_text: Annotated[str | None, Query(alias="filter", description="A filter expression")] = None,
) -> PublicKeyList:
    """Answer with one page."""
    keys, token = public_key_service().page(
        tenant, principal, limit=limit, token=next_token, filter_text=filter_text
    )
    return PublicKeyList(items=[PublicKeyView.of(key) for key in keys], next_token=token)


lambda_handler = web.lambda_handler(app, needs=Needs(user_id=True), encrypted=True)
