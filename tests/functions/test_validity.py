"""A request chooses its certificate's lifetime within the profile's maximum (body field validityDays).

The lifetime is fixed when the request is accepted (record and certificate.requested), so the
worker signs the same TBS on every delivery, whatever the setting says by then; a missing
validityDays is the profile's maximum (ASTCA_MAX_VALIDITY_DAYS, by default the profile's validity).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from types import ModuleType
from typing import Any

import boto3
import pytest
from cryptography import x509
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from astca import catalog
from astca.issuance.lint import pkilint_lint
from astca.services import certificate_issuance as issuance_module
from astca.services.certificate_issuance import certificate_issuance
from astca.services.certificates import certificate_service
from astca.settings import get_settings
from astca.storage.dynamo import deserialize
from local.resources import LocalResources
from tests.functions.flows import (
    deliver,
    fetch,
    issue_one,
    issued_signer,
    make_csr,
    outbox_events,
    request_certificate,
    stored_certificate,
)
from tests.functions.http import Answer, call

Load = Callable[[str], ModuleType]
MAXIMA = {"AST_DEVICE": 365, "TLS_CLIENT_WITH_KEY": 90}  # the profiles' own validity: the defaults
ROUTE = "/v1/tenants/{tenant}/certificates"
HYPOTHESIS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def signer(ca: LocalResources, load_function: Load, token: Callable[..., str]) -> dict[str, object]:
    return issued_signer(load_function, token, ca)


@pytest.fixture
def device_token(token: Callable[..., str]) -> str:
    return token("acme", "device")


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """``environment(NAME=value)``: deploy the functions with these ASTCA_ variables for this test."""
    factories = (get_settings, certificate_service, certificate_issuance)

    def apply(**variables: str) -> None:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        for factory in factories:
            factory.cache_clear()

    yield apply
    monkeypatch.undo()
    for factory in factories:
        factory.cache_clear()


def post(load_function: Load, device_token: str, **body: Any) -> Answer:
    return call(
        load_function("request_certificate"),
        "POST",
        ROUTE,
        params={"tenant": "acme"},
        token=device_token,
        body={"csr": make_csr()[0], **body},
    )


def lifetime(delivered: Answer) -> timedelta:
    """notAfter less notBefore of a delivered certificate, as the certificate itself says."""
    certificate = x509.load_pem_x509_certificate(delivered.body["certificate"].encode())
    return certificate.not_valid_after_utc - certificate.not_valid_before_utc


def certificate_items(resources: LocalResources) -> list[dict[str, Any]]:
    scanned = boto3.client("dynamodb").scan(TableName=resources.tables["Table"])["Items"]
    return [item for item in map(deserialize, scanned) if str(item["SK"]).startswith("CERT#")]


@HYPOTHESIS
@given(data=st.data())
def test_a_chosen_validity_is_the_certificates_lifetime(
    signer: dict[str, object],
    ca: LocalResources,
    load_function: Load,
    device_token: str,
    token: Callable[..., str],
    data: st.DataObject,
) -> None:
    profile = data.draw(st.sampled_from(sorted(MAXIMA)), label="profile")
    days = data.draw(st.integers(min_value=1, max_value=MAXIMA[profile]), label="validityDays")

    accepted = post(load_function, device_token, profile=profile, validityDays=days)

    assert accepted.status == 202, accepted.body
    assert stored_certificate(ca, accepted.body["id"])["validityDays"] == days
    issue_one(load_function, ca, accepted.body["id"])
    delivered = fetch(load_function, token, accepted.body["id"])
    assert delivered.status == 200, delivered.body
    assert lifetime(delivered) == timedelta(days=days)


INVALID = st.one_of(
    st.integers(max_value=0),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@HYPOTHESIS
@given(data=st.data())
def test_a_validity_outside_the_profile_or_not_an_integer_is_4002_and_stores_nothing(
    signer: dict[str, object], ca: LocalResources, load_function: Load, device_token: str, data: st.DataObject
) -> None:
    profile = data.draw(st.sampled_from(sorted(MAXIMA)), label="profile")
    days = data.draw(INVALID | st.integers(min_value=MAXIMA[profile] + 1), label="validityDays")

    refused = post(load_function, device_token, profile=profile, validityDays=days)

    assert (refused.status, refused.body["code"]) == (400, catalog.MALFORMED_FIELD.code), refused.body
    assert refused.body["detail"] == (
        f"field 'validityDays' must be an integer from 1 to {MAXIMA[profile]} (the maximum of profile {profile})"
    )
    assert certificate_items(ca) == []
    assert outbox_events(ca, "certificate.requested") == []


@pytest.mark.parametrize("profile", sorted(MAXIMA))
def test_without_validity_days_a_certificate_lasts_the_profiles_maximum(
    signer: dict[str, object],
    ca: LocalResources,
    load_function: Load,
    device_token: str,
    token: Callable[..., str],
    profile: str,
) -> None:
    for body in ({}, {"validityDays": None}):
        accepted = post(load_function, device_token, profile=profile, **body)
        assert accepted.status == 202, accepted.body
        issue_one(load_function, ca, accepted.body["id"])
        assert lifetime(fetch(load_function, token, accepted.body["id"])) == timedelta(days=MAXIMA[profile])


def test_the_setting_lowers_and_raises_each_profiles_maximum(
    signer: dict[str, object],
    ca: LocalResources,
    load_function: Load,
    device_token: str,
    token: Callable[..., str],
    environment: Callable[..., None],
) -> None:
    environment(ASTCA_MAX_VALIDITY_DAYS="AST_DEVICE=30,TLS_CLIENT_WITH_KEY=120")

    too_long = post(load_function, device_token, validityDays=31)
    assert (too_long.status, too_long.body["code"]) == (400, catalog.MALFORMED_FIELD.code)
    assert "from 1 to 30 (the maximum of profile AST_DEVICE)" in too_long.body["detail"]
    lowered = post(load_function, device_token)
    raised = post(load_function, device_token, profile="TLS_CLIENT_WITH_KEY", validityDays=120)
    for accepted, days in ((lowered, 30), (raised, 120)):
        assert accepted.status == 202, accepted.body
        issue_one(load_function, ca, accepted.body["id"])
        assert lifetime(fetch(load_function, token, accepted.body["id"])) == timedelta(days=days)


def test_a_redelivered_request_signs_the_same_tbs_with_the_lifetime_fixed_at_acceptance(
    signer: dict[str, object],
    ca: LocalResources,
    load_function: Load,
    device_token: str,
    token: Callable[..., str],
    environment: Callable[..., None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a request accepted for 7 days, and every draft the worker lints (the TBS KMS signs)
    accepted = post(load_function, device_token, validityDays=7)
    assert accepted.status == 202, accepted.body
    (requested,) = outbox_events(ca, "certificate.requested")
    assert requested["payload"]["validityDays"] == 7
    drafts: list[x509.Certificate] = []
    lint = pkilint_lint

    def recording(draft: x509.Certificate) -> None:
        drafts.append(draft)
        lint(draft)

    monkeypatch.setattr(issuance_module, "pkilint_lint", recording)
    # When the setting changes before the worker runs, and the message comes twice
    environment(ASTCA_MAX_VALIDITY_DAYS="AST_DEVICE=3")
    issue_one(load_function, ca, accepted.body["id"])
    issue_one(load_function, ca, accepted.body["id"])

    # Then both runs built the same TBS, the one the delivered certificate holds, 7 days long
    delivered = fetch(load_function, token, accepted.body["id"])
    certificate = x509.load_pem_x509_certificate(delivered.body["certificate"].encode())
    assert len(drafts) == 2
    assert (
        drafts[0].tbs_certificate_bytes
        == drafts[1].tbs_certificate_bytes
        == certificate.tbs_certificate_bytes
    )
    assert lifetime(delivered) == timedelta(days=7)
    assert len(outbox_events(ca, "certificate.issued")) == 1


def test_a_message_accepted_before_validity_days_existed_lasts_its_profiles_validity(
    signer: dict[str, object],
    ca: LocalResources,
    load_function: Load,
    device_token: str,
    token: Callable[..., str],
) -> None:
    accepted = post(load_function, device_token, profile="TLS_CLIENT_WITH_KEY", validityDays=5)
    (envelope,) = outbox_events(ca, "certificate.requested")
    del envelope["payload"]["validityDays"]  # as the previous version wrote it

    assert deliver(load_function, ca, "issue_certificate", "CertificateRequestsQueue", [envelope]) == {
        "batchItemFailures": []
    }
    assert lifetime(fetch(load_function, token, accepted.body["id"])) == timedelta(days=90)


def test_an_idempotency_key_is_bound_to_the_validity_it_was_sent_with(
    signer: dict[str, object], ca: LocalResources, load_function: Load, token: Callable[..., str]
) -> None:
    csr = make_csr()[0]
    key = {"idempotency-key": "lifetime-1"}

    first = request_certificate(load_function, token, csr, headers=key, validityDays=30)
    again = request_certificate(load_function, token, csr, headers=key, validityDays=30)
    other = request_certificate(load_function, token, csr, headers=key, validityDays=31)
    absent = request_certificate(load_function, token, csr, headers=key)

    assert (first.status, again.status) == (202, 202), first.body
    assert again.body["id"] == first.body["id"]
    for refused in (other, absent):
        assert (refused.status, refused.body["code"]) == (400, catalog.MALFORMED_FIELD.code)
        assert "already used with a different request" in refused.body["detail"]
    assert len(outbox_events(ca, "certificate.requested")) == 1
