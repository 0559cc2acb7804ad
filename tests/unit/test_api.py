"""The HTTP contract's models: camelCase names by one generator, RFC 3339 timestamps, one page model, pure imports."""

from __future__ import annotations

import ast
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.alias_generators import to_camel

from astca.api import certificates, public_keys, sdk_configs, sessions, signers
from astca.api.base import CamelModel, Page, Timestamp
from astca.api.certificates import CertificateAccepted, CertificateDelivery, CertificateLookup, RenewalRequest
from astca.api.public_keys import PublicKeyList, PublicKeyView, RegisterPublicKeyRequest
from astca.api.sdk_configs import SdkConfigRequest
from astca.api.sessions import SessionKeyCreated
from astca.api.signers import SignerList, SignerView
from astca.domain.certificates import (
    CertificateRecord,
    CertificateState,
    DeviceSubject,
    IssuedCertificate,
    pem_of,
)
from astca.domain.public_keys import PublicKey
from astca.domain.sessions import SessionKeyRecord, SessionOwner
from astca.domain.signers import Signer, SignerState
from astca.web import json_response

API = Path(certificates.__file__).parent
MODULES = (certificates, public_keys, sdk_configs, sessions, signers)
CREATED = datetime(2026, 12, 3, 9, 0, 0, tzinfo=UTC)
LATER = datetime(2027, 12, 3, 9, 0, 0, tzinfo=UTC)
TIMESTAMP_NAMES = re.compile(r"\w+_at|not_before|not_after")


def models() -> list[type[BaseModel]]:
    """Every model of the API modules."""
    found = {
        value
        for module in MODULES
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, CamelModel) and value is not CamelModel
    }
    return sorted(found, key=lambda model: model.__name__)


def dumped(model: BaseModel) -> Any:
    """The JSON the functions answer with: ``web.json_response`` and Powertools' return serialization agree."""
    body = json_response(model, status=200).body
    assert body is not None
    powertools = TypeAdapter(type(model)).dump_python(model, mode="json", by_alias=True)
    assert json.loads(body) == powertools
    return json.loads(body)


def signer(**changes: Any) -> Signer:
    fields: dict[str, Any] = {
        "tenant": "acme",
        "id": "s-1",
        "name": "acme signer",
        "state": SignerState.ISSUED,
        "generation": 2,
        "created_at": CREATED,
        "updated_at": LATER,
        "issued_at": LATER,
        "serial": "0a",
        "certificate": "PEM",
    }
    return Signer(**(fields | changes))


# ----------------------------------------------------------------------------------------- names


@pytest.mark.parametrize("model", models(), ids=lambda model: model.__name__)
def test_every_json_name_is_the_camel_case_of_its_field(model: type[BaseModel]) -> None:
    for name, field in model.model_fields.items():
        assert field.alias == to_camel(name), f"{model.__name__}.{name}"
        assert field.serialization_alias in (None, to_camel(name))
        assert field.validation_alias in (None, to_camel(name))


@pytest.mark.parametrize("model", models(), ids=lambda model: model.__name__)
def test_every_model_forbids_members_it_does_not_name(model: type[BaseModel]) -> None:
    assert model.model_config.get("extra") == "forbid"
    assert model.model_config.get("serialize_by_alias") is True


def test_requests_take_json_names_and_python_code_field_names() -> None:
    by_json = RegisterPublicKeyRequest.model_validate(
        {"jwk": {}, "proof": "p", "expiresAt": "2027-01-01T00:00:00Z"}
    )
    by_name = RegisterPublicKeyRequest(jwk={}, proof="p", expires_at="2027-01-01T00:00:00Z")
    assert by_json == by_name
    with pytest.raises(ValidationError):
        RegisterPublicKeyRequest.model_validate({"jwk": {}, "proof": "p", "expires": "2027-01-01T00:00:00Z"})


def test_the_sdk_config_takes_its_json_names_only() -> None:
    certificate = "MII"
    with pytest.raises(ValidationError) as raised:
        SdkConfigRequest.model_validate({"tls_bundle": [certificate], "ast_url": "https://ast.example"})
    assert {error["type"] for error in raised.value.errors()} >= {"missing", "extra_forbidden"}


# ------------------------------------------------------------------------------------ timestamps


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 12, 3, 9, 0, 0, tzinfo=UTC),
        datetime(2026, 12, 3, 9, 0, 0, 999999, tzinfo=UTC),
        datetime(2026, 12, 3, 11, 0, 0, 1, tzinfo=timezone(timedelta(hours=2))),
        datetime(2026, 12, 3, 3, 30, 0, tzinfo=timezone(-timedelta(hours=5, minutes=30))),
    ],
)
def test_a_timestamp_is_rfc3339_utc_to_the_second(moment: datetime) -> None:
    assert TypeAdapter(Timestamp).dump_json(moment) == b'"2026-12-03T09:00:00Z"'


def test_a_naive_timestamp_is_refused() -> None:
    with pytest.raises(ValidationError):
        PublicKeyView(kid="k", jwk={}, owner="u", created_at=datetime(2026, 1, 1), expires_at=LATER)


@pytest.mark.parametrize("model", models(), ids=lambda model: model.__name__)
def test_every_timestamp_of_a_view_is_a_timestamp(model: type[BaseModel]) -> None:
    view = not model.__name__.endswith("Request")  # a request's timestamp is text the service parses
    properties = model.model_json_schema(mode="serialization")["properties"]
    for name, field in model.model_fields.items():
        if "datetime" in str(field.annotation).lower() or (view and TIMESTAMP_NAMES.fullmatch(name)):
            assert view, f"{model.__name__}.{name}"
            schema = properties[to_camel(name)]
            variants = schema.get("anyOf", [schema])
            dated = [variant for variant in variants if variant.get("format") == "date-time"]
            assert [variant["type"] for variant in dated] == ["string"], f"{model.__name__}.{name}"
            assert _metadata(Timestamp)[0] in [*field.metadata, *_metadata(field.annotation)]


def _metadata(annotation: object) -> list[object]:
    """The metadata of ``Annotated`` types inside ``annotation`` (``Timestamp | None``)."""
    found = list(getattr(annotation, "__metadata__", ()))
    for argument in getattr(annotation, "__args__", ()):
        found.extend(_metadata(argument))
    return found


def test_the_views_answer_exactly_what_they_did_when_records_held_strings() -> None:
    assert json_response(SignerView.of(signer()), status=200).body == (
        '{"id":"s-1","tenant":"acme","name":"acme signer","state":"ISSUED","generation":2,'
        '"createdAt":"2026-12-03T09:00:00Z","updatedAt":"2027-12-03T09:00:00Z","issuedAt":"2027-12-03T09:00:00Z",'
        '"revokedAt":null,"revocationReason":null,"failureReason":null,"serial":"0a","certificate":"PEM"}'
    )


def test_the_signer_view_shows_every_timestamp_of_the_record() -> None:
    revoked = signer(
        state=SignerState.REVOKED,
        created_at=datetime(2026, 1, 1, 1, 0, 0, 5, tzinfo=timezone(timedelta(hours=1))),
        revoked_at=LATER + timedelta(days=1),
        revocation_reason="superseded",
    )
    body = dumped(SignerView.of(revoked))
    assert (body["createdAt"], body["updatedAt"], body["issuedAt"], body["revokedAt"]) == (
        "2026-01-01T00:00:00Z",
        "2027-12-03T09:00:00Z",
        "2027-12-03T09:00:00Z",
        "2027-12-04T09:00:00Z",
    )
    assert body["state"] == "REVOKED"
    assert body["revocationReason"] == "superseded"


def test_a_pending_signer_has_null_timestamps_it_does_not_have_yet() -> None:
    body = dumped(
        SignerView.of(signer(state=SignerState.PENDING, issued_at=None, serial=None, certificate=None))
    )
    assert body["issuedAt"] is None
    assert body["revokedAt"] is None


def test_certificate_views() -> None:
    record = CertificateRecord(
        tenant="acme",
        id="c-1",
        state=CertificateState.PENDING,
        profile="AST_DEVICE",
        serial="01ab",
        not_before=CREATED,
        subject=DeviceSubject(client_id="app", user_id="u-1"),
        created_at=CREATED,
        updated_at=CREATED,
        renewal_of="c-0",
    )
    assert dumped(CertificateAccepted.of(record)) == {
        "id": "c-1",
        "state": "PENDING",
        "profile": "AST_DEVICE",
        "createdAt": "2026-12-03T09:00:00Z",
        "renewalOf": "c-0",
    }  # no serial before the certificate is delivered
    delivery = CertificateDelivery(
        id="c-1",
        profile="AST_DEVICE",
        serial="01ab",
        not_before=record.not_before,
        not_after=LATER,
        certificate="PEM",
        chain=["signer", "issuer"],
    )
    assert dumped(delivery)["notBefore"] == "2026-12-03T09:00:00Z"
    assert dumped(delivery)["notAfter"] == "2027-12-03T09:00:00Z"
    assert dumped(delivery)["state"] == "DELIVERED"


def test_a_looked_up_certificate_takes_its_subject_and_validity_as_read() -> None:
    der = bytes(range(256)) * 2
    found = IssuedCertificate(
        tenant="acme", id="c-1", serial="01ab", profile="AST_DEVICE", signer_id="s-1", certificate=der
    )
    view = CertificateLookup.of(
        found,
        ("signer", "issuer"),
        subject=DeviceSubject(client_id="app", user_id="u-1"),
        not_before=CREATED,
        not_after=LATER,
    )
    body = dumped(view)
    assert body == {
        "id": "c-1",
        "tenant": "acme",
        "profile": "AST_DEVICE",
        "serial": "01ab",
        "signerId": "s-1",
        "clientId": "app",
        "userId": "u-1",
        "notBefore": "2026-12-03T09:00:00Z",
        "notAfter": "2027-12-03T09:00:00Z",
        "certificate": pem_of(der),
        "chain": ["signer", "issuer"],
        "status": "VALID",
        "revokedAt": None,
        "revocationReason": None,
    }
    lines = pem_of(der).splitlines()
    assert lines[0] == "-----BEGIN CERTIFICATE-----"
    assert lines[-1] == "-----END CERTIFICATE-----"
    assert {len(line) for line in lines[1:-2]} == {64}


def test_key_and_session_views() -> None:
    key = PublicKey(
        tenant="acme",
        kid="k-1",
        jwk={"kty": "OKP", "crv": "Ed25519", "x": "x", "kid": "k-1"},
        owner="u-1",
        kty="OKP",
        crv="Ed25519",
        created_at=CREATED,
        expires_at=LATER,
    )
    assert dumped(PublicKeyView.of(key)) == {
        "kid": "k-1",
        "jwk": key.jwk,
        "owner": "u-1",
        "createdAt": "2026-12-03T09:00:00Z",
        "expiresAt": "2027-12-03T09:00:00Z",
    }
    record = SessionKeyRecord(
        id="sk-1",
        owner=SessionOwner(tenant="acme", user_id="u-1", client_id="app"),
        created_at=CREATED,
        expires_at=CREATED + timedelta(minutes=15),
        wrapped_key=b"\x00",
    )
    assert dumped(SessionKeyCreated.of(record)) == {
        "sessionKeyId": "sk-1",
        "expiresAt": "2026-12-03T09:15:00Z",
    }


# ------------------------------------------------------------------------------------------ pages


@pytest.mark.parametrize(
    ("page", "generic"), [(SignerList, Page[SignerView]), (PublicKeyList, Page[PublicKeyView])]
)
def test_both_lists_are_the_one_page_model(page: type[BaseModel], generic: type[BaseModel]) -> None:
    assert page.__bases__ == (generic,)
    assert vars(page).get("__annotations__", {}) == {}  # a name and a description, no fields of its own
    assert set(page.model_fields) == {"items", "next_token"}
    schema = page.model_json_schema(mode="serialization")
    assert schema["title"] == page.__name__
    assert schema["description"] == page.__doc__
    assert set(schema["properties"]) == {"items", "nextToken"}


def test_a_page_answers_its_items_and_the_next_token() -> None:
    view = SignerView.of(signer())
    assert dumped(SignerList(items=[view], next_token="t-2")) == {"items": [dumped(view)], "nextToken": "t-2"}
    assert dumped(SignerList(items=[])) == {"items": [], "nextToken": None}


# ---------------------------------------------------------------------------------------- imports


@pytest.mark.parametrize("path", sorted(API.glob("*.py")), ids=lambda path: path.name)
def test_the_api_imports_only_the_domain_the_clock_and_itself(path: Path) -> None:
    allowed = ("astca.domain", "astca.clock", "astca.api")
    imported: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            imported.extend(names if node.module == "astca" else [node.module])
        elif isinstance(node, ast.Import):
            imported.extend(alias.name for alias in node.names)
    ours = [name for name in imported if name.split(".")[0] == "astca"]
    assert [name for name in ours if not name.startswith(allowed)] == []


def test_the_documented_proof_limits_are_the_ones_checked() -> None:
    from astca.domain import proofs

    assert RenewalRequest.model_fields["proof"].description is not None
    assert proofs.RENEWAL_PROOF_TYPE in RenewalRequest.model_fields["proof"].description
    description = RegisterPublicKeyRequest.model_fields["proof"].description
    assert description is not None
    assert proofs.KEY_PROOF_TYPE in description
