"""Custom resources run their function on a Create event, and its PUT answer becomes the resource."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from local.custom_resources import custom_resource_ids, is_custom_resource
from local.resources import LocalResources, Provisioner
from local.template import Template, TemplateError

FUNCTION = """
import json
import urllib.request


def lambda_handler(event, context):
    properties = event["ResourceProperties"]
    mode = properties.get("Mode", "succeed")
    if mode == "raise":
        raise RuntimeError("boom")
    if mode == "silent":
        return None
    document = {
        "Status": "FAILED" if mode == "fail" else "SUCCESS",
        "Reason": "told to fail",
        "PhysicalResourceId": "thing-" + properties["Name"],
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "Data": {"Echo": properties["Name"], "RequestType": event["RequestType"], "Type": event["ResourceType"]},
    }
    request = urllib.request.Request(event["ResponseURL"], data=json.dumps(document).encode(), method="PUT")
    urllib.request.urlopen(request).read()
"""


def template_with(tmp_path: Path, resources: str) -> Template:
    """A template with function ThingFunction (code written under tmp_path) and ``resources``."""
    code = tmp_path / f"thing_{uuid.uuid4().hex}"  # a module name of its own: astca_fn_<dir>
    code.mkdir()
    (code / "app.py").write_text(FUNCTION, encoding="utf-8")
    path = tmp_path / "template.yaml"
    path.write_text(
        f"""
Parameters:
  Greeting: {{Type: String, Default: hello}}
Resources:
  ThingFunction:
    Type: AWS::Serverless::Function
    Properties: {{CodeUri: {code.name}/, Handler: app.lambda_handler}}
{resources}
""",
        encoding="utf-8",
    )
    return Template.load(path)


def provision(template: Template) -> LocalResources:
    return Provisioner().provision(template, custom_resources=True)


def test_the_answer_becomes_the_resource_and_feeds_the_next(tmp_path: Path) -> None:
    template = template_with(
        tmp_path,
        """
  Second:
    Type: Custom::Thing
    Properties:
      ServiceToken: !GetAtt ThingFunction.Arn
      Name: !Sub "${First.Echo}-again"
  First:
    Type: AWS::CloudFormation::CustomResource
    Properties:
      ServiceToken: !GetAtt ThingFunction.Arn
      Name: !Ref Greeting
""",
    )

    resources = provision(template)

    assert custom_resource_ids(template) == ["Second", "First"]
    assert resources.physical["First"].ref == "thing-hello"
    assert resources.attribute("First", "Echo") == "hello"
    assert resources.attribute("First", "RequestType") == "Create"
    assert resources.attribute("First", "Type") == "AWS::CloudFormation::CustomResource"
    assert resources.attribute("Second", "Echo") == "hello-again"
    assert resources.attribute("Second", "Type") == "Custom::Thing"


def test_without_custom_resources_nothing_runs(tmp_path: Path) -> None:
    template = template_with(
        tmp_path,
        """
  First:
    Type: AWS::CloudFormation::CustomResource
    Properties: {ServiceToken: !GetAtt ThingFunction.Arn, Mode: raise}
""",
    )

    resources = Provisioner().provision(template)

    assert "First" not in resources.physical


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("fail", "First failed: told to fail"),
        ("raise", "First: ThingFunction raised RuntimeError('boom')"),
        ("silent", "First: ThingFunction did not answer CloudFormation"),
    ],
)
def test_a_resource_that_fails_stops_provisioning(tmp_path: Path, mode: str, message: str) -> None:
    template = template_with(
        tmp_path,
        f"""
  First:
    Type: AWS::CloudFormation::CustomResource
    Properties: {{ServiceToken: !GetAtt ThingFunction.Arn, Name: x, Mode: {mode}}}
""",
    )

    with pytest.raises(TemplateError) as error:
        provision(template)

    assert str(error.value) == message


def test_the_service_token_must_be_a_function_of_the_template(tmp_path: Path) -> None:
    template = template_with(
        tmp_path,
        """
  First:
    Type: AWS::CloudFormation::CustomResource
    Properties: {ServiceToken: "arn:aws:sns:eu-central-1:123456789012:topic", Name: x}
""",
    )

    with pytest.raises(TemplateError, match="ServiceToken must be"):
        provision(template)


def test_only_custom_resource_types_are_custom() -> None:
    assert is_custom_resource("AWS::CloudFormation::CustomResource")
    assert is_custom_resource("Custom::CaHierarchy")
    assert not is_custom_resource("AWS::CloudFormation::WaitCondition")
    assert custom_resource_ids(Template.load()) == ["CaHierarchy"]
