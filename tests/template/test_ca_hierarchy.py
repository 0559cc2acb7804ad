"""The CA hierarchy in template.yaml: a custom resource whose function may create and use the CA keys only."""

from __future__ import annotations

from typing import Any

from astca.issuance.kms import ALGORITHMS
from tests.template.cfn import as_list, function_properties, getatt, ref

CA_ALIASES = [{"Fn::Sub": "alias/${AWS::StackName}/root"}, {"Fn::Sub": "alias/${AWS::StackName}/issuer"}]
ACCOUNT_KEYS = {"Fn::Sub": "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*"}


def bootstrap_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    (policy,) = function_properties(template, "BootstrapFunction")["Policies"]
    statements: list[dict[str, Any]] = policy["Statement"]
    return statements


def test_the_custom_resource_calls_the_bootstrap_function(template: dict[str, Any]) -> None:
    resource = template["Resources"]["CaHierarchy"]

    assert resource["Type"] == "AWS::CloudFormation::CustomResource"
    assert resource["Properties"]["ServiceToken"] == getatt("BootstrapFunction", "Arn")
    assert 0 < resource["Properties"]["ServiceTimeout"] <= 3600


def test_the_bootstrap_configures_the_ca_keys(template: dict[str, Any]) -> None:
    variables = function_properties(template, "BootstrapFunction")["Environment"]["Variables"]
    parameter = template["Parameters"]["CaKeySpec"]

    assert variables["ASTCA_CA_ALIAS_PREFIX"] == {"Fn::Sub": "alias/${AWS::StackName}"}
    assert variables["ASTCA_CA_KEY_SPEC"] == ref("CaKeySpec")
    assert set(parameter["AllowedValues"]) == set(ALGORITHMS)
    assert parameter["Default"] == "ECC_NIST_P256"


def test_create_key_is_the_only_unscoped_grant_and_is_conditioned(template: dict[str, Any]) -> None:
    unscoped = [statement for statement in bootstrap_statements(template) if statement["Resource"] == "*"]

    (create_key,) = unscoped
    assert create_key["Action"] == "kms:CreateKey"
    assert create_key["Condition"]["StringEquals"] == {
        "kms:KeyUsage": "SIGN_VERIFY",
        "kms:KeySpec": ref("CaKeySpec"),
        "kms:KeyOrigin": "AWS_KMS",
        "aws:RequestTag/astca:ca": CA_ALIASES,
    }
    assert create_key["Condition"]["ForAllValues:StringEquals"] == {"aws:TagKeys": ["astca:ca"]}


def test_every_other_kms_grant_names_the_ca_keys_or_aliases(template: dict[str, Any]) -> None:
    for statement in bootstrap_statements(template):
        actions = as_list(statement["Action"])
        if statement["Resource"] == "*" or not actions[0].startswith("kms:"):
            continue
        if statement["Resource"] == ACCOUNT_KEYS:
            tags = statement["Condition"]["StringEquals"]
            assert tags.get("aws:ResourceTag/astca:ca", tags.get("aws:RequestTag/astca:ca")) == CA_ALIASES
        else:
            assert actions == ["kms:CreateAlias"]
            assert [entry["Fn::Sub"].split(":${AWS::AccountId}:")[1] for entry in statement["Resource"]] == [
                "alias/${AWS::StackName}/root",
                "alias/${AWS::StackName}/issuer",
            ]


def test_the_bootstrap_reads_and_writes_only_the_ca_items(template: dict[str, Any]) -> None:
    (table,) = [
        statement
        for statement in bootstrap_statements(template)
        if statement["Action"][0].startswith("dynamodb:")
    ]

    assert table["Action"] == ["dynamodb:GetItem", "dynamodb:PutItem"]
    assert table["Resource"] == getatt("Table", "Arn")
    assert table["Condition"] == {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["CA"]}}
