"""local.state keeps a stack's tables and KMS keys in a directory and puts them back into a fresh moto."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from moto.core.base_backend import BackendDict

from local.resources import LocalResources, Provisioner
from local.state import KEYS_FILE, TABLES_FILE, StateDir, decode_attribute, encode_attribute
from local.template import Template

ITEM: dict[str, Any] = {
    "PK": {"S": "CA"},
    "SK": {"S": "ROOT"},
    "der": {"B": b"\x00\x01binary\xff"},
    "nested": {"M": {"bytes": {"BS": [b"a", b"\x00"]}, "list": {"L": [{"N": "1"}, {"B": b"\x02"}]}}},
    "name": {"S": "root"},
}


def test_typed_json_keeps_binary_values() -> None:
    encoded = {name: encode_attribute(value) for name, value in ITEM.items()}

    assert encoded["der"] == {"B": "AAFiaW5hcnn/"}
    assert {name: decode_attribute(value) for name, value in encoded.items()} == ITEM


def signer_key(kms: Any) -> tuple[str, str, bytes]:
    """A signing key behind an alias, as the bootstrap and the signer worker make them: id, ARN, public key."""
    metadata = kms.create_key(
        KeySpec="ECC_NIST_P256",
        KeyUsage="SIGN_VERIFY",
        Tags=[{"TagKey": "astca:ca", "TagValue": "alias/astca/root"}],
    )["KeyMetadata"]
    kms.create_alias(AliasName="alias/astca/root", TargetKeyId=metadata["KeyId"])
    return metadata["KeyId"], metadata["Arn"], kms.get_public_key(KeyId=metadata["KeyId"])["PublicKey"]


def restart(state_dir: Path, resources: LocalResources) -> LocalResources:
    """A fresh moto, provisioned again, with the saved state restored."""
    BackendDict.reset()
    fresh = Provisioner().provision(Template.load(), parameters=resources.parameters)
    return StateDir(state_dir, dynamodb=boto3.client("dynamodb")).restore(fresh)


def test_items_and_keys_survive_a_restart(aws: LocalResources, tmp_path: Path) -> None:
    kms, dynamodb = boto3.client("kms"), boto3.client("dynamodb")
    key_id, key_arn, public_der = signer_key(kms)
    disabled = kms.create_key(KeySpec="SYMMETRIC_DEFAULT")["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=disabled)
    dynamodb.put_item(TableName=aws.tables["Table"], Item=ITEM)
    transport_key = aws.keys["SessionTransportKey"]
    state = StateDir(tmp_path / "state", dynamodb=dynamodb)
    state.restore(aws)  # nothing saved yet: the resources as they are
    state.save()

    restored = restart(tmp_path / "state", aws)

    kms = boto3.client("kms")
    assert (
        boto3.client("dynamodb").get_item(
            TableName=aws.tables["Table"], Key={"PK": ITEM["PK"], "SK": ITEM["SK"]}
        )["Item"]
        == ITEM
    )
    metadata = kms.describe_key(KeyId="alias/astca/root")["KeyMetadata"]
    assert (metadata["KeyId"], metadata["Arn"], metadata["KeySpec"]) == (key_id, key_arn, "ECC_NIST_P256")
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [
        {"TagKey": "astca:ca", "TagValue": "alias/astca/root"}
    ]
    assert kms.describe_key(KeyId=disabled)["KeyMetadata"]["KeyState"] == "Disabled"
    signature = kms.sign(
        KeyId="alias/astca/root", Message=b"after the restart", SigningAlgorithm="ECDSA_SHA_256"
    )["Signature"]
    public_key = serialization.load_der_public_key(public_der)
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(signature, b"after the restart", ec.ECDSA(hashes.SHA256()))  # the same private key
    # the template's own keys come back in place of the ones provisioning just made
    assert restored.keys["SessionTransportKey"] == transport_key
    assert kms.describe_key(KeyId="alias/astca/session-transport")["KeyMetadata"]["KeyId"] == transport_key
    assert sorted(key["KeyId"] for key in kms.list_keys()["Keys"]) == sorted(
        [key_id, disabled, transport_key, aws.keys["SessionWrappingKey"]]
    )


def test_restored_items_make_no_stream_records(aws: LocalResources, tmp_path: Path) -> None:
    dynamodb = boto3.client("dynamodb")
    outbox = {"PK": {"S": "OUTBOX#1"}, "SK": {"S": "OUTBOX"}}
    dynamodb.put_item(TableName=aws.tables["Table"], Item=outbox)
    state = StateDir(tmp_path / "state", dynamodb=dynamodb)
    state.restore(aws)
    state.save()

    restored = restart(tmp_path / "state", aws)

    streams = boto3.client("dynamodbstreams")
    stream_arn = restored.attribute("Table", "StreamArn")
    records = []
    for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records += streams.get_records(ShardIterator=iterator)["Records"]
    assert records == []
    assert boto3.client("dynamodb").get_item(TableName=aws.tables["Table"], Key=outbox)["Item"] == outbox


def test_the_key_dump_is_readable_by_its_owner_only(aws: LocalResources, tmp_path: Path) -> None:
    signer_key(boto3.client("kms"))
    state = StateDir(tmp_path / "state", dynamodb=boto3.client("dynamodb"))
    state.restore(aws)

    state.save()

    assert stat.S_IMODE((tmp_path / "state").stat().st_mode) == 0o700
    for name in (KEYS_FILE, TABLES_FILE):
        assert stat.S_IMODE((tmp_path / "state" / name).stat().st_mode) == 0o600
    assert "BEGIN PRIVATE KEY" in (tmp_path / "state" / KEYS_FILE).read_text()


def test_a_template_key_whose_spec_changed_is_not_restored(aws: LocalResources, tmp_path: Path) -> None:
    state = StateDir(tmp_path / "state", dynamodb=boto3.client("dynamodb"))
    state.restore(aws)
    state.save()
    saved = aws.keys["SessionWrappingKey"]
    keys_file = tmp_path / "state" / KEYS_FILE
    keys_file.write_text(keys_file.read_text().replace('"SYMMETRIC_DEFAULT"', '"HMAC_256"'))

    restored = restart(tmp_path / "state", aws)

    assert restored.keys["SessionWrappingKey"] != saved
    with pytest.raises(ClientError):
        boto3.client("kms").describe_key(KeyId=saved)
