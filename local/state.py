"""``ASTCA_STATE_DIR``: the local stack's tables and KMS keys kept between restarts, so a root CA and signers survive.

A development convenience only. moto keeps nothing on disk, so the stack saves its state into the
directory (on stop, and every ``interval`` seconds while it runs, so a crash loses little) and
restores it at the next start, after provisioning the template's resources and before the custom
resources run: the bootstrap then finds its CA hierarchy and writes nothing.

- ``tables.json``: every item of every table the template provisions, as DynamoDB's typed JSON
  (binary values in base64). Restored items make no stream records: the relay does not publish
  the outbox of a previous run again.
- ``kms-keys.json``: every KMS key moto holds, read from moto's in-process backend (the stack's moto
  server runs in the stack's process): id, ARN, spec, usage, state, description, tags, aliases and
  the key material, private keys as unencrypted PEM. It is written with mode 0600, in a 0700
  directory, because it holds private keys in the clear: never point it at keys that matter. A key
  the template declares (the session keys) comes back with its id, its alias and its material, in
  place of the fresh one provisioning made, unless the template changed its spec or usage.

Not kept: queue messages (what was in flight at stop is lost), the cursor secret (a new one each
start, so pagination cursors from before a restart are refused), and the development IdP's keys.
Items are saved before keys, so a key that a saved item names is always saved too.
"""

from __future__ import annotations

import base64
import json
import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local.components import PollingThread
from local.intrinsics import Physical

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from local.resources import LocalResources

logger = logging.getLogger(__name__)

TABLES_FILE = "tables.json"
KEYS_FILE = "kms-keys.json"
SAVE_SECONDS = 30.0
BATCH_WRITE_ITEMS = 25


def encode_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    """A DynamoDB attribute value (as boto3's client gives it) as JSON data: binary values in base64."""
    kind, content = next(iter(value.items()))
    if kind == "B":
        return {kind: base64.b64encode(content).decode()}
    if kind == "BS":
        return {kind: [base64.b64encode(entry).decode() for entry in content]}
    if kind == "M":
        return {kind: {name: encode_attribute(entry) for name, entry in content.items()}}
    if kind == "L":
        return {kind: [encode_attribute(entry) for entry in content]}
    return {kind: content}


def decode_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    """``encode_attribute`` undone."""
    kind, content = next(iter(value.items()))
    if kind == "B":
        return {kind: base64.b64decode(content)}
    if kind == "BS":
        return {kind: [base64.b64decode(entry) for entry in content]}
    if kind == "M":
        return {kind: {name: decode_attribute(entry) for name, entry in content.items()}}
    if kind == "L":
        return {kind: [decode_attribute(entry) for entry in content]}
    return {kind: content}


def write_private(path: Path, document: Any) -> None:
    """Write ``document`` as JSON to ``path`` atomically, readable by the owner only (0600)."""
    temporary = path.with_name(f".{path.name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        json.dump(document, stream, indent=1)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


class StateDir(PollingThread):
    """One stack's state in a directory: ``restore`` at start; saved every ``interval`` seconds and on stop."""

    name = "state"

    def __init__(self, directory: Path, *, dynamodb: DynamoDBClient, interval: float = SAVE_SECONDS) -> None:
        super().__init__()
        self.directory = directory
        self.dynamodb = dynamodb
        self.idle_seconds = interval
        self.resources: LocalResources | None = None

    def restore(self, resources: LocalResources) -> LocalResources:
        """Put the saved keys and items into the freshly provisioned ``resources``; the resources to go on with."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        keys_file, tables_file = self.directory / KEYS_FILE, self.directory / TABLES_FILE
        if keys_file.exists():
            resources = resources.with_physical(_restore_keys(json.loads(keys_file.read_text()), resources))
        if tables_file.exists():
            self._restore_items(json.loads(tables_file.read_text()), resources)
        self.resources = resources
        return resources

    def save(self) -> None:
        """Write the tables' items, then every KMS key."""
        if self.resources is None:
            return
        resources = self.resources
        tables = {name: list(self._items(name)) for name in resources.tables.values()}
        write_private(self.directory / TABLES_FILE, tables)
        write_private(self.directory / KEYS_FILE, _saved_keys(resources))

    def poll_once(self) -> bool:
        """Save (the periodic save); never busy."""
        self.save()
        return False

    def stop(self) -> None:
        """Stop saving periodically, then save once more (the stack stops this after its functions)."""
        super().stop()
        self.save()
        logger.info("state saved in %s", self.directory)

    def _items(self, table: str) -> Iterator[dict[str, Any]]:
        for page in self.dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
            for item in page.get("Items", []):
                yield {name: encode_attribute(value) for name, value in item.items()}

    def _restore_items(self, tables: Mapping[str, list[dict[str, Any]]], resources: LocalResources) -> None:
        provisioned = set(resources.tables.values())
        for table, items in tables.items():
            if table not in provisioned:
                logger.warning("%s is no longer in the template; its saved items are left out", table)
                continue
            with _no_stream_records(resources, table):
                for start in range(0, len(items), BATCH_WRITE_ITEMS):
                    requests: Any = [
                        {
                            "PutRequest": {
                                "Item": {name: decode_attribute(value) for name, value in item.items()}
                            }
                        }
                        for item in items[start : start + BATCH_WRITE_ITEMS]
                    ]
                    self.dynamodb.batch_write_item(RequestItems={table: requests})
            logger.info("restored %d item(s) of %s", len(items), table)


@contextmanager
def _no_stream_records(resources: LocalResources, table: str) -> Iterator[None]:
    """Writes to ``table`` make no stream records meanwhile (restored items were streamed in their own run)."""
    from moto.dynamodb.models import dynamodb_backends

    model = dynamodb_backends[resources.account_id][resources.region].get_table(table)
    shard, model.stream_shard = model.stream_shard, None
    try:
        yield
    finally:
        model.stream_shard = shard


def _kms_backend(resources: LocalResources) -> Any:
    from moto.kms.models import kms_backends

    return kms_backends[resources.account_id][resources.region]


def _is_asymmetric(key_spec: str) -> bool:
    return key_spec.startswith(("RSA_", "ECC_", "SM2"))


def _saved_keys(resources: LocalResources) -> list[dict[str, Any]]:
    from cryptography.hazmat.primitives import serialization

    backend = _kms_backend(resources)
    logical_ids = {key_id: logical_id for logical_id, key_id in resources.keys.items()}
    saved = []
    for key in list(backend.keys.values()):
        entry: dict[str, Any] = {
            "keyId": key.id,
            "arn": key.arn,
            "logicalId": logical_ids.get(key.id),
            "keySpec": key.key_spec,
            "keyUsage": key.key_usage,
            "keyState": key.key_state,
            "enabled": key.enabled,
            "description": key.description,
            "origin": key.origin,
            "policy": key.policy,
            "creationDate": key.creation_date,
            "deletionDate": key.deletion_date.isoformat() if key.deletion_date else None,
            "rotation": key.key_rotation_status,
            "aliases": sorted(key.aliases),
            "tags": backend.tagger.list_tags_for_resource(key.id).get("Tags", []),
            "material": base64.b64encode(key.key_material).decode(),
        }
        if _is_asymmetric(str(key.key_spec)):
            entry["privateKey"] = key.private_key.private_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ).decode()
        saved.append(entry)
    return saved


def _restore_keys(saved: list[dict[str, Any]], resources: LocalResources) -> dict[str, Physical]:
    """Recreate the saved keys (same ids, ARNs, material, aliases); the template keys they replace."""
    from datetime import datetime

    from cryptography.hazmat.primitives import serialization

    backend = _kms_backend(resources)
    replaced: dict[str, Physical] = {}
    fresh_keys: list[str] = []
    restored: list[dict[str, Any]] = []
    for entry in saved:
        if entry["keyId"] in backend.keys:
            continue
        logical_id = str(entry.get("logicalId") or "")
        if logical_id in resources.keys:
            fresh = backend.keys[resources.keys[logical_id]]
            if (fresh.key_spec, fresh.key_usage) != (entry["keySpec"], entry["keyUsage"]):
                logger.warning(
                    "%s changed its key spec or usage: a new key replaces the saved one", logical_id
                )
                continue
            fresh_keys.append(fresh.id)
            replaced[logical_id] = Physical(
                ref=entry["keyId"], attributes={"Arn": entry["arn"], "KeyId": entry["keyId"]}
            )
        key = backend.create_key(
            entry["policy"], entry["keyUsage"], entry["keySpec"], entry["description"], None
        )
        del backend.keys[key.id]
        key.id, key.arn = entry["keyId"], entry["arn"]
        key.key_state, key.enabled, key.origin = entry["keyState"], entry["enabled"], entry["origin"]
        key.creation_date, key.key_rotation_status = entry["creationDate"], entry["rotation"]
        key.deletion_date = datetime.fromisoformat(entry["deletionDate"]) if entry["deletionDate"] else None
        key.key_material = base64.b64decode(entry["material"])
        if "privateKey" in entry:
            key.private_key.private_key = serialization.load_pem_private_key(
                entry["privateKey"].encode(), password=None
            )
        backend.keys[key.id] = key
        if entry["tags"]:
            backend.tagger.tag_resource(key.id, entry["tags"])
        restored.append(entry)
    for entry in restored:
        for alias in entry["aliases"]:
            backend.delete_alias(alias)  # provisioning may have pointed it at a fresh key
            backend.create_alias(entry["keyId"], alias)
    for key_id in fresh_keys:
        if not backend.keys[key_id].aliases:
            backend.delete_key(key_id)
    logger.info("restored %d KMS key(s)", len(restored))
    return replaced
