"""Bodies at the edge (``astca.web``): JSON in any case of its media type, UTF-8 only, one bounded object.

Each refused case answered 500 before (fuzzing the local stack): bytes that are not UTF-8, as text
or base64, JSON nested 10,000 deep, integers of over 4,300 digits, and the content types
``APPLICATION/JSON`` and ``application/problem+json``, which Powertools does not recognise as JSON.
"""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any

import pytest
from aws_lambda_powertools.event_handler.openapi.params import Body
from hypothesis import given
from hypothesis import strategies as st

from astca import catalog
from astca.web import MAX_BODY_DEPTH, create_app, lambda_handler
from local.events import http_event
from local.functions import lambda_context

app = create_app()


@app.post("/v1/documents")
def echo(document: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    """Answer the body as the route received it."""
    return document


@app.post("/v1/nothing")
def take_nothing() -> dict[str, Any]:
    """A route that reads no body."""
    return {}


handler = lambda_handler(app)
CATALOG_CODES = {entry.code for entry in catalog.ENTRIES + catalog.EXTENSIONS}
JSON_TYPES = [
    "application/json",
    "APPLICATION/JSON",
    "Application/Json",
    "application/problem+json",
    "application/merge-patch+json",
    "application/vnd.api+json",
    "application/json; charset=utf-8",
    'application/json;charset="UTF-8"',
    "  application/json ; Charset=utf-8 ; foo=bar",
]


def post(
    body: str | bytes, content_type: str | None = "application/json", *, path: str = "/v1/documents"
) -> tuple[int, dict[str, str], Any]:
    """POST ``body`` (bytes travel base64-encoded, as API Gateway sends what is not text)."""
    headers = {} if content_type is None else {"content-type": content_type}
    event = http_event("POST", path, headers=headers, body=None, request_id="req-7")
    if isinstance(body, bytes):
        event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    else:
        event["body"] = body
    response = handler(event, lambda_context())
    return response["statusCode"], response["headers"], json.loads(response["body"])


def refused(result: tuple[int, dict[str, str], Any]) -> str:
    """The detail of a 400 MalformedBody problem."""
    status, headers, problem = result
    assert (status, headers["Content-Type"]) == (400, "application/problem+json"), problem
    assert problem["code"] == catalog.MALFORMED_BODY.code
    assert problem["requestId"] == "req-7"
    detail: str = problem["detail"]
    return detail


# ---------------------------------------------------------------------------------------- media types


@pytest.mark.parametrize("content_type", [*JSON_TYPES, None])
def test_json_media_types_in_any_case_are_read_as_json(content_type: str | None) -> None:
    assert post('{"a": [1, "x"]}', content_type) == (
        200,
        {"Content-Type": "application/json"},
        {"a": [1, "x"]},
    )


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonx",
        "application/json-seq",
        "application/+json",
        "application/foo+json2",
        "application/json/extra",
        "json",
        "",
    ],
)
def test_other_media_types_are_4005_naming_them(content_type: str) -> None:
    detail = refused(post('{"a": 1}', content_type))
    assert detail.startswith("unsupported content type")
    assert repr(content_type.split(";", maxsplit=1)[0].strip().lower()) in detail


@pytest.mark.parametrize("charset", ["latin-1", "ISO-8859-1", "utf-16", '"utf-8 "', ""])
def test_a_charset_other_than_utf_8_is_4005(charset: str) -> None:
    detail = refused(post('{"a": 1}', f"application/json; charset={charset}"))
    assert detail.startswith("unsupported charset")


def test_a_long_content_type_is_not_echoed_whole() -> None:
    assert len(refused(post("{}", "text/" + "x" * 10_000))) < 300


# ---------------------------------------------------------------------------------------- bytes and text


@pytest.mark.parametrize(
    "raw", [b'{"a": "\xff"}', b"\xfe\xff\x00{", '{"a": "ü"}'.encode("latin-1"), b'{"a": "\xed\xa0\x80"}']
)
def test_bytes_that_are_not_utf_8_are_4005(raw: bytes) -> None:
    assert refused(post(raw)) == "the body is not UTF-8 text"


def test_base64_utf_8_is_read_as_its_text() -> None:
    assert post('{"name": "Jürgen ✓"}'.encode())[::2] == (200, {"name": "Jürgen ✓"})


@pytest.mark.parametrize("body", ['{"a": "\\ud800"}', '{"\\udfff": 1}', '{"a": ["\\ud83d"]}'])
def test_escaped_lone_surrogates_are_not_text_either(body: str) -> None:
    assert refused(post(body)) == "the body is not UTF-8 text"


def test_an_escaped_surrogate_pair_is_the_character_it_encodes() -> None:
    assert post('{"a": "\\ud83d\\ude00"}')[::2] == (200, {"a": "\U0001f600"})


@pytest.mark.parametrize(
    "body", ["not base64!", "e30=\u00e9", "\u00e9{}"], ids=["punctuation", "non-ASCII", "only"]
)
def test_a_body_that_is_not_base64_although_the_event_says_so_is_4005(body: str) -> None:
    # A str of non-ASCII characters makes b64decode raise a plain ValueError: it was a 500.
    event = http_event("POST", "/v1/documents", headers={"content-type": "application/json"})
    event["body"], event["isBase64Encoded"] = body, True
    response = handler(event, lambda_context())
    assert (response["statusCode"], json.loads(response["body"])["code"]) == (
        400,
        catalog.MALFORMED_BODY.code,
    )


# ---------------------------------------------------------------------------------------- JSON


@pytest.mark.parametrize("body", ["[]", "[1, 2]", '"text"', "1", "null", "true"])
def test_json_that_is_not_an_object_is_4005(body: str) -> None:
    assert refused(post(body)) == "the body must be a JSON object"


@pytest.mark.parametrize("body", ["{not json", "{}x", " ", "{'a': 1}", "\ufeff{}", '{"a": 1,}'])
def test_text_that_is_not_json_is_4005(body: str) -> None:
    assert refused(post(body)).startswith("the body is not valid JSON (")


def test_nesting_is_bounded() -> None:
    deepest = "[" * (MAX_BODY_DEPTH - 1) + "]" * (MAX_BODY_DEPTH - 1)
    assert post(f'{{"a": {deepest}}}')[0] == 200
    too_deep = "[" * MAX_BODY_DEPTH + "]" * MAX_BODY_DEPTH
    assert refused(post(f'{{"a": {too_deep}}}')) == f"the body nests deeper than {MAX_BODY_DEPTH} levels"
    assert refused(post('{"a": ' + "[" * 10_000 + "]" * 10_000 + "}")).startswith("the body nests deeper")
    assert refused(post('{"a": ' + '{"a": ' * 10_000 + "1" + "}" * 10_001)).startswith("the body nests")


@pytest.mark.parametrize(
    "number", ["9" * 5000, "-" + "1" * 4301, "NaN", "Infinity", "-Infinity", "1e999", "-1e400"]
)
def test_numbers_beyond_json_or_python_are_4005(number: str) -> None:
    assert refused(post(f'{{"a": {number}}}')) == "the body is not valid JSON: a number is out of range"


def test_large_numbers_within_range_pass() -> None:
    assert post(f'{{"a": {"9" * 4300}, "b": 1e308}}')[::2] == (200, {"a": int("9" * 4300), "b": 1e308})


def test_a_route_that_reads_no_body_still_refuses_a_bad_one() -> None:
    assert refused(post("[1]", path="/v1/nothing")) == "the body must be a JSON object"
    assert refused(post(b"\xff", path="/v1/nothing")) == "the body is not UTF-8 text"
    assert post("{}", path="/v1/nothing")[0] == 200


# ---------------------------------------------------------------------------------------- properties

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=12,
)
json_objects = st.dictionaries(st.text(), json_values, max_size=5)
content_types = st.sampled_from([*JSON_TYPES, "text/plain", "application/octet-stream", ""]) | st.text(
    max_size=40
)


@given(document=json_objects, content_type=st.sampled_from(JSON_TYPES), ascii_only=st.booleans())
def test_json_objects_pass_through_unchanged(
    document: dict[str, Any], content_type: str, ascii_only: bool
) -> None:
    text = json.dumps(document, ensure_ascii=ascii_only)
    assert post(text, content_type)[::2] == (200, document)
    assert post(text.encode(), content_type)[::2] == (200, document)


@given(
    body=st.binary(min_size=1) | st.text(st.characters(exclude_categories=()), min_size=1),
    content_type=content_types | st.none(),
)
def test_whatever_the_body_the_answer_is_the_document_or_a_catalog_4xx(
    body: bytes | str, content_type: str | None
) -> None:
    status, headers, answer = post(body, content_type)
    if status == 200:
        text = body.decode() if isinstance(body, bytes) else body
        assert answer == json.loads(text)
    else:
        assert 400 <= status < 500
        assert headers["Content-Type"] == "application/problem+json"
        assert answer["code"] in CATALOG_CODES
