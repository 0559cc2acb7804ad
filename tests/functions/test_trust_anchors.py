"""Tenant trust anchors through the handlers: one anchor per tenant, stable across rotation, served where AIA points."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from astca import catalog
from astca.issuance.kms import KmsKeys
from astca.services.hierarchy import ca_hierarchy
from astca.services.tenant_anchors import IssuingAnchor, TenantAnchors
from astca.settings import ca_locations, get_settings
from astca.storage.anchors import AnchorRepository
from astca.storage.dynamo import Table
from local.events import http_event
from local.functions import lambda_context
from local.resources import LocalResources
from tests.functions.flows import (
    fetch,
    issue_pending,
    issued_signer,
    make_csr,
    outbox_events,
    request_certificate,
)
from tests.functions.http import call

Load = Callable[[str], ModuleType]
Token = Callable[..., str]
TENANT_ROUTE = "/v1/tenants/{tenant}/ca/certificates/{name}"
PLATFORM_ROUTE = "/v1/ca/certificates/{name}"


def pem(text: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(text.encode())


def trust(load: Load, tenant: str) -> dict[str, Any]:
    answer = call(load("get_ca_chain"), "GET", "/v1/tenants/{tenant}/ca", params={"tenant": tenant})
    assert answer.status == 200, answer.body
    body: dict[str, Any] = answer.body
    return body


def device(load: Load, token: Token, resources: LocalResources, tenant: str) -> dict[str, Any]:
    """A delivered device certificate of the tenant's current signer."""
    accepted = request_certificate(load, token, make_csr()[0], tenant=tenant)
    assert accepted.status == 202, accepted.body
    assert issue_pending(load, resources) == {"batchItemFailures": []}
    delivered = fetch(load, token, accepted.body["id"], tenant=tenant)
    assert delivered.status == 200, delivered.body
    body: dict[str, Any] = delivered.body
    return body


def verify(anchor: str, delivered: dict[str, Any]) -> None:
    """cryptography's client verifier, as a Python relying party runs it (VerificationError if it refuses)."""
    verifier = PolicyBuilder().store(Store([pem(anchor)])).build_client_verifier()
    verifier.verify(pem(delivered["certificate"]), [pem(text) for text in delivered["chain"]])


def served(load: Load, url: str) -> dict[str, Any]:
    """GET an AIA URL through get_ca_certificate, as API Gateway would route it."""
    parts = urlsplit(url).path.split("/")
    if parts[2] == "ca":  # /v1/ca/certificates/{name}
        route, params = PLATFORM_ROUTE, {"name": parts[4]}
    else:  # /v1/tenants/{tenant}/ca/certificates/{name}
        route, params = TENANT_ROUTE, {"tenant": parts[3], "name": parts[6]}
    event = http_event("GET", urlsplit(url).path, route_key=f"GET {route}", path_parameters=params)
    response: dict[str, Any] = load("get_ca_certificate").lambda_handler(event, lambda_context())
    return response


def ca_issuers(certificate: x509.Certificate) -> str:
    access = certificate.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    (location,) = [
        a.access_location.value for a in access if a.access_method.dotted_string == "1.3.6.1.5.5.7.48.2"
    ]
    return str(location)


def test_each_tenant_gets_an_anchor_of_its_own_that_accepts_its_devices_only(
    ca: LocalResources, load_function: Load, token: Token
) -> None:
    """Seen: one root for every tenant, so a device of globex authenticated where acme's root is trusted."""
    before = trust(load_function, "globex")
    assert (before["anchor"], before["chain"], before["signers"]) == (None, [], [])
    for tenant in ("acme", "globex"):
        issued_signer(load_function, token, ca, tenant)
    acme, globex = trust(load_function, "acme"), trust(load_function, "globex")
    acme_device, globex_device = (device(load_function, token, ca, t) for t in ("acme", "globex"))

    assert acme["anchor"] != globex["anchor"]
    assert pem(acme["anchor"]).subject.rfc4514_string() == "CN=Tenant Root CA,OU=acme,O=astca"
    assert acme["platform"]["anchor"] == globex["platform"]["anchor"]
    verify(acme["anchor"], acme_device)
    verify(globex["anchor"], globex_device)
    with pytest.raises(VerificationError):
        verify(acme["anchor"], globex_device)
    for delivered in (acme_device, globex_device):  # the platform root accepts every tenant's devices
        verify(acme["platform"]["anchor"], delivered)
    assert (
        len([e for e in outbox_events(ca, "tenant_anchor.created") if e["payload"]["tenant"] == "acme"]) == 1
    )


def test_a_rotation_keeps_the_anchor_and_the_successor_signs_at_once(
    ca: LocalResources, load_function: Load, token: Token
) -> None:
    """Seen: after a rotation the worker's cached predecessor signed new certificates for up to a minute."""
    first = issued_signer(load_function, token, ca)
    anchor = trust(load_function, "acme")["anchor"]
    assert (
        device(load_function, token, ca, "acme")["chain"][0] == first["certificate"]
    )  # the worker caches it

    successor = issued_signer(load_function, token, ca, rotate=True)
    after = device(load_function, token, ca, "acme")

    assert trust(load_function, "acme")["anchor"] == anchor
    assert after["chain"][0] == successor["certificate"]
    verify(anchor, after)
    assert trust(load_function, "acme")["chain"] == [successor["certificate"]]


def test_every_ca_issuers_url_serves_its_issuers_der(
    ca: LocalResources, load_function: Load, token: Token
) -> None:
    signer = issued_signer(load_function, token, ca)
    delivered = device(load_function, token, ca, "acme")
    material = trust(load_function, "acme")
    cross, issuer = material["platform"]["chain"]
    steps = [
        (delivered["certificate"], signer["certificate"]),
        (signer["certificate"], material["anchor"]),
        (cross, issuer),
        (issuer, material["platform"]["anchor"]),
    ]

    for child, parent in steps:
        url = ca_issuers(pem(child))
        assert url.startswith(get_settings().ca_url or "unset")
        answer = served(load_function, url)
        assert answer["statusCode"] == 200, answer
        assert answer["headers"]["Content-Type"] == "application/pkix-cert"
        assert answer["headers"]["Cache-Control"] == "public, max-age=86400"
        assert answer["isBase64Encoded"] is True
        assert base64.b64decode(answer["body"]) == pem(parent).public_bytes(Encoding.DER)
        pem(child).verify_directly_issued_by(pem(parent))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(min_size=1, max_size=40).filter(lambda n: "/" not in n))
def test_any_other_ca_certificate_name_is_a_catalog_404(
    ca: LocalResources, load_function: Load, name: str
) -> None:
    for route, params in ((TENANT_ROUTE, {"tenant": "acme", "name": name}), (PLATFORM_ROUTE, {"name": name})):
        if name in ("root", "issuer") and route == PLATFORM_ROUTE:
            continue
        answer = call(load_function("get_ca_certificate"), "GET", route, params=params)
        assert answer.status in (400, 404), answer.body
        assert answer.body["code"] in {
            catalog.SIGNER_NOT_FOUND.code,
            catalog.SIGNER_NOT_FOUND_FOR_TENANT.code,
            catalog.MALFORMED_FIELD.code,
            catalog.BAD_REQUEST.code,  # no route matches a segment API Gateway would not route either
        }


def test_workers_racing_for_a_tenants_anchor_keep_one_key(ca: LocalResources) -> None:
    settings_ = get_settings()

    def container() -> TenantAnchors:  # each worker its own container: no shared cache
        return TenantAnchors(
            AnchorRepository(Table(settings_.table_name)),
            KmsKeys(),
            lambda: ca_hierarchy().issuer,
            key_spec=settings_.ca_key_spec,
            locations=ca_locations(settings_),
        )

    ca_hierarchy()  # loaded once, before the threads, as each container would have it
    results: list[str] = []
    barrier = threading.Barrier(4)

    def run() -> None:
        anchors = container()
        barrier.wait()
        results.append(anchors.ensure("racing").key_id)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(results)) == 1
    kms = boto3.client("kms")
    tagged = [
        key["KeyId"]
        for key in kms.list_keys()["Keys"]
        if {"TagKey": "astca:tenant", "TagValue": "racing"}
        in kms.list_resource_tags(KeyId=key["KeyId"])["Tags"]
    ]
    states = {key: kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] for key in tagged}
    assert [key for key, state in states.items() if state == "Enabled"] == results[:1]
    assert all(state == "PendingDeletion" for key, state in states.items() if key != results[0])
    assert AnchorRepository(Table(settings_.table_name)).get("racing") is not None


def test_a_tenant_from_before_anchors_gets_one_with_its_next_signer(
    ca: LocalResources, load_function: Load, token: Token, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration: a signer the platform issuer signed keeps the platform path; the rotation brings the anchor."""
    hierarchy = ca_hierarchy()
    legacy_issuance = IssuingAnchor(hierarchy.issuer.certificate, hierarchy.issuer.key_id)

    def platform_issuer(_anchors: TenantAnchors, _tenant: str) -> IssuingAnchor:
        return legacy_issuance

    with monkeypatch.context() as patched:  # as the worker issued signers before tenants had anchors
        patched.setattr(TenantAnchors, "ensure", platform_issuer)
        legacy = issued_signer(load_function, token, ca)
    old_device = device(load_function, token, ca, "acme")
    before = trust(load_function, "acme")

    assert before["anchor"] is None
    assert before["chain"] == [legacy["certificate"], hierarchy.issuer_pem]
    assert before["platform"]["chain"] == [hierarchy.issuer_pem]
    assert old_device["chain"] == [legacy["certificate"], hierarchy.issuer_pem]
    verify(before["platform"]["anchor"], old_device)

    successor = issued_signer(load_function, token, ca, rotate=True)
    after = trust(load_function, "acme")
    new_device = device(load_function, token, ca, "acme")

    assert after["anchor"] is not None
    assert pem(successor["certificate"]).issuer == pem(after["anchor"]).subject
    verify(after["anchor"], new_device)
    verify(after["platform"]["anchor"], new_device)
    verify(after["platform"]["anchor"], old_device)  # the old signer's devices verify until they renew
    with pytest.raises(VerificationError):
        verify(after["anchor"], old_device)
    assert set(after["signers"]) == {legacy["certificate"], successor["certificate"]}
