"""Local conveniences that are not in the template: Swagger UI at /docs and the document at /openapi.json.

Swagger UI's script and style come from the copy bundled with Powertools, so /docs works offline.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler.openapi import swagger_ui
from aws_lambda_powertools.event_handler.openapi.swagger_ui import generate_swagger_html

from local.gateway import HttpResponse, LocalPage, json_response
from local.template import ROOT

DOCS_PATH = "/docs"
OPENAPI_PATH = "/openapi.json"
_ASSETS = {
    "swagger-ui-bundle.min.js": "application/javascript; charset=utf-8",
    "swagger-ui.min.css": "text/css; charset=utf-8",
}


def docs_pages(document: Callable[[], dict[str, Any]]) -> dict[str, LocalPage]:
    """The pages by path; ``document`` gives the OpenAPI document, made once in the background from now on.

    Making it imports every function (seconds on a busy machine): started with the stack, it is ready
    before anyone asks, and a request that comes earlier waits for that one run, never starts another.
    """
    made = ThreadPoolExecutor(max_workers=1, thread_name_prefix="openapi").submit(document)

    def cached() -> dict[str, Any]:
        return made.result()

    def swagger(query: str) -> HttpResponse:
        if query == "format=json":
            return openapi(query)
        html = generate_swagger_html(
            spec=json.dumps(cached()),
            swagger_js=f"{DOCS_PATH}/swagger-ui-bundle.min.js",
            swagger_css=f"{DOCS_PATH}/swagger-ui.min.css",
            swagger_base_url=DOCS_PATH,
            oauth2_config=None,
        )
        return HttpResponse(200, [("Content-Type", "text/html; charset=utf-8")], html.encode())

    def openapi(_query: str) -> HttpResponse:
        return json_response(200, cached())

    pages: dict[str, LocalPage] = {DOCS_PATH: swagger, OPENAPI_PATH: openapi}
    for name, content_type in _ASSETS.items():
        pages[f"{DOCS_PATH}/{name}"] = _asset(Path(swagger_ui.__file__).parent / name, content_type)
    return pages


def generated_document(timeout_seconds: float = 120) -> dict[str, Any]:
    """The OpenAPI document as ``make openapi`` makes it, in a process of its own (the stack imports no function)."""
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "common"), str(ROOT)])}
    made = subprocess.run(
        [sys.executable, "-m", "local.openapi"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        timeout=timeout_seconds,
        check=True,
    )
    document: dict[str, Any] = json.loads(made.stdout)
    return document


def _asset(path: Path, content_type: str) -> LocalPage:
    def serve(_query: str) -> HttpResponse:
        return HttpResponse(200, [("Content-Type", content_type)], path.read_bytes())

    return serve
