"""An AWS answer lost after the write was applied (a read timeout): botocore retries, and the caller still succeeds.

Under load in ``make run`` such retries answered POST 500 5105001 "request not stored (None,
ConditionalCheckFailed, None)" for a request that was stored, and GET 410 for a certificate nobody
had received. On DynamoDB a retried TransactWriteItems carries its ClientRequestToken and applies
once (``local.moto_dynamodb`` makes moto do the same); a retried UpdateItem has no token, so the
delivery recognises its own mark (``storage.certificates``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError
from moto.core.models import botocore_stubber

from astca import aws
from astca.services.sessions import session_service
from local.resources import LocalResources
from tests.functions.flows import (
    deliver,
    fetch,
    issue_pending,
    issued_signer,
    make_csr,
    outbox_events,
    request_certificate,
)
from tests.functions.http import call
from tests.functions.test_session_encryption import create_session

Load = Callable[[str], ModuleType]


class LostAnswer:
    """Lets DynamoDB apply the next ``operation`` call, then loses its answer once (botocore sees a read timeout)."""

    def __init__(self, operation: str) -> None:
        self.operation = operation
        self.armed = False
        self.lost = 0

    def __call__(self, request: Any, **kwargs: Any) -> Any:
        if not self.armed:
            return None
        self.armed = False
        botocore_stubber(event_name=kwargs["event_name"], request=request)  # moto applies it
        self.lost += 1
        raise ReadTimeoutError(endpoint_url=request.url)


@pytest.fixture
def lose() -> Iterator[Callable[[str], LostAnswer]]:
    registered: list[tuple[str, LostAnswer]] = []

    def arm(operation: str) -> LostAnswer:
        answer = LostAnswer(operation)
        event = f"before-send.dynamodb.{operation}"
        aws.dynamodb().meta.events.register_first(event, answer)
        registered.append((event, answer))
        answer.armed = True
        return answer

    yield arm
    for event, answer in registered:
        aws.dynamodb().meta.events.unregister(event, answer)


def test_a_request_whose_answer_was_lost_is_accepted_once(
    ca: LocalResources, load_function: Load, token: Callable[..., str], lose: Callable[[str], LostAnswer]
) -> None:
    issued_signer(load_function, token, ca)
    lost = lose("TransactWriteItems")

    accepted = request_certificate(load_function, token, make_csr()[0])

    assert lost.lost == 1
    assert accepted.status == 202, accepted.body
    table = ca.tables["Table"]
    certificates = [
        item
        for item in boto3.client("dynamodb").scan(TableName=table)["Items"]
        if item["SK"]["S"].startswith("CERT#")
    ]
    assert [item["SK"]["S"] for item in certificates] == [f"CERT#{accepted.body['id']}"]


def test_a_delivery_whose_answer_was_lost_still_hands_the_certificate_over(
    ca: LocalResources, load_function: Load, token: Callable[..., str], lose: Callable[[str], LostAnswer]
) -> None:
    issued_signer(load_function, token, ca)
    accepted = request_certificate(load_function, token, make_csr()[0])
    assert issue_pending(load_function, ca) == {"batchItemFailures": []}
    lost = lose("UpdateItem")

    delivered = fetch(load_function, token, accepted.body["id"])

    assert lost.lost == 1
    assert delivered.status == 200, delivered.body
    assert delivered.body["certificate"].startswith("-----BEGIN CERTIFICATE-----")
    again = fetch(load_function, token, accepted.body["id"])
    assert again.status == 410, again.body


def test_a_session_key_whose_answer_was_lost_is_created(
    aws: LocalResources, load_function: Load, token: Callable[..., str], lose: Callable[[str], LostAnswer]
) -> None:
    session_service.cache_clear()  # a fresh container: no transport key cached from another test's KMS
    lost = lose("PutItem")

    session = create_session(load_function, token)  # asserts 201

    assert lost.lost == 1
    stored = boto3.client("dynamodb").get_item(
        TableName=aws.tables["Table"], Key={"PK": {"S": f"SESSION#{session.id}"}, "SK": {"S": "SESSION"}}
    )
    assert "Item" in stored


def test_a_signer_key_whose_attachment_answer_was_lost_is_kept_not_deleted(
    ca: LocalResources, load_function: Load, token: Callable[..., str], lose: Callable[[str], LostAnswer]
) -> None:
    created = call(
        load_function("create_signer"),
        "POST",
        "/v1/tenants/{tenant}/signers",
        params={"tenant": "acme"},
        token=token("acme", "admin"),
        body={"name": "acme devices"},
    )
    assert created.status == 202, created.body
    lost = lose("UpdateItem")  # the worker's first update attaches the signer's new KMS key

    deliver(load_function, ca, "issue_signer", "SignerRequestsQueue", outbox_events(ca, "signer.requested"))

    assert lost.lost == 1
    signer = call(
        load_function("get_signer"),
        "GET",
        "/v1/tenants/{tenant}/signers/{signerId}",
        params={"tenant": "acme", "signerId": created.body["id"]},
        token=token("acme", "admin"),
    )
    assert signer.body["state"] == "ISSUED", signer.body
    keys = boto3.client("kms")
    states = {
        keys.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] for k in keys.list_keys()["Keys"]
    }
    assert "PendingDeletion" not in states
