"""template.yaml describes the real deployment: linted clean, and shaped the way a reviewer expects.

The in-process checks come first; the checks that need aws-sam-cli come last, so that sam's runs
(started in the background by conftest.py) overlap with them.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint_file

from astca.settings import PREFIX, Settings
from tests.template.cfn import (
    ALARM,
    FUNCTION,
    LOG_GROUP,
    QUEUE,
    ROOT,
    TABLE,
    TEMPLATE_PATH,
    as_list,
    function_properties,
    getatt,
    load_samconfig,
    load_template,
    properties,
    ref,
    resources,
    target,
    walk,
)
from tests.template.sam import REGION, SamRuns

FUNCTIONS = sorted(resources(load_template(), FUNCTION))
MIN_MEMORY_MB = 512
HTTP_API_TIMEOUT_SECONDS = 30  # API Gateway's limit for an integration
MAX_RECEIVE_COUNT = 10
OUTBOX_FILTER = {"eventName": ["INSERT"], "dynamodb": {"Keys": {"PK": {"S": [{"prefix": "OUTBOX#"}]}}}}
ALARM_ACTIONS = {"Fn::If": ["HasAlarmTopic", [ref("AlarmTopicArn")], ref("AWS::NoValue")]}
BASIC_EXECUTION_ROLE = "/service-role/AWSLambdaBasicExecutionRole"
# Actions that IAM cannot scope to a resource, so Resource "*" is their only form.
REQUIRED_SETTINGS = {
    name: f"{name}-value" for name, info in Settings.model_fields.items() if info.is_required()
}
UNSCOPABLE_ACTIONS = frozenset(
    {"kms:CreateKey", "xray:PutTraceSegments", "xray:PutTelemetryRecords", "cloudwatch:PutMetricData"}
)


# ---------------------------------------------------------------------------------------- cfn-lint


def test_cfn_lint_reports_nothing() -> None:
    matches = lint_file(TEMPLATE_PATH, ManualArgs(regions=[REGION], include_checks=["I"]))

    assert [f"{match.rule.id} line {match.linenumber}: {match.message}" for match in matches] == []


# ---------------------------------------------------------------------------------------- queues


def dead_letter_queues(template: dict[str, Any]) -> set[str]:
    """Queues that a redrive policy or an event source's on-failure destination sends to."""
    found: set[str] = set()
    for mapping in walk(template["Resources"]):
        if "deadLetterTargetArn" in mapping:
            found.add(str(target(mapping["deadLetterTargetArn"])))
        if isinstance(mapping.get("OnFailure"), dict):
            found.add(str(target(mapping["OnFailure"].get("Destination"))))
    return found


def test_every_work_queue_redrives_to_a_dlq(template: dict[str, Any]) -> None:
    queues = resources(template, QUEUE)
    dlqs = dead_letter_queues(template)

    for logical_id, queue in queues.items():
        if logical_id in dlqs:
            continue
        policy = properties(queue).get("RedrivePolicy")
        assert policy, f"{logical_id} has no RedrivePolicy"
        assert target(policy["deadLetterTargetArn"]) in dlqs & queues.keys()
        assert policy["deadLetterTargetArn"] == getatt(str(target(policy["deadLetterTargetArn"])), "Arn")
        assert 1 <= policy["maxReceiveCount"] <= MAX_RECEIVE_COUNT, logical_id


def test_every_dlq_is_a_queue_that_keeps_messages_longer_than_its_sources(template: dict[str, Any]) -> None:
    queues = resources(template, QUEUE)
    dlqs = dead_letter_queues(template)

    assert dlqs <= queues.keys()
    assert {logical_id for logical_id in queues if logical_id.endswith("DLQ")} == dlqs, "a DLQ nothing uses"
    for logical_id in dlqs:
        dlq = properties(queues[logical_id])
        assert "RedrivePolicy" not in dlq, f"{logical_id} is a DLQ with a DLQ"
        assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600, logical_id
    for logical_id, queue in queues.items():
        if logical_id not in dlqs:
            assert properties(queue)["MessageRetentionPeriod"] < 14 * 24 * 3600, logical_id


def test_every_queue_is_encrypted(template: dict[str, Any]) -> None:
    for logical_id, queue in resources(template, QUEUE).items():
        assert properties(queue).get("SqsManagedSseEnabled") is True, logical_id


def test_every_dlq_has_an_alarm_on_visible_messages(template: dict[str, Any]) -> None:
    alarms = resources(template, ALARM)
    watched = {
        target(dimension["Value"]): properties(alarm)
        for alarm in alarms.values()
        for dimension in properties(alarm).get("Dimensions", [])
        if dimension["Name"] == "QueueName"
    }

    for logical_id in dead_letter_queues(template):
        alarm = watched.get(logical_id)
        assert alarm is not None, f"no alarm watches {logical_id}"
        assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": getatt(logical_id, "QueueName")}]
        assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
        assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)
        assert alarm["TreatMissingData"] == "notBreaching"
        assert alarm["AlarmActions"] == ALARM_ACTIONS, f"{logical_id}'s alarm notifies nobody"
        assert alarm["OKActions"] == ALARM_ACTIONS


def test_alarm_topic_is_optional(template: dict[str, Any]) -> None:
    assert template["Parameters"]["AlarmTopicArn"]["Default"] == ""
    assert template["Conditions"]["HasAlarmTopic"] == {
        "Fn::Not": [{"Fn::Equals": [ref("AlarmTopicArn"), ""]}]
    }


# ---------------------------------------------------------------------------------------- tables


def test_the_single_table(template: dict[str, Any]) -> None:
    table = template["Resources"]["Table"]
    props = properties(table)

    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert props["TimeToLiveSpecification"]["Enabled"] is True
    assert props["KeySchema"] == [
        {"AttributeName": "PK", "KeyType": "HASH"},
        {"AttributeName": "SK", "KeyType": "RANGE"},
    ]
    (gsi1,) = [index for index in props["GlobalSecondaryIndexes"] if index["IndexName"] == "GSI1"]
    assert gsi1["KeySchema"] == [
        {"AttributeName": "GSI1PK", "KeyType": "HASH"},
        {"AttributeName": "GSI1SK", "KeyType": "RANGE"},
    ]
    assert props["SSESpecification"]["SSEEnabled"] is True


def test_the_idempotency_table_has_powertools_schema(template: dict[str, Any]) -> None:
    props = properties(template["Resources"]["IdempotencyTable"])

    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
    assert set(resources(template, TABLE)) == {"Table", "IdempotencyTable"}


# ---------------------------------------------------------------------------------------- functions


def test_globals_are_the_lambda_runtime(template: dict[str, Any]) -> None:
    function = template["Globals"]["Function"]

    assert function["Runtime"] == "python3.12"
    assert function["Architectures"] == ["arm64"]
    assert function["MemorySize"] >= MIN_MEMORY_MB
    assert isinstance(function["Timeout"], int)
    assert function["LoggingConfig"]["LogFormat"] == "JSON"
    assert function["Layers"] == [ref("CommonLayer")]


def test_the_common_layer_is_built_for_the_runtime(template: dict[str, Any]) -> None:
    layer = template["Resources"]["CommonLayer"]

    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    assert layer["Metadata"] == {"BuildMethod": "makefile", "BuildArchitecture": "arm64"}
    assert properties(layer)["CompatibleRuntimes"] == ["python3.12"]
    assert properties(layer)["CompatibleArchitectures"] == ["arm64"]
    assert (ROOT / properties(layer)["ContentUri"] / "requirements.txt").is_file()


def module_defines(path: Path, name: str) -> bool:
    """Whether the module at ``path`` binds ``name`` at top level (a def or an assignment)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return True
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if any(isinstance(bound, ast.Name) and bound.id == name for bound in targets):
            return True
    return False


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_function_code_exists_and_defines_its_handler(template: dict[str, Any], logical_id: str) -> None:
    props = function_properties(template, logical_id)
    code = ROOT / props["CodeUri"]
    module, _, handler = props["Handler"].rpartition(".")
    module_path = code / (module.replace(".", "/") + ".py")

    assert code.is_dir(), f"{logical_id}: CodeUri {props['CodeUri']} is not a directory"
    assert module_defines(code / "app.py", "lambda_handler"), f"{code}/app.py defines no lambda_handler"
    assert module_path.is_file(), f"{logical_id}: no module for Handler {props['Handler']}"
    assert module_defines(module_path, handler), f"{module_path} defines no {handler}"


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_function_runs_on_the_runtime(template: dict[str, Any], logical_id: str) -> None:
    props = function_properties(template, logical_id)

    assert (props["Runtime"], props["Architectures"]) == ("python3.12", ["arm64"])
    assert props["MemorySize"] >= MIN_MEMORY_MB
    assert props["LoggingConfig"]["LogFormat"] == "JSON"
    assert ref("CommonLayer") in props["Layers"]
    if any(event["Type"] == "HttpApi" for event in props.get("Events", {}).values()):
        assert props["Timeout"] < HTTP_API_TIMEOUT_SECONDS


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_function_logs_to_its_own_log_group_with_retention(template: dict[str, Any], logical_id: str) -> None:
    props = function_properties(template, logical_id)
    name = props["FunctionName"]["Fn::Sub"]
    log_group_id = target(props["LoggingConfig"].get("LogGroup"))

    assert re.fullmatch(r"\$\{AWS::StackName\}-[a-z0-9-]+", name), f"{logical_id}: FunctionName {name}"
    assert log_group_id in resources(template, LOG_GROUP), f"{logical_id} does not log to a group of its own"
    log_group = properties(template["Resources"][log_group_id])
    assert log_group["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/{name}"}
    assert log_group["RetentionInDays"] == ref("LogRetentionDays")


def test_every_log_group_has_a_retention(template: dict[str, Any]) -> None:
    for logical_id, log_group in resources(template, LOG_GROUP).items():
        assert properties(log_group).get("RetentionInDays"), logical_id


def test_http_events_are_routes_of_the_http_api(template: dict[str, Any]) -> None:
    routes: list[tuple[str, str]] = []
    for logical_id in FUNCTIONS:
        for name, event in function_properties(template, logical_id).get("Events", {}).items():
            assert event["Type"] != "Api", f"{logical_id}.{name}: a REST API event; this is an HTTP API"
            if event["Type"] == "HttpApi":
                assert event["Properties"]["ApiId"] == ref("HttpApi"), f"{logical_id}.{name}"
                assert event["Properties"]["Path"].startswith("/v1/")
                routes.append((event["Properties"]["Method"].upper(), event["Properties"]["Path"]))

    assert ("GET", "/v1/health") in routes
    assert len(routes) == len(set(routes)), "a route is declared twice"


def test_http_api_logs_access_and_throttles(template: dict[str, Any]) -> None:
    api = properties(template["Resources"]["HttpApi"])
    access_log = api["AccessLogSettings"]

    assert target(access_log["DestinationArn"]) in resources(template, LOG_GROUP)
    assert json.loads(access_log["Format"])["requestId"] == "$context.requestId"
    assert api["DefaultRouteSettings"]["ThrottlingBurstLimit"] > 0
    assert api["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0


def event_sources(template: dict[str, Any], event_type: str) -> list[tuple[str, dict[str, Any]]]:
    """(function logical id, event Properties) of every event of ``event_type``."""
    return [
        (logical_id, event["Properties"])
        for logical_id in FUNCTIONS
        for event in function_properties(template, logical_id).get("Events", {}).values()
        if event["Type"] == event_type
    ]


def test_relay_reads_only_outbox_inserts_from_the_stream(template: dict[str, Any]) -> None:
    (source,) = [
        props
        for logical_id, props in event_sources(template, "DynamoDB")
        if logical_id == "RelayOutboxFunction"
    ]

    assert source["Stream"] == getatt("Table", "StreamArn")
    assert source["StartingPosition"] == "TRIM_HORIZON"
    assert [json.loads(entry["Pattern"]) for entry in source["FilterCriteria"]["Filters"]] == [OUTBOX_FILTER]
    assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert source["BisectBatchOnFunctionError"] is True
    assert 0 < source["MaximumRetryAttempts"] <= MAX_RECEIVE_COUNT
    assert source["DestinationConfig"] == {
        "OnFailure": {"Type": "SQS", "Destination": getatt("RelayOutboxDLQ", "Arn")}
    }


def test_queue_consumers_report_failures_and_outlast_their_visibility(template: dict[str, Any]) -> None:
    queues = resources(template, QUEUE)
    dlqs = dead_letter_queues(template)

    for logical_id, source in event_sources(template, "SQS"):
        queue_id = str(target(source["Queue"]))
        assert queue_id in queues.keys() - dlqs, f"{logical_id} consumes {queue_id}"
        assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"], logical_id
        timeout = function_properties(template, logical_id)["Timeout"]
        assert properties(queues[queue_id])["VisibilityTimeout"] >= 6 * timeout, queue_id


# ---------------------------------------------------------------------------------------- IAM


def statements(document: Any) -> list[dict[str, Any]]:
    """The statements of every policy document inside ``document``."""
    return [
        statement
        for mapping in walk(document)
        if "Statement" in mapping
        for statement in as_list(mapping["Statement"])
    ]


def assert_least_privilege(document: Any) -> None:
    """No statement grants every action, a whole service, NotAction, or Resource "*" for scopable actions."""
    for statement in statements(document):
        if statement.get("Effect") != "Allow" or "Principal" in statement:
            continue  # trust policies and denials
        assert "NotAction" not in statement, statement
        actions = as_list(statement["Action"])
        assert not [action for action in actions if action == "*" or action.endswith(":*")], statement
        if "*" in as_list(statement.get("Resource")):
            assert set(actions) <= UNSCOPABLE_ACTIONS, statement


def test_no_policy_grants_wildcard_actions(template: dict[str, Any]) -> None:
    assert_least_privilege(template["Resources"])
    for logical_id in FUNCTIONS:
        for policy in as_list(function_properties(template, logical_id).get("Policies", [])):
            assert isinstance(policy, dict), f"{logical_id}: managed policy {policy!r}; use a policy template"


def test_health_function_has_no_aws_access(template: dict[str, Any]) -> None:
    props = function_properties(template, "HealthFunction")

    assert "Role" not in props
    assert "Policies" not in props


# ---------------------------------------------------------------------------------------- settings


def test_astca_variables_are_the_settings(template: dict[str, Any]) -> None:
    fields = {PREFIX + name.upper(): info for name, info in Settings.model_fields.items()}
    global_variables = template["Globals"]["Function"]["Environment"]["Variables"]
    variables = set(global_variables)
    for logical_id in FUNCTIONS:
        variables |= set(
            properties(template["Resources"][logical_id]).get("Environment", {}).get("Variables", {})
        )

    assert {name for name in variables if name.startswith(PREFIX)} - fields.keys() == set()
    assert {name for name, info in fields.items() if info.is_required()} - global_variables.keys() == set()


def test_max_validity_days_reaches_the_request_functions_and_cloudformation_refuses_what_they_would(
    template: dict[str, Any],
) -> None:
    parameter = template["Parameters"]["MaxValidityDays"]
    wired = {
        logical_id
        for logical_id in FUNCTIONS
        if function_properties(template, logical_id)
        .get("Environment", {})
        .get("Variables", {})
        .get("ASTCA_MAX_VALIDITY_DAYS")
        == ref("MaxValidityDays")
    }

    assert wired == {"RequestCertificateFunction", "RenewCertificateFunction"}
    assert parameter["Default"] == ""
    pattern = re.compile(parameter["AllowedPattern"])
    for days in range(-1, 1000):
        value = f"AST_DEVICE={days},TLS_CLIENT_WITH_KEY=90"
        allowed = pattern.fullmatch(value) is not None
        try:
            Settings.model_validate({**REQUIRED_SETTINGS, "max_validity_days": value})
        except ValueError:
            accepted = False
        else:
            accepted = True
        assert allowed is accepted, value


# ---------------------------------------------------------------------------------------- outputs, samconfig


def test_outputs_name_the_api_the_table_and_every_queue(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    exposed = {target(output["Value"]) for output in outputs.values()}

    with_domain, without_domain = outputs["ApiUrl"]["Value"]["Fn::If"][1:]
    assert with_domain == {"Fn::Sub": "https://${DomainName}"}
    assert "HttpApi" in without_domain["Fn::Sub"]
    assert outputs["TableName"]["Value"] == ref("Table")
    assert resources(template, QUEUE).keys() <= exposed
    assert "IdempotencyTable" in exposed


@pytest.mark.parametrize(("environment", "stage"), [("default", "dev"), ("dev", "dev"), ("prod", "prod")])
def test_samconfig_deploys_each_stage(template: dict[str, Any], environment: str, stage: str) -> None:
    config = load_samconfig()[environment]
    deploy = config["deploy"]["parameters"]
    overrides = dict(pair.split("=", 1) for pair in deploy["parameter_overrides"].split())

    assert config["global"]["parameters"] == {"stack_name": f"astca-{stage}", "region": REGION}
    assert set(deploy["capabilities"].split()) == {"CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"}
    assert deploy["resolve_s3"] is True
    assert deploy["confirm_changeset"] is (stage == "prod")
    assert overrides["Stage"] == stage
    for name, value in overrides.items():
        parameter = template["Parameters"][name]
        assert value in [str(allowed) for allowed in parameter.get("AllowedValues", [value])], name
    assert config["build"]["parameters"] == {"cached": True, "parallel": True}


# ---------------------------------------------------------------------------------------- aws-sam-cli


def test_sam_validate_lint_passes(sam_runs: SamRuns) -> None:
    validate, _ = sam_runs.required()
    status, stdout, stderr = validate.result()

    assert status == 0, f"{' '.join(validate.args)}:\n{stdout}\n{stderr}"


def test_transformed_template_is_least_privilege(sam_runs: SamRuns) -> None:
    cloudformation = sam_runs.transformed_template()
    roles = resources(cloudformation, "AWS::IAM::Role")

    assert_least_privilege(cloudformation["Resources"])
    for logical_id, role in roles.items():
        managed = [
            arn["Fn::Sub"] if isinstance(arn, dict) else arn
            for arn in properties(role).get("ManagedPolicyArns", [])
        ]
        assert [arn for arn in managed if not arn.endswith(BASIC_EXECUTION_ROLE)] == [], (
            f"{logical_id}: an AWS managed policy with Resource '*' (SAM adds one for each event source "
            "type); give the function an explicit role"
        )
    health = properties(roles["HealthFunctionRole"])
    assert "Policies" not in health
    assert len(health["ManagedPolicyArns"]) == 1


def test_transformed_relay_reads_its_stream_and_sends_to_the_topics(sam_runs: SamRuns) -> None:
    cloudformation = sam_runs.transformed_template()
    relay = properties(cloudformation["Resources"]["RelayOutboxFunction"])
    (mapping,) = [
        properties(resource)
        for resource in resources(cloudformation, "AWS::Lambda::EventSourceMapping").values()
        if resource["Properties"]["FunctionName"] == ref("RelayOutboxFunction")
    ]
    granted = {
        (action, json.dumps(resource, sort_keys=True))
        for statement in statements(cloudformation["Resources"][str(target(relay["Role"]))])
        if "Principal" not in statement
        for action in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    }

    assert mapping["EventSourceArn"] == getatt("Table", "StreamArn")
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == getatt("RelayOutboxDLQ", "Arn")
    for action in ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"):
        assert (action, json.dumps(getatt("Table", "StreamArn"))) in granted
    for queue in ("SignerRequestsQueue", "CertificateRequestsQueue", "CaEventsQueue", "RelayOutboxDLQ"):
        assert ("sqs:SendMessage", json.dumps(getatt(queue, "Arn"))) in granted
    assert {action for action, _ in granted} == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
        "sqs:SendMessage",
    }
