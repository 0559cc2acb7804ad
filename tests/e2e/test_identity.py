"""Identity through the running stack: the development IdP's tokens on their tenant and on another."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import RunningStack, request

pytestmark = pytest.mark.e2e


def test_a_token_is_accepted_on_its_own_tenant(stack: RunningStack) -> None:
    bearer = {"Authorization": f"Bearer {stack.token('acme', 'admin')}"}

    answer = request(f"{stack.base_url}/v1/tenants/acme/whoami", headers=bearer)

    assert answer.status == 200, answer.body
    assert answer.json()["userName"] == "admin"
    assert "astca-admin" in answer.json()["roles"]


def test_a_token_is_refused_on_another_tenant(stack: RunningStack) -> None:
    bearer = {"Authorization": f"Bearer {stack.token('acme', 'device')}"}

    answer = request(f"{stack.base_url}/v1/tenants/globex/whoami", headers=bearer)

    assert answer.status == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["www-authenticate"].startswith("Bearer")
    problem = json.loads(answer.body)
    assert problem["code"] == 510000401
    assert "not from tenant 'globex'" in problem["detail"]


def test_no_token_is_401(stack: RunningStack) -> None:
    answer = request(f"{stack.base_url}/v1/tenants/acme/whoami")
    assert answer.status == 401
    assert answer.json()["detail"] == "the Authorization header is missing"


def test_a_tenant_that_is_no_realm_name_is_4002(stack: RunningStack) -> None:
    answer = request(f"{stack.base_url}/v1/tenants/Not.A.Realm/whoami")
    assert answer.status == 400
    assert answer.json()["code"] == 510004002
