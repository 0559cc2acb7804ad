"""Validation failures map to the catalog's 4001/4002/4005 and problem bodies carry every member."""

from __future__ import annotations

from astca import catalog
from astca.web import problem_body, validation_problem


def test_missing_body_field_is_missing_field_naming_the_field() -> None:
    error = validation_problem([{"loc": ("body", "csr"), "type": "missing", "msg": "Field required"}])
    assert error.entry is catalog.MISSING_FIELD
    assert error.detail == "field 'csr' is required"


def test_missing_query_parameter_names_the_parameter() -> None:
    error = validation_problem([{"loc": ("query", "serial"), "type": "missing", "msg": "Field required"}])
    assert error.entry is catalog.MISSING_FIELD
    assert error.detail == "query parameter 'serial' is required"


def test_wrong_type_is_malformed_field_with_the_path() -> None:
    error = validation_problem(
        [
            {
                "loc": ("body", "services", 0, "url"),
                "type": "string_type",
                "msg": "Input should be a valid string",
            }
        ]
    )
    assert error.entry is catalog.MALFORMED_FIELD
    assert error.detail == "field 'services.0.url': Input should be a valid string"


def test_invalid_json_is_malformed_body() -> None:
    error = validation_problem([{"loc": ("body", 1), "type": "json_invalid", "msg": "JSON decode error"}])
    assert error.entry is catalog.MALFORMED_BODY
    assert "not valid JSON" in error.detail


def test_body_that_is_not_an_object_is_malformed_body() -> None:
    error = validation_problem(
        [{"loc": ("body",), "type": "model_attributes_type", "msg": "Input should be"}]
    )
    assert error.entry is catalog.MALFORMED_BODY


def test_missing_wins_over_malformed_and_both_are_listed() -> None:
    error = validation_problem(
        [
            {"loc": ("body", "name"), "type": "string_too_long", "msg": "too long"},
            {"loc": ("body", "csr"), "type": "missing", "msg": "Field required"},
        ]
    )
    assert error.entry is catalog.MISSING_FIELD
    assert error.detail == "field 'csr' is required; field 'name': too long"


def test_problem_body_has_the_rfc9457_and_catalog_members() -> None:
    body = problem_body(catalog.SIGNER_ALREADY_EXISTS, "tenant acme", instance="/v1/x", request_id="r-1")
    assert body == {
        "type": "urn:astca:error:510-40",
        "title": "SignerAlreadyExists",
        "status": 409,
        "detail": "tenant acme",
        "instance": "/v1/x",
        "subsystem": 510,
        "errorCode": 40,
        "name": "SignerAlreadyExists",
        "code": 510000040,
        "requestId": "r-1",
    }
