"""``make openapi``: the merged OpenAPI 3.1 document of every function that has HttpApi routes.

Each HTTP function's resolver (its module's ``app``) describes its own routes; Powertools'
``OpenAPIMerge`` joins them under the title "astca" and the version in pyproject.toml. The functions
are imported as the gateway imports them, with their template environment, on an in-process moto.
``openapi.json`` at the repository root is this command's output, and a test keeps the two equal.
"""

from __future__ import annotations

import contextlib
import json
import sys
import tomllib
from typing import Any

from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from astca.openapi_document import openapi_schema
from local.aws_env import use_local_aws
from local.functions import LocalFunctions
from local.resources import Provisioner
from local.template import ROOT, Template

TITLE = "astca"
RESOLVER_NAME = "app"


def api_version() -> str:
    """The project's version, from pyproject.toml."""
    with (ROOT / "pyproject.toml").open("rb") as stream:
        return str(tomllib.load(stream)["project"]["version"])


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
