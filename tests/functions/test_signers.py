"""The signer API through its functions: admin tokens, KMS keys, the worker, the chain, isolation."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest

from astca import catalog
from local.events import batch, sqs_record
from local.resources import LocalResources
from tests.functions.http import Answer, call
from tests.pki import openssl_verify

SIGNERS = "/v1/tenants/{tenant}/signers"
SIGNER = "/v1/tenants/{tenant}/signers/{signerId}"


class Api:
    """The signer functions of one test, called with tokens of the development IdP."""

    def __init__(
        self, load: Callable[[str], ModuleType], token: Callable[..., str], resources: LocalResources
    ):
        self.load, self.token, self.resources = load, token, resources

    def create(self, tenant: str = "acme", user: str = "admin", **body: Any) -> Answer:
        return call(
            self.load("create_signer"),
            "POST",
            SIGNERS,
            params={"tenant": tenant},
            token=self.token(tenant, user),
            body={"name": "Acme devices", **body},
        )

    def get(self, signer_id: str, tenant: str = "acme", realm: str | None = None) -> Answer:
        params = {"tenant": tenant, "signerId": signer_id}
        return call(self.load("get_signer"), "GET", SIGNER, params=params, token=self.token(realm or tenant))

    def current(self, tenant: str = "acme") -> Answer:
        route = "/v1/tenants/{tenant}/signers/current"
        return call(
            self.load("get_current_signer"), "GET", route, params={"tenant": tenant}, token=self.token(tenant)
        )

    def page(self, tenant: str = "acme", **query: str) -> Answer:
        return call(
            self.load("list_signers"),
            "GET",
            SIGNERS,
            params={"tenant": tenant},
            token=self.token(tenant),
            query=query,
        )

    def revoke(self, signer_id: str, tenant: str = "acme", reason: str = "superseded") -> Answer:
        route = "/v1/tenants/{tenant}/signers/{signerId}/revoke"
        params = {"tenant": tenant, "signerId": signer_id}
        return call(
            self.load("revoke_signer"),
            "POST",
            route,
            params=params,
            token=self.token(tenant),
            body={"reason": reason},
        )

    def delete(self, signer_id: str, tenant: str = "acme") -> Answer:
        params = {"tenant": tenant, "signerId": signer_id}
        return call(self.load("delete_signer"), "DELETE", SIGNER, params=params, token=self.token(tenant))

    def chain(self, tenant: str = "acme") -> Answer:
        return call(self.load("get_ca_chain"), "GET", "/v1/tenants/{tenant}/ca", params={"tenant": tenant})

    def issue(self, signer_id: str, tenant: str = "acme") -> dict[str, Any]:
        """Deliver the signer.requested event to the issue_signer worker."""
        envelope = {
            "id": f"01KB{signer_id[4:]}",
            "routingKey": "signer.requested",
            "occurredAt": "2026-11-25T12:00:00Z",
            "payload": {"tenant": tenant, "signerId": signer_id},
        }
        arn = self.resources.attribute("SignerRequestsQueue", "Arn")
        event = batch([sqs_record(json.dumps(envelope), queue_arn=arn, message_id=signer_id)])
        from local.functions import lambda_context

        result: dict[str, Any] = self.load("issue_signer").lambda_handler(event, lambda_context())
        return result


@pytest.fixture
def api(ca: LocalResources, load_function: Callable[[str], ModuleType], token: Callable[..., str]) -> Api:
    return Api(load_function, token, ca)


def kms_key_state(key_id: str) -> str:
    return str(boto3.client("kms").describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"])


def signer_key(resources: LocalResources, signer_id: str) -> str:
    table = resources.tables["Table"]
    item = boto3.client("dynamodb").get_item(
        TableName=table, Key={"PK": {"S": "TENANT#acme"}, "SK": {"S": f"SIGNER#{signer_id}"}}
    )
    return str(item["Item"]["kmsKeyId"]["S"])


def test_an_admin_creates_a_signer_that_the_worker_issues(api: Api, tmp_path: Path) -> None:
    created = api.create()
    assert created.status == 202
    assert created.headers["Location"] == f"/v1/tenants/acme/signers/{created.body['id']}"
    assert (created.body["state"], created.body["generation"], created.body["certificate"]) == (
        "PENDING",
        1,
        None,
    )

    assert api.issue(created.body["id"]) == {"batchItemFailures": []}

    current = api.current()
    assert current.status == 200
    assert current.body["state"] == "ISSUED"
    chain = api.chain().body
    assert chain["signers"] == chain["chain"] == [current.body["certificate"]]
    # The tenant's own anchor issued it, and the platform root reaches it through the cross-certificate.
    openssl_verify(tmp_path, root=chain["anchor"], chain=[], leaf=current.body["certificate"])
    platform = chain["platform"]
    openssl_verify(
        tmp_path, root=platform["anchor"], chain=platform["chain"], leaf=current.body["certificate"]
    )
    (tmp_path / "signer.pem").write_text(current.body["certificate"])
    text = subprocess.run(
        ["openssl", "x509", "-noout", "-text", "-in", "signer.pem"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "CA:TRUE, pathlen:0" in text
    assert "Certificate Sign, CRL Sign" in text
    assert "OU=acme" in text.replace(" = ", "=")


def test_a_redelivered_request_issues_nothing_twice(api: Api) -> None:
    signer_id = api.create().body["id"]
    api.issue(signer_id)
    first = api.current().body["certificate"]
    api.issue(signer_id)
    assert api.current().body["certificate"] == first


def test_a_device_user_may_not_manage_signers(api: Api) -> None:
    refused = api.create(user="device")
    assert refused.status == 403
    assert refused.body["code"] == catalog.FORBIDDEN.code


def test_a_second_signer_is_409(api: Api) -> None:
    api.create()
    again = api.create()
    assert again.status == 409
    assert again.body["code"] == catalog.SIGNER_ALREADY_EXISTS.code


def test_bad_names_are_4002_and_change_nothing(api: Api) -> None:
    answer = api.create(name="<script>")
    assert answer.status == 400
    assert answer.body["code"] == catalog.MALFORMED_FIELD.code
    assert api.current().body["code"] == catalog.SIGNER_NOT_FOUND_FOR_TENANT.code


def test_revocation_disables_the_key_and_is_final(api: Api, ca: LocalResources) -> None:
    signer_id = api.create().body["id"]
    api.issue(signer_id)
    revoked = api.revoke(signer_id, reason="keyCompromise")
    assert (revoked.status, revoked.body["state"], revoked.body["revocationReason"]) == (
        200,
        "REVOKED",
        "keyCompromise",
    )
    assert kms_key_state(signer_key(ca, signer_id)) == "Disabled"
    assert api.chain().body["signers"] == []
    again = api.revoke(signer_id)
    assert (again.status, again.body["code"]) == (409, catalog.SIGNER_REVOKED.code)


def test_an_unused_signer_is_deleted_and_its_key_scheduled(api: Api, ca: LocalResources) -> None:
    signer_id = api.create().body["id"]
    api.issue(signer_id)
    key_id = signer_key(ca, signer_id)
    assert api.delete(signer_id).status == 204
    assert kms_key_state(key_id) == "PendingDeletion"
    assert api.get(signer_id).body["code"] == catalog.SIGNER_NOT_FOUND.code


def test_a_used_signer_is_not_deleted(api: Api, ca: LocalResources) -> None:
    signer_id = api.create().body["id"]
    api.issue(signer_id)
    boto3.client("dynamodb").update_item(
        TableName=ca.tables["Table"],
        Key={"PK": {"S": "TENANT#acme"}, "SK": {"S": f"USAGE#SIGNER#{signer_id}"}},
        UpdateExpression="ADD issuedCount :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )
    refused = api.delete(signer_id)
    assert (refused.status, refused.body["code"]) == (409, catalog.SIGNER_ALREADY_IN_USE.code)
    assert kms_key_state(signer_key(ca, signer_id)) == "Enabled"


def test_other_tenants_see_nothing(api: Api) -> None:
    signer_id = api.create().body["id"]
    assert api.get(signer_id, tenant="globex").body["code"] == catalog.SIGNER_NOT_FOUND.code
    assert api.page(tenant="globex").body == {"items": [], "nextToken": None}
    assert api.chain(tenant="globex").body["signers"] == []
    cross = api.get(signer_id, tenant="acme", realm="globex")
    assert (cross.status, cross.body["code"]) == (401, catalog.UNAUTHORIZED.code)


def test_lists_page_and_filter(api: Api) -> None:
    first = api.create().body["id"]
    api.issue(first)
    second = api.create(rotate=True, name="Successor").body["id"]
    page = api.page(limit="1")
    assert [item["id"] for item in page.body["items"]] == [first]
    rest = api.page(limit="1", nextToken=page.body["nextToken"])
    assert [item["id"] for item in rest.body["items"]] == [second]
    pending = api.page(filter="state eq 'PENDING'")
    assert [item["id"] for item in pending.body["items"]] == [second]
    year = datetime.now(UTC).year
    recent = api.page(filter=f"createdAt ge '{year}-01-01T00:00:00Z' and name begins_with 'Acme'")
    assert [item["id"] for item in recent.body["items"]] == [first]


@pytest.mark.parametrize(
    ("query", "entry"),
    [
        ({"limit": "0"}, catalog.BAD_PAGINATION),
        ({"limit": "101"}, catalog.BAD_PAGINATION),
        ({"nextToken": "forged"}, catalog.BAD_PAGINATION),
        ({"filter": "state eq"}, catalog.BAD_FILTER),
        ({"filter": "kmsKeyId eq 'x'"}, catalog.BAD_FILTER),
        ({"filter": "state eq 'GONE'"}, catalog.BAD_FILTER),
    ],
)
def test_bad_list_parameters(api: Api, query: dict[str, str], entry: catalog.ErrorEntry) -> None:
    answer = api.page(**query)
    assert (answer.status, answer.body["code"]) == (400, entry.code)


def test_a_cursor_of_one_tenant_does_not_page_another(api: Api) -> None:
    first = api.create().body["id"]
    api.issue(first)
    api.create(rotate=True)
    token = api.page(limit="1").body["nextToken"]
    api.create(tenant="globex")
    answer = api.page(tenant="globex", nextToken=token)
    assert (answer.status, answer.body["code"]) == (400, catalog.BAD_PAGINATION.code)
