"""GET /v1/tenants/{tenant}/ca: the tenant's trust anchor and chains, public."""

from __future__ import annotations

from astca import web
from astca.api.signers import CaChainView
from astca.services.signers import ca_hierarchy, signer_service
from astca.web import Needs

app = web.create_app()


@app.get(
    "/v1/tenants/<tenant>/ca",
    summary="The tenant's CA certificates",
    description="The root CA (trust anchor), the issuer CA, and every issued, unrevoked signer CA of the tenant (PEM).",
    tags=["signers"],
    responses={**web.documented(200, "The certificates")},
)
def get_ca_chain(tenant: str) -> CaChainView:
    """Answer with the root, issuer and signer certificates."""
    chain = signer_service().ca_chain(tenant, ca_hierarchy())
    return CaChainView(root=chain.root, issuer=chain.issuer, signers=chain.signers)


lambda_handler = web.lambda_handler(app, needs=Needs(token=False))
