"""Create the template's tables, queues, secrets and KMS keys through boto3, on moto, under deterministic names.

Works the same under moto's in-process ``mock_aws`` and against a moto server (``AWS_ENDPOINT_URL``).
Everything is read from the template: a resource is provisioned after the resources it references
(so a DLQ exists before the queue whose RedrivePolicy names it), and its physical name is
``astca-<LogicalId>`` unless the template names it. Provisioning twice against the same backend
reuses a table or secret that already exists. Custom resources, when asked for, come last: their
function runs in-process on a Create event (``local.custom_resources``). Not modelled locally:
point-in-time recovery, SSE settings, key policies and tags (moto does not enforce them). moto's
KMS Sign and Decrypt are corrected in-process when a KMS key is provisioned (``local.moto_kms``), so
the moto server of ``make run`` and the tests' ``mock_aws`` sign and decrypt as KMS does.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import ClientError

from local.intrinsics import Physical, Resolver, references
from local.template import Template, TemplateError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sqs import SQSClient

NAME_PREFIX = "astca"
# The template falls back to the API's execute-api URL for CaUrl, which does not exist locally: certificates
# name make run's plain HTTP listener instead (make run sets it from ASTCA_HOST and ASTCA_PORT).
LOCAL_PARAMETERS = {"CaUrl": "http://127.0.0.1:3000"}
TABLE, QUEUE, SECRET, KEY, ALIAS = (
    "AWS::DynamoDB::Table",
    "AWS::SQS::Queue",
    "AWS::SecretsManager::Secret",
    "AWS::KMS::Key",
    "AWS::KMS::Alias",
)
QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
    "RedrivePolicy",
    "RedriveAllowPolicy",
)
# moto takes a resource's id from this tag: it keeps the secret's ARN suffix the same on every run.
MOTO_CUSTOM_ID_TAG = "_custom_id_"
INDEX_FIELDS = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput", "OnDemandThroughput")


@dataclass(frozen=True)
class LocalResources:
    """What ``provision`` created: physical values by logical id and each function's resolved environment."""

    template: Template
    region: str
    account_id: str
    physical: Mapping[str, Physical]
    environments: Mapping[str, Mapping[str, str]]
    parameters: Mapping[str, Any] = field(default_factory=dict)

    def _refs(self, resource_type: str) -> dict[str, str]:
        resources = self.template.resources
        return {
            logical_id: value.ref
            for logical_id, value in self.physical.items()
            if resources[logical_id]["Type"] == resource_type
        }

    @cached_property
    def tables(self) -> Mapping[str, str]:
        """Table name by logical id."""
        return self._refs(TABLE)

    @cached_property
    def queues(self) -> Mapping[str, str]:
        """Queue URL by logical id."""
        return self._refs(QUEUE)

    @cached_property
    def secrets(self) -> Mapping[str, str]:
        """Secret ARN by logical id."""
        return self._refs(SECRET)

    @cached_property
    def keys(self) -> Mapping[str, str]:
        """KMS key id by logical id."""
        return self._refs(KEY)

    @cached_property
    def environment(self) -> Mapping[str, str]:
        """The environment every function shares (Globals.Function.Environment), resolved."""
        shared = ((self.template.body.get("Globals") or {}).get("Function") or {}).get("Environment") or {}
        return _as_environment(self.resolver().resolve(shared.get("Variables") or {}))

    def attribute(self, logical_id: str, name: str) -> str:
        """``!GetAtt <logical_id>.<name>`` of a provisioned resource."""
        return self.physical[logical_id].attributes[name]

    def with_physical(self, updates: Mapping[str, Physical]) -> LocalResources:
        """These resources with some physical values replaced (a restored KMS key), environments resolved anew."""
        updated = replace(self, physical={**self.physical, **updates})
        return replace(updated, environments=_environments(self.template, updated.resolver()))

    def resolver(self) -> Resolver:
        """A resolver of the template's intrinsics against these resources."""
        return Resolver(
            self.template,
            self.physical,
            region=self.region,
            account_id=self.account_id,
            parameters=self.parameters,
        )


class Provisioner:
    """Creates a template's resources through one set of boto3 clients (create it once, provision often)."""

    def __init__(self, *, region: str | None = None) -> None:
        session = boto3.session.Session(region_name=region)
        self.region = session.region_name or "eu-central-1"
        self.dynamodb: DynamoDBClient = session.client("dynamodb", region_name=self.region)
        self.sqs: SQSClient = session.client("sqs", region_name=self.region)
        self.secretsmanager: SecretsManagerClient = session.client("secretsmanager", region_name=self.region)
        self.kms: KMSClient = session.client("kms", region_name=self.region)
        self._sts = session.client("sts", region_name=self.region)

    @cached_property
    def account_id(self) -> str:
        """The account moto answers as."""
        return str(self._sts.get_caller_identity()["Account"])

    def provision(
        self,
        template: Template,
        *,
        parameters: Mapping[str, Any] | None = None,
        custom_resources: bool = False,
    ) -> LocalResources:
        """Create every table, queue, secret, KMS key and alias of ``template``; resolve the functions' env.

        ``parameters`` override the template parameters' defaults, as ``--parameter-overrides`` does,
        over ``LOCAL_PARAMETERS`` (what has no local counterpart to fall back to).
        With ``custom_resources`` each custom resource then runs its function on a Create event
        (``local.custom_resources``), as CloudFormation would: ``make run`` asks for them; tests, which
        provision for every test, ask only where they need them (the ``ca`` fixture).
        """
        creators: dict[str, Callable[[str, Mapping[str, Any]], Physical]] = {
            TABLE: self._table,
            QUEUE: self._queue,
            SECRET: self._secret,
            KEY: self._key,
            ALIAS: self._alias,
        }
        wanted = template.resources_of_type(*creators)
        physical: dict[str, Physical] = {}
        resolver = Resolver(
            template,
            physical,
            region=self.region,
            account_id=self.account_id,
            parameters=(parameters := {**LOCAL_PARAMETERS, **(parameters or {})}),
        )
        for logical_id in _dependency_order(wanted):
            properties = resolver.resolve(wanted[logical_id])
            physical[logical_id] = creators[template.resources[logical_id]["Type"]](logical_id, properties)
        environments = _environments(template, resolver)
        resources = LocalResources(
            template=template,
            region=self.region,
            account_id=self.account_id,
            physical=physical,
            environments=environments,
            parameters=dict(parameters or {}),
        )
        if not custom_resources:
            return resources
        from local.custom_resources import provision_custom_resources  # it builds on this module

        return provision_custom_resources(resources)

    def _table(self, logical_id: str, props: Mapping[str, Any]) -> Physical:
        from local.moto_dynamodb import serialize_dynamodb  # moto only where tables are provisioned
        from local.moto_speed import speed_up_moto

        serialize_dynamodb()  # a cancelled transaction must not undo concurrent writes (local.moto_dynamodb)
        speed_up_moto()  # the same answers for less CPU (local.moto_speed)
        name = str(props.get("TableName") or f"{NAME_PREFIX}-{logical_id}")
        request: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PROVISIONED"),
        }
        if request["BillingMode"] == "PROVISIONED":
            request["ProvisionedThroughput"] = props["ProvisionedThroughput"]
        for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if props.get(key):
                request[key] = [{k: v for k, v in index.items() if k in INDEX_FIELDS} for index in props[key]]
        stream = props.get("StreamSpecification")
        if stream:
            request["StreamSpecification"] = {
                "StreamEnabled": True,
                "StreamViewType": stream["StreamViewType"],
            }
        try:
            table = self.dynamodb.create_table(**request)["TableDescription"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceInUseException":
                raise
            return self._existing_table(name)
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            self.dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
            )
        return _table_physical(name, table)

    def _existing_table(self, name: str) -> Physical:
        return _table_physical(name, self.dynamodb.describe_table(TableName=name)["Table"])

    def _queue(self, logical_id: str, props: Mapping[str, Any]) -> Physical:
        from local.moto_sqs import correct_sqs  # moto only where queues are provisioned

        correct_sqs()  # a send must not scan the queue (local.moto_sqs)
        fifo = _flag(props.get("FifoQueue", False)) == "true"
        name = str(props.get("QueueName") or f"{NAME_PREFIX}-{logical_id}" + (".fifo" if fifo else ""))
        attributes = {key: _attribute(props[key]) for key in QUEUE_ATTRIBUTES if key in props}
        url = self.sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]  # type: ignore[arg-type]
        account = url.rstrip("/").split("/")[-2]
        arn = f"arn:aws:sqs:{self.region}:{account}:{name}"
        return Physical(ref=url, attributes={"Arn": arn, "QueueName": name, "QueueUrl": url})

    def _secret(self, logical_id: str, props: Mapping[str, Any]) -> Physical:
        name = str(props.get("Name") or f"{NAME_PREFIX}-{logical_id}")
        value = props.get("SecretString")
        if value is None:
            value = generate_secret_string(props.get("GenerateSecretString") or {})
        try:
            arn = self.secretsmanager.create_secret(
                Name=name,
                SecretString=str(value),
                Description=str(props.get("Description", "")),
                Tags=[{"Key": MOTO_CUSTOM_ID_TAG, "Value": _arn_suffix(name)}],
            )["ARN"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceExistsException":
                raise
            arn = self.secretsmanager.describe_secret(SecretId=name)["ARN"]
        return Physical(ref=arn, attributes={"Id": arn})

    def _key(self, _logical_id: str, props: Mapping[str, Any]) -> Physical:
        from local.moto_kms import correct_kms  # moto only where keys are provisioned

        correct_kms()  # moto signs and decrypts as KMS does (DIGEST, RSA-OAEP, disabled keys)
        metadata = self.kms.create_key(
            KeySpec=props.get("KeySpec", "SYMMETRIC_DEFAULT"),
            KeyUsage=props.get("KeyUsage", "ENCRYPT_DECRYPT"),
            Description=str(props.get("Description", "")),
        )["KeyMetadata"]
        if props.get("Enabled") is False:
            self.kms.disable_key(KeyId=metadata["KeyId"])
        return Physical(
            ref=metadata["KeyId"], attributes={"Arn": metadata["Arn"], "KeyId": metadata["KeyId"]}
        )

    def _alias(self, _logical_id: str, props: Mapping[str, Any]) -> Physical:
        try:
            self.kms.create_alias(AliasName=props["AliasName"], TargetKeyId=props["TargetKeyId"])
        except ClientError as exc:  # provisioned before: the alias now names this provisioning's key
            if exc.response["Error"]["Code"] != "AlreadyExistsException":
                raise
            self.kms.update_alias(AliasName=props["AliasName"], TargetKeyId=props["TargetKeyId"])
        return Physical(ref=props["AliasName"])


def provision(template: Template, *, region: str | None = None) -> LocalResources:
    """Create ``template``'s resources with fresh clients (tests keep one ``Provisioner`` instead)."""
    return Provisioner(region=region).provision(template)


def generate_secret_string(spec: Mapping[str, Any]) -> str:
    """A random value as Secrets Manager's GenerateSecretString would make it (length, exclusions, template)."""
    alphabet = ""
    for characters, excluded in (
        (string.ascii_uppercase, "ExcludeUppercase"),
        (string.ascii_lowercase, "ExcludeLowercase"),
        (string.digits, "ExcludeNumbers"),
        (string.punctuation, "ExcludePunctuation"),
    ):
        if not spec.get(excluded):
            alphabet += characters
    if spec.get("IncludeSpace"):
        alphabet += " "
    alphabet = "".join(char for char in alphabet if char not in str(spec.get("ExcludeCharacters", "")))
    if not alphabet:
        raise TemplateError("GenerateSecretString excludes every character")
    value = "".join(secrets.choice(alphabet) for _ in range(int(spec.get("PasswordLength", 32))))
    if "SecretStringTemplate" in spec and "GenerateStringKey" in spec:
        document = json.loads(spec["SecretStringTemplate"])
        document[spec["GenerateStringKey"]] = value
        return json.dumps(document)
    return value


def _dependency_order(resources: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Logical ids ordered so that each comes after the resources it references (template order otherwise)."""
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(logical_id: str) -> None:
        if logical_id in ordered:
            return
        if logical_id in visiting:
            raise TemplateError(f"circular reference through {logical_id}")
        visiting.add(logical_id)
        for dependency in sorted(references(resources[logical_id]) & resources.keys()):
            visit(dependency)
        visiting.discard(logical_id)
        ordered.append(logical_id)

    for logical_id in resources:
        visit(logical_id)
    return ordered


def _arn_suffix(name: str) -> str:
    """Six letters derived from ``name``, standing in for the random suffix of a secret's ARN."""
    digest = hashlib.sha256(name.encode()).digest()
    return "".join(string.ascii_letters[byte % 52] for byte in digest[:6])


def _table_physical(name: str, table: Mapping[str, Any]) -> Physical:
    attributes = {"Arn": str(table["TableArn"])}
    if table.get("LatestStreamArn"):
        attributes["StreamArn"] = str(table["LatestStreamArn"])
    return Physical(ref=name, attributes=attributes)


def _flag(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _attribute(value: Any) -> str:
    if isinstance(value, Mapping | list):
        return json.dumps(value)
    return _flag(value)


def _environments(template: Template, resolver: Resolver) -> dict[str, dict[str, str]]:
    return {
        logical_id: _as_environment(resolver.resolve(function.environment))
        for logical_id, function in template.functions.items()
    }


def _as_environment(variables: Mapping[str, Any]) -> dict[str, str]:
    return {str(key): _flag(value) for key, value in variables.items()}
