"""GET /v1/tenants/{tenant}/ca: the tenant's trust anchor, its chain and the platform path, public."""

from __future__ import annotations

from astca import web
from astca.api.signers import CaChainView, PlatformPathView
from astca.services.trust import trust_material
from astca.web import Needs

app = web.create_app()


@app.get(
    "/v1/tenants/<tenant>/ca",
    summary="The tenant's trust anchor and chains",
    description="What a relying party pins and the chains to it: the tenant's own anchor (trust it to accept "
    "this tenant's devices and nothing of another tenant), the chain below it, every issued, unrevoked signer "
    "CA, and the platform path (the platform root and the certificates that lead to it, for relying parties "
    "of every tenant).",
    tags=["signers"],
    responses={**web.documented(200, "The trust material", CaChainView)},
)
def get_ca_chain(tenant: str) -> CaChainView:
    """Answer with the tenant's trust material."""
    trust = trust_material().tenant(tenant)
    return CaChainView(
        tenant=trust.tenant,
        anchor=trust.anchor,
        chain=trust.chain,
        signers=trust.signers,
        platform=PlatformPathView(anchor=trust.platform_anchor, chain=trust.platform_chain),
    )


lambda_handler = web.lambda_handler(app, needs=Needs(token=False))
