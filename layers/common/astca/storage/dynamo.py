"""Single-table helpers over the DynamoDB client: typed items, conditions, transactions, error mapping.

Repositories build on ``Table``. A failed condition surfaces as ``ConditionFailed`` (with the item
as it was, when DynamoDB returns it) and a cancelled transaction as ``TransactionCancelled`` with
one reason per item, so repositories can say what they mean for their records. Every other client
failure is a ``Transient`` or ``Failed`` outcome of "dynamodb" (``astca.aws.failure``): nothing above
this module knows botocore.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from astca import aws
from astca.domain.errors import Conflict, DomainError, Failed, Transient

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

    from astca.storage.filters import DynamoDbFilter

Item = dict[str, Any]

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


class ConditionFailed(Exception):
    """A conditional write found the item in another state; ``item`` is that state, when known."""

    def __init__(self, item: Item | None) -> None:
        super().__init__("conditional check failed")
        self.item = item


class TransactionCancelled(Exception):
    """A transaction was cancelled; ``reasons`` holds one cancellation code per item ("None" if fine)."""

    def __init__(self, reasons: Sequence[str], items: Sequence[Item | None]) -> None:
        super().__init__(f"transaction cancelled: {', '.join(reasons)}")
        self.reasons = list(reasons)
        self.items = list(items)

    def failed_at(self, index: int) -> bool:
        """Whether the condition of the item at ``index`` failed."""
        return index < len(self.reasons) and self.reasons[index] == "ConditionalCheckFailed"

    def outcome(self, subject: str) -> DomainError:
        """What a cancellation that no condition explains means: a conflict, throttling, or a failure."""
        detail = f"{subject} transaction cancelled ({', '.join(self.reasons)})"
        if "TransactionConflict" in self.reasons:
            return Conflict(subject, detail)
        if "ThrottlingError" in self.reasons or "ProvisionedThroughputExceeded" in self.reasons:
            return Transient("dynamodb", detail)
        return Failed("dynamodb", detail)


def serialize(item: Mapping[str, Any]) -> dict[str, Any]:
    """A plain item as DynamoDB attribute values (None values are left out, floats go as decimals)."""
    return {key: _serializer.serialize(_number(value)) for key, value in item.items() if value is not None}


def _number(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, list):
        return [_number(entry) for entry in value]
    if isinstance(value, dict):
        return {key: _number(entry) for key, entry in value.items()}
    return value


def deserialize(item: Mapping[str, Any]) -> Item:
    """DynamoDB attribute values as a plain item (numbers come back as int where whole)."""
    return {key: _plain(_deserializer.deserialize(value)) for key, value in item.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_plain(entry) for entry in value]
    if isinstance(value, dict):
        return {key: _plain(entry) for key, entry in value.items()}
    return value


@contextmanager
def db_errors(operation: str) -> Iterator[None]:
    """Turn client failures into ConditionFailed, TransactionCancelled, Transient or Failed."""
    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = error.get("Code", "")
        if code == "ConditionalCheckFailedException":
            old: Mapping[str, Any] | None = exc.response.get("Item")  # type: ignore[assignment]
            raise ConditionFailed(deserialize(old) if old else None) from exc
        if code == "TransactionCanceledException":
            cancellations = exc.response.get("CancellationReasons", [])
            raise TransactionCancelled(
                [reason.get("Code", "None") for reason in cancellations],
                [deserialize(reason["Item"]) if reason.get("Item") else None for reason in cancellations],
            ) from exc
        raise aws.failure("dynamodb", f"database operation {operation}", exc) from exc
    except BotoCoreError as exc:
        raise aws.failure("dynamodb", f"database operation {operation}", exc) from exc


class Table:
    """One DynamoDB table addressed by PK/SK, with conditional writes and transactions."""

    def __init__(self, name: str) -> None:
        self.name = name

    def get(self, pk: str, sk: str, *, consistent: bool = True) -> Item | None:
        """The item at (pk, sk), or None."""
        with db_errors("GetItem"):
            response = aws.dynamodb().get_item(
                TableName=self.name, Key=serialize({"PK": pk, "SK": sk}), ConsistentRead=consistent
            )
        item = response.get("Item")
        return deserialize(item) if item else None

    def put(
        self,
        item: Mapping[str, Any],
        *,
        condition: str | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> None:
        """Write an item, optionally only if ``condition`` holds (ConditionFailed with the item found otherwise)."""
        kwargs = _condition(condition, values)
        if condition:
            kwargs["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        with db_errors("PutItem"):
            aws.dynamodb().put_item(TableName=self.name, Item=serialize(item), **kwargs)

    def update(
        self,
        pk: str,
        sk: str,
        *,
        update: str,
        condition: str | None = None,
        values: Mapping[str, Any] | None = None,
        names: Mapping[str, str] | None = None,
        return_old: bool = False,
    ) -> Item:
        """Update an item in place; returns the old image (``return_old``) or the new one."""
        op = self.update_op(pk, sk, update=update, condition=condition, values=values, names=names)
        with db_errors("UpdateItem"):
            response = aws.dynamodb().update_item(
                **op["Update"], ReturnValues="ALL_OLD" if return_old else "ALL_NEW"
            )
        return deserialize(response.get("Attributes", {}))

    def query(
        self,
        *,
        pk: str,
        sk_prefix: str | None = None,
        sk: str | None = None,
        index: str | None = None,
        limit: int | None = None,
        start_key: Mapping[str, Any] | None = None,
        forward: bool = True,
        where: DynamoDbFilter | None = None,
    ) -> tuple[list[Item], Item | None]:
        """One page of items under ``pk`` (and ``sk`` or ``sk_prefix``, filtered by ``where``), and where to resume.

        DynamoDB filters after ``limit``: a page may be short, even empty, and still have a next key.
        """
        pk_name, sk_name = ("GSI1PK", "GSI1SK") if index == "GSI1" else ("PK", "SK")
        expression = f"{pk_name} = :pk"
        values: dict[str, Any] = {":pk": pk}
        if sk is not None:
            expression += f" AND {sk_name} = :sk"
            values[":sk"] = sk
        elif sk_prefix is not None:
            expression += f" AND begins_with({sk_name}, :sk)"
            values[":sk"] = sk_prefix
        if where is not None:
            values.update(where.values)
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": expression,
            "ExpressionAttributeValues": serialize(values),
            "ScanIndexForward": forward,
        }
        if where is not None:
            kwargs["FilterExpression"] = where.expression
            kwargs["ExpressionAttributeNames"] = where.names
        if index:
            kwargs["IndexName"] = index
        if limit:
            kwargs["Limit"] = limit
        if start_key:
            kwargs["ExclusiveStartKey"] = serialize(start_key)
        with db_errors("Query"):
            response = aws.dynamodb().query(**kwargs)
        last = response.get("LastEvaluatedKey")
        return [deserialize(item) for item in response.get("Items", [])], deserialize(last) if last else None

    def transact(self, items: Sequence[TransactWriteItemTypeDef]) -> None:
        """Write all items or none (TransactionCancelled names the item whose condition failed)."""
        with db_errors("TransactWriteItems"):
            aws.dynamodb().transact_write_items(TransactItems=list(items))

    def put_op(
        self,
        item: Mapping[str, Any],
        *,
        condition: str | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> TransactWriteItemTypeDef:
        """A Put for ``transact``."""
        put: dict[str, Any] = {
            "TableName": self.name,
            "Item": serialize(item),
            **_condition(condition, values),
        }
        put["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        return {"Put": put}  # type: ignore[typeddict-item]

    def update_op(
        self,
        pk: str,
        sk: str,
        *,
        update: str,
        condition: str | None = None,
        values: Mapping[str, Any] | None = None,
        names: Mapping[str, str] | None = None,
    ) -> TransactWriteItemTypeDef:
        """An Update for ``transact``."""
        op: dict[str, Any] = {
            "TableName": self.name,
            "Key": serialize({"PK": pk, "SK": sk}),
            "UpdateExpression": update,
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            **_condition(condition, values),
        }
        if names:
            op["ExpressionAttributeNames"] = dict(names)
        return {"Update": op}  # type: ignore[typeddict-item]

    def check_op(
        self, pk: str, sk: str, *, condition: str, values: Mapping[str, Any] | None = None
    ) -> TransactWriteItemTypeDef:
        """A ConditionCheck for ``transact``; its failure returns the item as it was."""
        op: dict[str, Any] = {
            "TableName": self.name,
            "Key": serialize({"PK": pk, "SK": sk}),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            **_condition(condition, values),
        }
        return {"ConditionCheck": op}  # type: ignore[typeddict-item]

    def delete_op(
        self, pk: str, sk: str, *, condition: str | None = None, values: Mapping[str, Any] | None = None
    ) -> TransactWriteItemTypeDef:
        """A Delete for ``transact``."""
        op: dict[str, Any] = {
            "TableName": self.name,
            "Key": serialize({"PK": pk, "SK": sk}),
            **_condition(condition, values),
        }
        return {"Delete": op}  # type: ignore[typeddict-item]


def _condition(condition: str | None, values: Mapping[str, Any] | None) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if condition:
        kwargs["ConditionExpression"] = condition
    if values:
        kwargs["ExpressionAttributeValues"] = serialize(values)
    return kwargs
