"""bootstrap: the CloudFormation custom resource that creates the CA hierarchy (root and issuer CA in KMS).

Create and Update run ``bootstrap_ca``, which is idempotent: the first run creates the KMS keys, their
aliases and the certificates, every later run finds them and changes nothing. Delete does nothing
on purpose: the CA keys and the CA items stay (the table is retained too), because deleting a CA
key destroys every certificate chain under it and must be an operator's explicit decision
(``aws kms schedule-key-deletion``), never a side effect of deleting a stack.

The answer goes to CloudFormation as its custom resource protocol asks: a PUT of a JSON document to
the presigned ``ResponseURL``, sent whatever happened (an unexpected error is a FAILED answer, so the
stack never waits an hour for a resource that will not answer). ``Data`` holds the CA keys' ids and
ARNs (``!GetAtt CaHierarchy.IssuerKeyArn``). The handler returns the document it sent.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from astca.services.hierarchy import hierarchy_service
from astca.web import CaError

RESPONSE_TIMEOUT_SECONDS = 10

logger = Logger()
service = hierarchy_service()


def handle(event: dict[str, Any]) -> dict[str, str]:
    """Act on one custom resource request; the ``Data`` of the answer."""
    request_type = event.get("RequestType")
    if request_type in ("Create", "Update"):
        return service.bootstrap()
    if request_type == "Delete":
        logger.info("CA hierarchy kept: deleting CA keys is an explicit operator action")
        return {}
    raise ValueError(f"unknown RequestType {request_type!r}")


def send_response(url: str, document: dict[str, Any]) -> None:
    """PUT the answer to CloudFormation's presigned URL (as cfn-response does: no content type)."""
    if urllib.parse.urlsplit(url).scheme not in ("https", "http"):
        raise ValueError("ResponseURL is not an HTTP(S) URL")
    body = json.dumps(document).encode()
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url, data=body, method="PUT", headers={"Content-Type": "", "Content-Length": str(len(body))}
    )
    with urllib.request.urlopen(request, timeout=RESPONSE_TIMEOUT_SECONDS) as response:  # noqa: S310
        response.read()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Bootstrap the CA hierarchy (or do nothing on Delete) and answer CloudFormation."""
    document: dict[str, Any] = {
        "Status": "SUCCESS",
        "Reason": f"See CloudWatch log stream {context.log_stream_name}",
        "PhysicalResourceId": event.get("PhysicalResourceId") or service.physical_id,
        "StackId": event.get("StackId", ""),
        "RequestId": event.get("RequestId", ""),
        "LogicalResourceId": event.get("LogicalResourceId", ""),
        "NoEcho": False,
        "Data": {},
    }
    try:
        document["Data"] = handle(event)
    except CaError as error:
        logger.error("CA bootstrap failed", extra={"errorName": error.entry.name, "detail": error.detail})
        document.update(Status="FAILED", Reason=f"{error.entry.name} {error.entry.code}: {error.detail}")
    except Exception as error:  # CloudFormation must hear of every failure
        logger.exception("CA bootstrap failed unexpectedly")
        document.update(
            Status="FAILED", Reason=f"{type(error).__name__}; see log stream {context.log_stream_name}"
        )
    try:
        send_response(str(event.get("ResponseURL", "")), document)
    except Exception:  # nothing else can tell CloudFormation; the log shows it
        logger.exception("the answer did not reach CloudFormation", extra={"status": document["Status"]})
    else:
        logger.info("answered CloudFormation", extra={"status": document["Status"], "data": document["Data"]})
    return document
