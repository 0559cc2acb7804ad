"""An HTTP function's cold start loads what its path uses, and the modules of other paths stay off it.

Each check loads ``functions/<name>/app.py`` in a fresh interpreter, as a Lambda container does, and
looks at ``sys.modules`` afterwards: an import anywhere down the chain counts. ``make bench`` measures
the time itself (``bench/cold_start.py``); these checks keep what a path does not use from creeping back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HTTP_FUNCTIONS = sorted(
    path.parent.name
    for path in (ROOT / "functions").glob("*/app.py")
    if "web.create_app()" in path.read_text()
)
LIST_FUNCTIONS = {"list_signers", "list_public_keys"}
# What no HTTP function uses: the other resolvers (AppSync's brings asyncio) and event classes.
OTHER_POWERTOOLS = {
    "asyncio",
    "aws_lambda_powertools.event_handler.appsync",
    "aws_lambda_powertools.event_handler.bedrock_agent",
    "aws_lambda_powertools.utilities.data_classes.sqs_event",
    "aws_lambda_powertools.utilities.data_classes.code_pipeline_job_event",
}
# The filter language and the cursors: only lists use them.
LIST_MODULES = {"astca.storage.filters", "astca.storage.pagination"}
LOAD = """
import importlib.util, json, sys
for path in sys.argv[1:]:
    spec = importlib.util.spec_from_file_location("app", path)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
{then}
print(json.dumps(sorted(sys.modules)))
"""


def run(code: str, *arguments: str, env: dict[str, str] | None = None) -> list[str]:
    """What a fresh interpreter prints running ``code`` with the layer and the repository on its path."""
    result = subprocess.run(
        [sys.executable, "-c", code, *arguments],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {}), "PYTHONPATH": f"{ROOT / 'layers' / 'common'}{os.pathsep}{ROOT}"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def after_loading(name: str, then: str = "", env: dict[str, str] | None = None) -> set[str]:
    """The modules held once ``functions/<name>/app.py`` is loaded (and ``then`` ran)."""
    modules: list[str] = json.loads(
        run(LOAD.format(then=then), str(ROOT / "functions" / name / "app.py"), env=env)[-1]
    )
    return set(modules)


@pytest.mark.parametrize("name", HTTP_FUNCTIONS)
def test_an_http_function_loads_no_other_resolver_or_event_class(name: str) -> None:
    modules = after_loading(name)

    assert sorted(OTHER_POWERTOOLS & modules) == []
    assert "aws_lambda_powertools.utilities.idempotency" not in modules


@pytest.mark.parametrize("name", sorted(set(HTTP_FUNCTIONS) - LIST_FUNCTIONS))
def test_only_lists_load_the_filter_language_and_the_cursors(name: str) -> None:
    assert sorted(LIST_MODULES & after_loading(name)) == []


@pytest.mark.parametrize("name", ["request_certificate", "get_certificate", "find_certificate"])
def test_the_certificate_service_loads_the_ca_hierarchy_only_to_answer_a_chain(name: str) -> None:
    env = {
        "ASTCA_TABLE_NAME": "astca-Table",
        "ASTCA_IDEMPOTENCY_TABLE_NAME": "astca-IdempotencyTable",
        "ASTCA_SIGNER_REQUESTS_QUEUE_URL": "https://sqs.eu-central-1.amazonaws.com/123456789012/signer",
        "ASTCA_CERTIFICATE_REQUESTS_QUEUE_URL": "https://sqs.eu-central-1.amazonaws.com/123456789012/cert",
        "ASTCA_CA_EVENTS_QUEUE_URL": "https://sqs.eu-central-1.amazonaws.com/123456789012/events",
        "ASTCA_CURSOR_SECRET_ARN": "arn:aws:secretsmanager:eu-central-1:123456789012:secret:cursor",
    }
    then = "from astca.services.certificates import certificate_service\ncertificate_service()"

    modules = after_loading(name, then, env)

    assert (
        sorted(
            module for module in modules if module.startswith(("astca.services.hierarchy", "astca.issuance"))
        )
        == []
    )


def test_powertools_idempotency_loads_only_for_a_request_with_an_idempotency_key() -> None:
    code = """
import json, sys
from astca import web
from local.events import http_event
from local.functions import lambda_context

app = web.create_app()

@app.get("/v1/health")
def health() -> dict[str, str]:
    return {"status": "ok"}

handler = web.lambda_handler(app, idempotent=True)
loaded = []
for headers in ({}, {"Idempotency-Key": "k1"}):
    handler(http_event("GET", "/v1/health", headers=headers), lambda_context())
    loaded.append("astca.storage.idempotency" in sys.modules)
print(json.dumps(loaded))
"""

    assert json.loads(run(code)[-1]) == [False, True]
