"""DynamoDB (moto) and the tests' evaluator (``filter_evaluation.matches``) keep the same items for every filter.

Items hold each field with its own type or not at all: moto raises, where DynamoDB answers false, on an
order comparison between types, and takes BOOL true for the number 1, so mistyped attributes are
covered against the documented semantics in test_filters instead.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any, NamedTuple

import boto3
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from astca.ids import new_ulid
from astca.storage.dynamo import deserialize, serialize
from astca.storage.filters import MAX_DEPTH, parse_filter
from tests.unit.storage.filter_evaluation import matches
from tests.unit.storage.filter_strategies import SPEC, Tree, depth, items, render, trees

REGION = "eu-central-1"
_partitions = itertools.count()


class MotoTable(NamedTuple):
    """A DynamoDB client on moto and the name of a table keyed by PK and SK."""

    client: Any
    name: str


@pytest.fixture
def table() -> Iterator[MotoTable]:
    """A fresh moto table, shared by a test's examples (each writes a partition of its own)."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        name = f"astca-filters-{new_ulid()}"
        client.create_table(
            TableName=name,
            KeySchema=[
                {"AttributeName": "PK", "KeyType": "HASH"},
                {"AttributeName": "SK", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "PK", "AttributeType": "S"},
                {"AttributeName": "SK", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield MotoTable(client, name)


# The table outlives the examples on purpose, so the function-scoped fixture is what we want.
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tree=trees, stored=st.lists(items(mistyped=False), min_size=1, max_size=8))
def test_dynamodb_keeps_exactly_the_items_that_match(
    table: MotoTable, tree: Tree, stored: list[dict[str, Any]]
) -> None:
    assume(depth(tree) <= MAX_DEPTH)
    parsed = parse_filter(render(tree, canonical=False), SPEC)
    assert parsed is not None
    pk = f"TENANT#t{next(_partitions)}"
    for index, item in enumerate(stored):
        table.client.put_item(
            TableName=table.name, Item=serialize({"PK": pk, "SK": f"ITEM#{index:02}", **item})
        )
    expression, names, values = parsed.to_dynamodb()

    response = table.client.query(
        TableName=table.name,
        KeyConditionExpression="PK = :pk",
        FilterExpression=expression,
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=serialize({":pk": pk, **values}),
    )

    kept = [deserialize(item)["SK"] for item in response["Items"]]
    assert kept == [f"ITEM#{index:02}" for index, item in enumerate(stored) if matches(parsed, item)]
