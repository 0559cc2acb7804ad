"""local.resources creates the template's resources on moto, as the template describes them."""

from __future__ import annotations

import json
import os
import string
from collections.abc import Iterable
from pathlib import Path

import boto3
import pytest

from local.resources import LocalResources, Provisioner, generate_secret_string
from local.template import Template


def test_the_table_has_the_template_keys_index_stream_and_ttl(aws: LocalResources) -> None:
    dynamodb = boto3.client("dynamodb")

    table = dynamodb.describe_table(TableName=aws.tables["Table"])["Table"]

    assert aws.tables["Table"] == "astca-Table"
    assert {key["AttributeName"]: key["KeyType"] for key in table["KeySchema"]} == {
        "PK": "HASH",
        "SK": "RANGE",
    }
    assert [index["IndexName"] for index in table["GlobalSecondaryIndexes"]] == ["GSI1"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert aws.attribute("Table", "StreamArn") == table["LatestStreamArn"]
    ttl = dynamodb.describe_time_to_live(TableName="astca-Table")["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expiresAtEpoch")


def test_a_queue_redrives_to_its_dead_letter_queue(aws: LocalResources) -> None:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=aws.queues["CertificateRequestsQueue"], AttributeNames=["All"]
    )["Attributes"]

    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive == {
        "deadLetterTargetArn": aws.attribute("CertificateRequestsDLQ", "Arn"),
        "maxReceiveCount": 5,
    }
    assert attributes["QueueArn"] == aws.attribute("CertificateRequestsQueue", "Arn")
    declared = aws.template.resources["CertificateRequestsQueue"]["Properties"]["VisibilityTimeout"]
    assert attributes["VisibilityTimeout"] == str(declared)


def test_the_cursor_secret_is_generated_as_the_template_asks(aws: LocalResources) -> None:
    value = boto3.client("secretsmanager").get_secret_value(SecretId=aws.secrets["CursorSecret"])[
        "SecretString"
    ]

    assert len(value) == 64
    assert set(value) <= set(string.ascii_letters + string.digits)


def test_the_functions_environment_points_at_the_resources(aws: LocalResources) -> None:
    environment = aws.environments["RelayOutboxFunction"]

    assert environment["ASTCA_TABLE_NAME"] == "astca-Table"
    assert environment["ASTCA_CA_EVENTS_QUEUE_URL"] == aws.queues["CaEventsQueue"]
    assert environment["ASTCA_CURSOR_SECRET_ARN"] == aws.secrets["CursorSecret"]
    assert {name: os.environ[name] for name in aws.environment} == dict(aws.environment)


def test_provisioning_again_reuses_what_exists(aws: LocalResources) -> None:
    again = Provisioner().provision(Template.load(), parameters=aws.parameters)

    assert again.environments == aws.environments


def test_kms_keys_and_aliases_are_provisioned(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(
        """
Resources:
  IssuerKey:
    Type: AWS::KMS::Key
    Properties: {KeySpec: ECC_NIST_P256, KeyUsage: SIGN_VERIFY, Description: issuer}
  IssuerKeyAlias:
    Type: AWS::KMS::Alias
    Properties: {AliasName: alias/astca-issuer, TargetKeyId: !Ref IssuerKey}
""",
        encoding="utf-8",
    )

    resources = Provisioner().provision(Template.load(path))

    kms = boto3.client("kms")
    key = kms.describe_key(KeyId="alias/astca-issuer")["KeyMetadata"]
    assert key["KeyId"] == resources.keys["IssuerKey"]
    assert (key["KeySpec"], key["KeyUsage"]) == ("ECC_NIST_P256", "SIGN_VERIFY")


@pytest.mark.parametrize(
    ("spec", "allowed"),
    [
        ({"PasswordLength": 40, "ExcludePunctuation": True}, string.ascii_letters + string.digits),
        (
            {
                "PasswordLength": 12,
                "ExcludeUppercase": True,
                "ExcludeNumbers": True,
                "ExcludePunctuation": True,
            },
            string.ascii_lowercase,
        ),
        ({"PasswordLength": 20, "ExcludeCharacters": "abc"}, set(string.printable.strip()) - set("abc")),
    ],
)
def test_generated_secrets_follow_their_spec(spec: dict[str, object], allowed: Iterable[str]) -> None:
    value = generate_secret_string(spec)

    assert len(value) == spec["PasswordLength"]
    assert set(value) <= set(allowed)


def test_a_generated_secret_can_fill_a_json_template() -> None:
    value = generate_secret_string(
        {"SecretStringTemplate": '{"user": "astca"}', "GenerateStringKey": "password", "PasswordLength": 8}
    )

    document = json.loads(value)
    assert document["user"] == "astca"
    assert len(document["password"]) == 8
