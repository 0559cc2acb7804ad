"""The single-table helpers against moto: conditions, transactions, pages, and DbError for the rest."""

from __future__ import annotations

import pytest

from astca.domain.errors import Failed
from astca.storage.dynamo import ConditionFailed, Table, TransactionCancelled
from astca.storage.filters import FieldType, FilterField, FilterSpec, parse_filter


def test_put_then_get_round_trips_plain_values(table: Table) -> None:
    table.put({"PK": "TENANT#a", "SK": "X#1", "count": 3, "ratio": 0.5, "tags": ["x"], "gone": None})
    assert table.get("TENANT#a", "X#1") == {
        "PK": "TENANT#a",
        "SK": "X#1",
        "count": 3,
        "ratio": 0.5,
        "tags": ["x"],
    }
    assert table.get("TENANT#a", "X#2") is None


def test_a_failed_condition_is_condition_failed(table: Table) -> None:
    table.put({"PK": "TENANT#a", "SK": "X#1"}, condition="attribute_not_exists(PK)")
    with pytest.raises(ConditionFailed):
        table.put({"PK": "TENANT#a", "SK": "X#1"}, condition="attribute_not_exists(PK)")


def test_update_returns_the_old_image_and_a_failed_condition_shows_the_item(table: Table) -> None:
    table.put({"PK": "TENANT#a", "SK": "C#1", "state": "ISSUED"})
    old = table.update(
        "TENANT#a",
        "C#1",
        update="SET #s = :new",
        condition="#s = :old",
        names={"#s": "state"},
        values={":new": "DELIVERED", ":old": "ISSUED"},
        return_old=True,
    )
    assert old["state"] == "ISSUED"
    with pytest.raises(ConditionFailed) as raised:
        table.update(
            "TENANT#a",
            "C#1",
            update="SET #s = :new",
            condition="#s = :old",
            names={"#s": "state"},
            values={":new": "DELIVERED", ":old": "ISSUED"},
        )
    assert raised.value.item is not None
    assert raised.value.item["state"] == "DELIVERED"


def test_a_transaction_is_all_or_nothing_and_names_the_failing_item(table: Table) -> None:
    table.put({"PK": "TENANT#a", "SK": "GUARD"})
    with pytest.raises(TransactionCancelled) as raised:
        table.transact(
            [
                table.put_op({"PK": "TENANT#a", "SK": "NEW"}),
                table.put_op({"PK": "TENANT#a", "SK": "GUARD"}, condition="attribute_not_exists(PK)"),
            ]
        )
    assert raised.value.failed_at(1)
    assert not raised.value.failed_at(0)
    assert table.get("TENANT#a", "NEW") is None


def test_query_pages_in_key_order_and_filters(table: Table) -> None:
    for index in range(5):
        table.put({"PK": "TENANT#a", "SK": f"S#{index}", "state": "ISSUED" if index % 2 else "PENDING"})
    table.put({"PK": "TENANT#b", "SK": "S#9", "state": "ISSUED"})
    first, next_key = table.query(pk="TENANT#a", sk_prefix="S#", limit=2)
    assert [item["SK"] for item in first] == ["S#0", "S#1"]
    rest, _ = table.query(pk="TENANT#a", sk_prefix="S#", start_key=next_key)
    assert [item["SK"] for item in rest] == ["S#2", "S#3", "S#4"]
    spec = FilterSpec(FilterField("state", FieldType.ENUM, values=("PENDING", "ISSUED")))
    where = parse_filter("state eq 'ISSUED'", spec)
    assert where is not None
    issued, _ = table.query(pk="TENANT#a", sk_prefix="S#", where=where.to_dynamodb())
    assert [item["SK"] for item in issued] == ["S#1", "S#3"]


def test_any_other_client_failure_is_a_typed_failure_of_dynamodb(table: Table) -> None:
    with pytest.raises(Failed) as raised:
        Table("no-such-table").get("TENANT#a", "X")
    assert raised.value.service == "dynamodb"
    assert "GetItem" in raised.value.detail
    assert "ResourceNotFoundException" in raised.value.detail
