"""The catalog is the seed, row for row, and its JSON form is what `python -m astca.catalog` prints."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from astca import catalog

# A verbatim copy of the agreed seed, committed so that a clone with nothing beside it tests the same.
SEED = Path(__file__).resolve().parents[1] / "data" / "ast-ca-error-codes.txt"
ROW = re.compile(r"^510(?P<code>\d+?)(?P<status>\d{3})(?P<name>[A-Z][A-Za-z]*?)(?P<details>[A-Z][a-z]* .*)$")


def seed_rows() -> list[tuple[int, int, str, str]]:
    """The catalog rows of the seed file: error code, HTTP status, name, details."""
    rows = []
    for line in SEED.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line.strip())
        if match:
            rows.append((int(match["code"]), int(match["status"]), match["name"], match["details"]))
    return rows


def test_catalog_matches_the_seed_row_for_row() -> None:
    expected = seed_rows()
    assert len(expected) == 55
    actual = [(e.error_code, e.http_status, e.name, e.description) for e in catalog.ENTRIES]
    assert actual == expected


def test_codes_and_names_are_unique() -> None:
    assert len({e.error_code for e in catalog.ENTRIES}) == len(catalog.ENTRIES)
    assert len({e.name for e in catalog.ENTRIES}) == len(catalog.ENTRIES)


@pytest.mark.parametrize(
    ("entry", "code"),
    [
        (catalog.MISSING_FIELD, 510004001),
        (catalog.INVALID_CSR_SIGNATURE, 510000010),
        (catalog.GENERAL_ERROR, 510001000),
    ],
)
def test_sdk_code_is_subsystem_times_a_million_plus_error_code(entry: catalog.ErrorEntry, code: int) -> None:
    assert entry.code == code


def catalog_json(*args: str) -> list[dict[str, object]]:
    layer = Path(catalog.__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-m", "astca.catalog", *args],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(layer)},
    ).stdout
    rows: list[dict[str, object]] = json.loads(out)
    return rows


def test_module_prints_the_catalog_as_json() -> None:
    rows = catalog_json()
    assert [tuple(row) for row in rows] == [
        ("subsystem", "errorCode", "httpStatus", "name", "description")
    ] * 55
    assert [(r["errorCode"], r["httpStatus"], r["name"], r["description"]) for r in rows] == seed_rows()
    assert {r["subsystem"] for r in rows} == {510}


def test_extensions_are_printed_only_when_asked_for_after_the_seed() -> None:
    rows = catalog_json("--extensions")
    assert rows[:55] == catalog_json()
    assert [(r["errorCode"], r["extension"]) for r in rows[55:]] == [
        (e.error_code, True) for e in catalog.EXTENSIONS
    ]


def test_extensions_take_free_slots_of_the_seeds_ranges() -> None:
    seed_codes = {code for code, *_ in seed_rows()}
    for entry in catalog.EXTENSIONS:
        assert entry.extension
        assert entry.error_code not in seed_codes
        assert entry.name not in {name for _, _, name, _ in seed_rows()}
    # certificate retrieval (20-29), as the seed's 51020-51022
    assert {e.error_code for e in catalog.EXTENSIONS} <= set(range(23, 30))


def test_ca_error_defaults_its_detail_to_the_description() -> None:
    error = catalog.CaError(catalog.BAD_KEY)
    assert error.detail == catalog.BAD_KEY.description
    assert catalog.CaError(catalog.BAD_KEY, "RSA key of 1024 bits").detail == "RSA key of 1024 bits"
