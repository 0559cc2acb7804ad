"""local.template reads template.yaml as SAM means it; local.intrinsics resolves its values."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from local.intrinsics import Physical, Resolver, references
from local.resources import _dependency_order
from local.template import Template, TemplateError, TemplateLoader

TEMPLATE = Template.load()


def load(text: str) -> object:
    return yaml.load(text, Loader=TemplateLoader)  # noqa: S506 - a SafeLoader subclass


def test_short_tags_read_as_their_long_form() -> None:
    document = load(
        """
        a: !Ref Table
        b: !GetAtt Queue.Arn
        c: !Sub "${AWS::Region}-x"
        d: !If [IsProd, 1, 2]
        e: !Join [",", [!Ref A, !Ref B]]
        f: !Not [!Equals [!Ref P, ""]]
        """
    )
    assert document == {
        "a": {"Ref": "Table"},
        "b": {"Fn::GetAtt": ["Queue", "Arn"]},
        "c": {"Fn::Sub": "${AWS::Region}-x"},
        "d": {"Fn::If": ["IsProd", 1, 2]},
        "e": {"Fn::Join": [",", [{"Ref": "A"}, {"Ref": "B"}]]},
        "f": {"Fn::Not": [{"Fn::Equals": [{"Ref": "P"}, ""]}]},
    }


def test_health_route_is_read_from_the_template() -> None:
    routes = {route.route_key: route.function for route in TEMPLATE.routes()}

    assert routes["GET /v1/health"] == "HealthFunction"


def test_relay_stream_source_carries_its_retry_settings() -> None:
    (source,) = TEMPLATE.functions["RelayOutboxFunction"].stream_sources

    assert source.table == "Table"
    assert source.batch_size == 25
    assert source.maximum_retry_attempts == 3
    assert source.bisect_on_error
    assert source.reports_item_failures
    assert source.on_failure == "RelayOutboxDLQ"
    assert source.filters[0]["eventName"] == ["INSERT"]


def test_functions_merge_globals_and_resolve_their_code_location() -> None:
    health = TEMPLATE.functions["HealthFunction"]

    assert health.environment["POWERTOOLS_SERVICE_NAME"] == "astca"
    assert health.environment["ASTCA_TABLE_NAME"] == {"Ref": "Table"}
    assert health.module_path == Path(__file__).resolve().parents[2] / "functions/health/app.py"
    assert health.handler_name == "lambda_handler"


def write_template(tmp_path: Path, text: str) -> Template:
    path = tmp_path / "template.yaml"
    path.write_text(text, encoding="utf-8")
    return Template.load(path)


def test_a_function_overrides_a_global_variable_and_adds_its_own(tmp_path: Path) -> None:
    template = write_template(
        tmp_path,
        """
        Globals:
          Function:
            Timeout: 10
            Environment: {Variables: {A: global, B: global}}
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              Handler: app.handler
              Timeout: 3
              Environment: {Variables: {B: own, C: own}}
        """,
    )

    function = template.functions["Fn"]

    assert function.environment == {"A": "global", "B": "own", "C": "own"}
    assert function.timeout == 3


@pytest.fixture
def resolver() -> Resolver:
    physical = {
        "Queue": Physical("https://queue", {"Arn": "arn:aws:sqs:eu-central-1:1:q", "QueueName": "q"}),
        "Table": Physical("astca-Table", {"StreamArn": "arn:stream"}),
    }
    return Resolver(TEMPLATE, physical, region="eu-central-1", account_id="123456789012")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"Ref": "Table"}, "astca-Table"),
        ({"Ref": "Stage"}, "dev"),
        ({"Ref": "AWS::Region"}, "eu-central-1"),
        ({"Fn::GetAtt": ["Queue", "Arn"]}, "arn:aws:sqs:eu-central-1:1:q"),
        ({"Fn::Sub": "${AWS::StackName}-${Queue.QueueName}-${!Literal}"}, "astca-q-${Literal}"),
        ({"Fn::Sub": ["${Name}/x", {"Name": {"Ref": "Table"}}]}, "astca-Table/x"),
        ({"Fn::Join": ["/", ["a", {"Ref": "Table"}]]}, "a/astca-Table"),
        ({"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]}, "b"),
        ({"Fn::If": ["IsProd", "yes", "no"]}, "no"),
        ({"Fn::Not": [{"Condition": "IsProd"}]}, True),
        ([1, {"Ref": "AWS::NoValue"}, 2], [1, 2]),
        ({"Keep": 1, "Drop": {"Fn::If": ["IsProd", 1, {"Ref": "AWS::NoValue"}]}}, {"Keep": 1}),
    ],
)
def test_intrinsics_resolve(resolver: Resolver, value: object, expected: object) -> None:
    assert resolver.resolve(value) == expected


def test_parameters_can_be_overridden() -> None:
    resolver = Resolver(TEMPLATE, {}, region="eu-central-1", account_id="1", parameters={"Stage": "prod"})

    assert resolver.condition("IsProd")


@pytest.mark.parametrize("value", [{"Ref": "Nowhere"}, {"Fn::GetAtt": ["Table", "Nothing"]}])
def test_something_not_provisioned_is_an_error_not_a_guess(resolver: Resolver, value: object) -> None:
    with pytest.raises(TemplateError):
        resolver.resolve(value)


def test_references_include_sub_variables() -> None:
    assert references({"Fn::Sub": "${A}-${B.Arn}-${!C}"}) == {"A", "B"}


def test_a_dead_letter_queue_is_provisioned_before_the_queue_that_names_it() -> None:
    order = _dependency_order(TEMPLATE.resources_of_type("AWS::SQS::Queue"))

    assert order.index("SignerRequestsDLQ") < order.index("SignerRequestsQueue")
    assert order.index("CaEventsDLQ") < order.index("CaEventsQueue")
