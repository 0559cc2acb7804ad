"""The committed openapi.json is what the functions' resolvers describe, and it covers exactly the template's routes."""

from __future__ import annotations

import json

from local.functions import LocalFunctions
from local.openapi import openapi_document, openapi_json
from local.resources import LocalResources
from local.template import ROOT, Template

COMMITTED = ROOT / "openapi.json"


def test_committed_document_matches_the_code(aws: LocalResources) -> None:
    generated = json.loads(openapi_json(LocalFunctions(aws)))

    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))

    assert committed == generated, "openapi.json is out of date: run `make openapi` and commit it"


def test_document_describes_exactly_the_template_routes(aws: LocalResources) -> None:
    document = openapi_document(LocalFunctions(aws))

    json.dumps(document)  # plain JSON data, as /openapi.json and /docs serve it
    documented = {
        (method.upper(), path) for path, item in document.get("paths", {}).items() for method in item
    }
    routed = {(route.method, route.path) for route in Template.load().routes()}
    assert documented == routed
