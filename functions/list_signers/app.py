"""GET /v1/tenants/{tenant}/signers: the tenant's signers, a page at a time, optionally filtered."""

from __future__ import annotations

from typing import Annotated

from astca import web
from astca.api.signers import SignerList, SignerView
from astca.services.signers import signer_service
from astca.web import Needs, Query

app = web.create_app()


@app.get(
    "/v1/tenants/<tenant>/signers",
    summary="The tenant's signers",
    description="Oldest first. filter: e.g. state eq 'ISSUED' and createdAt gt '2026-01-01T00:00:00Z' "
    "(fields state, name, generation, createdAt, issuedAt).",
    tags=["signers"],
    security=[{"bearer": []}],
    responses={**web.documented(400, "5104003 BadPagination or 5104004 BadFilter")},
)
def list_signers(
    tenant: str,
    limit: Annotated[str | None, Query(description="1-100, default 25")] = None,
    next_token: Annotated[str | None, Query(alias="nextToken", description="From the previous page")] = None,
    filter_text: Annotated[str | None, Query(alias="filter", description="A filter expression")] = None,
) -> SignerList:
    """Answer with one page."""
    signers, token = signer_service().page(tenant, limit=limit, token=next_token, filter_text=filter_text)
    return SignerList(items=[SignerView.of(signer) for signer in signers], next_token=token)


lambda_handler = web.lambda_handler(app, needs=Needs(admin=True))
