"""``make openapi``: the merged OpenAPI 3.1 document of every function that has HttpApi routes.

Each HTTP function's resolver (its module's ``app``) describes its own routes; Powertools'
``OpenAPIMerge`` joins them under the title "astca" and the version in pyproject.toml. The functions
are imported as the gateway imports them, with their template environment, on an in-process moto.
Each resolver's document is first rewritten to what the service really answers (``openapi_schema``):
failures are problem+json, never Powertools' 422. ``openapi.json`` at the repository root is this
command's output, and a test keeps the two equal. Nothing here runs in a Lambda.
"""

from __future__ import annotations

import contextlib
import json
import sys
import tomllib
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from astca import catalog
from astca.web import PROBLEM_JSON
from local.aws_env import use_local_aws
from local.functions import LocalFunctions
from local.resources import Provisioner
from local.template import ROOT, Template

TITLE = "astca"
RESOLVER_NAME = "app"

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details with the catalog's own fields; the status is the catalog's",
    "type": "object",
    "required": ["type", "title", "status", "detail", "subsystem", "errorCode", "name", "code"],
    "properties": {
        "type": {"type": "string", "examples": ["urn:astca:error:510-4001"]},
        "title": {"type": "string", "examples": ["MissingField"]},
        "status": {"type": "integer", "examples": [400]},
        "detail": {"type": "string", "examples": ["field 'csr' is required"]},
        "instance": {"type": "string"},
        "subsystem": {"type": "integer", "const": catalog.SUBSYSTEM},
        "errorCode": {"type": "integer", "examples": [4001]},
        "name": {"type": "string", "examples": ["MissingField"]},
        "code": {
            "type": "integer",
            "description": "subsystem x 1,000,000 + errorCode",
            "examples": [510004001],
        },
        "requestId": {"type": "string"},
    },
}


def api_version() -> str:
    """The project's version, from pyproject.toml."""
    with (ROOT / "pyproject.toml").open("rb") as stream:
        return str(tomllib.load(stream)["project"]["version"])


def openapi_schema(app: APIGatewayHttpResolver) -> dict[str, Any]:
    """The resolver's OpenAPI document as the service answers: failures are problem+json, never a 422."""
    document: dict[str, Any] = json.loads(
        app.get_openapi_json_schema(security_schemes={"bearer": HTTPBearer(bearerFormat="JWT")})
    )
    problem = {"content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            if responses.pop("422", None) is not None:
                responses["400"] = {
                    "description": "4001 MissingField, 4002 MalformedField or 4005 MalformedBody",
                    **problem,
                }
            for status, response in responses.items():
                if status != "default" and int(status) >= 400:
                    response.update(problem)
            responses["default"] = {
                "description": "Any other failure: an entry of the 510 catalog",
                **problem,
            }
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas.pop("ResponseValidationError", None)
    schemas["Problem"] = PROBLEM_SCHEMA
    return document


def _merged(functions: LocalFunctions) -> OpenAPIMerge:
    merge = OpenAPIMerge(
        title=TITLE,
        version=api_version(),
        on_conflict="error",
        security_schemes={"bearer": HTTPBearer(bearerFormat="JWT")},
    )
    for function in functions:
        if function.spec.routes:
            resolver = getattr(function.module(), RESOLVER_NAME)
            merge.add_schema(openapi_schema(resolver))
    return merge


def openapi_document(functions: LocalFunctions) -> dict[str, Any]:
    """The merged document as plain JSON data."""
    document: dict[str, Any] = json.loads(openapi_json(functions))
    return document


def openapi_json(functions: LocalFunctions) -> str:
    """The merged document as indented JSON text, the form committed as openapi.json."""
    return _merged(functions).get_openapi_json_schema() + "\n"


def main() -> int:
    """Print the merged document."""
    use_local_aws()
    from moto import mock_aws

    with mock_aws(), contextlib.redirect_stdout(sys.stderr):
        functions = LocalFunctions(Provisioner().provision(Template.load()))
        text = openapi_json(functions)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
