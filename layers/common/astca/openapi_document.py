"""The OpenAPI document as the service really answers: failures are problem+json, never Powertools' 422.

Used where the document is generated (``make openapi``, the local stack's /docs), never at run time.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from astca import catalog
from astca.web import PROBLEM_JSON

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


def openapi_schema(app: APIGatewayHttpResolver) -> dict[str, Any]:
    """The resolver's OpenAPI document as the service answers: failures are problem+json, never a 422."""
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer  # noqa: PLC0415 - docs only

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
