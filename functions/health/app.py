"""GET /v1/health: liveness of the API, no authentication."""

from __future__ import annotations

from pydantic import BaseModel

from astca import web

app = web.create_app()


class Health(BaseModel):
    """The service is up."""

    status: str


@app.get("/v1/health", summary="Liveness check", tags=["health"], responses={200: {"description": "Up"}})
def health() -> Health:
    """Answer that the service is up."""
    return Health(status="ok")


lambda_handler = web.lambda_handler(app)
