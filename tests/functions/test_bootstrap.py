"""The bootstrap custom resource answers CloudFormation by PUT: SUCCESS with the CA keys, or FAILED with why."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from astca.issuance.hierarchy import load_hierarchy
from astca.issuance.kms import KmsKeys
from astca.storage.ca import CA_PK, CaRepository
from astca.storage.dynamo import Table
from local.resources import LocalResources

STACK_ID = (
    "arn:aws:cloudformation:eu-central-1:123456789012:stack/astca-dev/0f4c3a10-0000-4000-8000-000000000000"
)


@dataclass
class Captured:
    """One request the CloudFormation stand-in received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def document(self) -> dict[str, Any]:
        answer: dict[str, Any] = json.loads(self.body)
        return answer


@dataclass
class CloudFormationStandIn:
    """An HTTP server on 127.0.0.1 that records every request and answers ``status``."""

    status: int = 200
    received: list[Captured] = field(default_factory=list)
    port: int = 0

    def url(self, path: str = "response") -> str:
        return f"http://127.0.0.1:{self.port}/{path}?X-Amz-Signature=abc"


@pytest.fixture
def cloudformation() -> Iterator[CloudFormationStandIn]:
    stand_in = CloudFormationStandIn()

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            stand_in.received.append(Captured("PUT", self.path, dict(self.headers.items()), body))
            self.send_response(stand_in.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stand_in.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield stand_in
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def bootstrap(aws: LocalResources, load_function: Callable[[str], ModuleType]) -> ModuleType:
    return load_function("bootstrap")


def custom_resource_event(request_type: str, response_url: str, **extra: Any) -> dict[str, Any]:
    """The event CloudFormation sends a custom resource's function."""
    return {
        "RequestType": request_type,
        "ServiceToken": "arn:aws:lambda:eu-central-1:123456789012:function:astca-bootstrap",
        "ResponseURL": response_url,
        "StackId": STACK_ID,
        "RequestId": str(uuid.uuid4()),
        "LogicalResourceId": "CaHierarchy",
        "ResourceType": "AWS::CloudFormation::CustomResource",
        "ResourceProperties": {
            "ServiceToken": "arn:aws:lambda:eu-central-1:123456789012:function:astca-bootstrap"
        },
        **extra,
    }


def kms_key_ids() -> list[str]:
    """The signing keys: the template's own keys (session encryption) encrypt."""
    kms = boto3.client("kms")
    return sorted(
        key["KeyId"]
        for key in kms.list_keys()["Keys"]
        if kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyUsage"] == "SIGN_VERIFY"
    )


def test_create_answers_success_with_the_ca_keys(
    bootstrap: ModuleType,
    cloudformation: CloudFormationStandIn,
    lambda_context: LambdaContext,
    aws: LocalResources,
) -> None:
    event = custom_resource_event("Create", cloudformation.url())

    returned = bootstrap.lambda_handler(event, lambda_context)

    (request,) = cloudformation.received
    sent = request.document()
    hierarchy = load_hierarchy(CaRepository(Table(aws.tables["Table"])))
    assert (request.method, request.path) == ("PUT", "/response?X-Amz-Signature=abc")
    assert request.headers["Content-Type"] == ""  # as cfn-response sends it: the URL is presigned
    assert sent == returned
    assert sent == {
        "Status": "SUCCESS",
        "Reason": f"See CloudWatch log stream {lambda_context.log_stream_name}",
        "PhysicalResourceId": "ca-hierarchy:alias/astca",
        "StackId": STACK_ID,
        "RequestId": event["RequestId"],
        "LogicalResourceId": "CaHierarchy",
        "NoEcho": False,
        "Data": {
            "RootKeyId": hierarchy.root.key_id,
            "RootKeyArn": hierarchy.root.key_arn,
            "IssuerKeyId": hierarchy.issuer_key_id,
            "IssuerKeyArn": hierarchy.issuer.key_arn,
        },
    }


def test_create_again_and_update_change_nothing(
    bootstrap: ModuleType, cloudformation: CloudFormationStandIn, lambda_context: LambdaContext
) -> None:
    first = bootstrap.lambda_handler(custom_resource_event("Create", cloudformation.url()), lambda_context)
    keys = kms_key_ids()

    again = bootstrap.lambda_handler(custom_resource_event("Create", cloudformation.url()), lambda_context)
    update = bootstrap.lambda_handler(
        custom_resource_event(
            "Update",
            cloudformation.url(),
            PhysicalResourceId=first["PhysicalResourceId"],
            OldResourceProperties={"ServiceToken": "arn:aws:lambda:eu-central-1:123456789012:function:old"},
        ),
        lambda_context,
    )

    assert [answer["Status"] for answer in (first, again, update)] == ["SUCCESS"] * 3
    assert first["Data"] == again["Data"] == update["Data"]
    assert first["PhysicalResourceId"] == again["PhysicalResourceId"] == update["PhysicalResourceId"]
    assert kms_key_ids() == keys
    assert len(keys) == 2


def test_delete_leaves_the_keys_and_certificates(
    bootstrap: ModuleType,
    cloudformation: CloudFormationStandIn,
    lambda_context: LambdaContext,
    aws: LocalResources,
) -> None:
    created = bootstrap.lambda_handler(custom_resource_event("Create", cloudformation.url()), lambda_context)

    deleted = bootstrap.lambda_handler(
        custom_resource_event(
            "Delete", cloudformation.url(), PhysicalResourceId=created["PhysicalResourceId"]
        ),
        lambda_context,
    )

    assert (deleted["Status"], deleted["Data"]) == ("SUCCESS", {})
    assert deleted["PhysicalResourceId"] == created["PhysicalResourceId"]
    assert cloudformation.received[-1].document() == deleted
    for key_id in (created["Data"]["RootKeyId"], created["Data"]["IssuerKeyId"]):
        info = KmsKeys().describe(key_id)
        assert info is not None
        assert info.enabled
    assert Table(aws.tables["Table"]).get(CA_PK, "ROOT") is not None


def test_a_ca_failure_answers_failed_with_the_catalog_entry(
    bootstrap: ModuleType, cloudformation: CloudFormationStandIn, lambda_context: LambdaContext
) -> None:
    keys = KmsKeys()
    root_key = keys.create_signing_key("ECC_NIST_P256", "disabled root", {})
    keys.ensure_alias("alias/astca/root", root_key)
    keys.disable(root_key)

    answer = bootstrap.lambda_handler(custom_resource_event("Create", cloudformation.url()), lambda_context)

    assert cloudformation.received[-1].document() == answer
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith("SignerError 510005003: the key behind alias/astca/root cannot sign")
    assert answer["PhysicalResourceId"] == "ca-hierarchy:alias/astca"
    assert answer["Data"] == {}


def test_an_unexpected_failure_answers_failed_without_details(
    bootstrap: ModuleType, cloudformation: CloudFormationStandIn, lambda_context: LambdaContext
) -> None:
    answer = bootstrap.lambda_handler(custom_resource_event("Replace", cloudformation.url()), lambda_context)

    assert answer["Status"] == "FAILED"
    assert answer["Reason"] == f"ValueError; see log stream {lambda_context.log_stream_name}"
    assert cloudformation.received[-1].document() == answer


def test_an_answer_cloudformation_refuses_is_logged_and_not_raised(
    bootstrap: ModuleType,
    cloudformation: CloudFormationStandIn,
    lambda_context: LambdaContext,
    caplog: pytest.LogCaptureFixture,
) -> None:
    cloudformation.status = 403  # an expired presigned URL

    answer = bootstrap.lambda_handler(custom_resource_event("Create", cloudformation.url()), lambda_context)

    assert answer["Status"] == "SUCCESS"
    assert "the answer did not reach CloudFormation" in caplog.text
    assert "HTTP Error 403" in caplog.text


def test_a_response_url_that_is_not_http_is_never_opened(
    bootstrap: ModuleType, lambda_context: LambdaContext, caplog: pytest.LogCaptureFixture
) -> None:
    answer = bootstrap.lambda_handler(custom_resource_event("Delete", "file:///etc/passwd"), lambda_context)

    assert answer["Status"] == "SUCCESS"
    assert "ResponseURL is not an HTTP(S) URL" in caplog.text


def test_the_ca_fixture_provisions_the_custom_resource(ca: LocalResources) -> None:
    hierarchy = load_hierarchy(CaRepository(Table(ca.tables["Table"])))

    assert ca.physical["CaHierarchy"].ref == "ca-hierarchy:alias/astca"
    assert ca.attribute("CaHierarchy", "IssuerKeyId") == hierarchy.issuer_key_id
    assert ca.attribute("CaHierarchy", "RootKeyArn") == hierarchy.root.key_arn
    assert ca.attribute("BootstrapFunction", "Arn").endswith(":function:astca-bootstrap")
