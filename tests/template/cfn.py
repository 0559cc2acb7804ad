"""template.yaml and samconfig.toml as data, for the template tests.

``local.template.TemplateLoader`` reads CloudFormation's short tags (``!Ref X``, ``!GetAtt X.Y``, ``!Sub ...``) as their
long form (``{"Ref": "X"}``, ``{"Fn::GetAtt": ["X", "Y"]}``, ``{"Fn::Sub": ...}``), which is also the
form the SAM translator produces, so one set of helpers reads both the template and its transform.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from local.template import TemplateLoader

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = ROOT / "template.yaml"
SAMCONFIG_PATH = ROOT / "samconfig.toml"

FUNCTION = "AWS::Serverless::Function"
QUEUE = "AWS::SQS::Queue"
ALARM = "AWS::CloudWatch::Alarm"
LOG_GROUP = "AWS::Logs::LogGroup"
TABLE = "AWS::DynamoDB::Table"

Resource = dict[str, Any]


@cache
def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The template at ``path`` as data (cached: treat it as read-only)."""
    with path.open(encoding="utf-8") as stream:
        loaded = yaml.load(stream, Loader=TemplateLoader)  # noqa: S506 - a SafeLoader subclass
    if not isinstance(loaded, dict):
        raise TypeError(f"{path} does not hold a mapping")
    return loaded


@cache
def load_samconfig(path: Path = SAMCONFIG_PATH) -> dict[str, Any]:
    """samconfig.toml as data."""
    with path.open("rb") as stream:
        return tomllib.load(stream)


def resources(template: Mapping[str, Any], resource_type: str) -> dict[str, Resource]:
    """The template's resources of ``resource_type``, by logical id."""
    return {
        logical_id: resource
        for logical_id, resource in template.get("Resources", {}).items()
        if resource.get("Type") == resource_type
    }


def properties(resource: Mapping[str, Any]) -> dict[str, Any]:
    """A resource's Properties (empty when it has none)."""
    found: dict[str, Any] = resource.get("Properties") or {}
    return found


def target(value: Any) -> str | None:
    """The logical id that ``{"Ref": X}`` or ``{"Fn::GetAtt": [X, attribute]}`` points at, else None."""
    if isinstance(value, Mapping) and len(value) == 1:
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            return str(value["Fn::GetAtt"][0])
    return None


def getatt(logical_id: str, attribute: str) -> dict[str, list[str]]:
    """The long form of ``!GetAtt logical_id.attribute``."""
    return {"Fn::GetAtt": [logical_id, attribute]}


def ref(name: str) -> dict[str, str]:
    """The long form of ``!Ref name``."""
    return {"Ref": name}


def is_intrinsic(value: Mapping[str, Any]) -> bool:
    """Whether ``value`` is an intrinsic function (``{"Ref": ...}``, ``{"Fn::Sub": ...}``, ...)."""
    return len(value) == 1 and all(key in ("Ref", "Condition") or key.startswith("Fn::") for key in value)


def merge_globals(global_value: Any, local_value: Any) -> Any:
    """SAM's Globals rule: maps merge (the resource's keys win), lists concatenate, scalars are replaced."""
    if isinstance(global_value, dict) and isinstance(local_value, dict):
        if is_intrinsic(global_value) or is_intrinsic(local_value):
            return local_value
        merged = dict(global_value)
        for key, value in local_value.items():
            merged[key] = merge_globals(merged[key], value) if key in merged else value
        return merged
    if isinstance(global_value, list) and isinstance(local_value, list):
        return global_value + local_value
    return local_value


def function_properties(template: Mapping[str, Any], logical_id: str) -> dict[str, Any]:
    """A function's Properties with Globals.Function merged in, as SAM merges them."""
    globals_: dict[str, Any] = template.get("Globals", {}).get("Function", {})
    merged: dict[str, Any] = merge_globals(globals_, properties(template["Resources"][logical_id]))
    return merged


def walk(value: Any) -> Iterator[dict[str, Any]]:
    """Every mapping inside ``value``, depth first, ``value`` itself included."""
    if isinstance(value, dict):
        yield value
        for entry in value.values():
            yield from walk(entry)
    elif isinstance(value, list):
        for entry in value:
            yield from walk(entry)


def as_list(value: Any) -> list[Any]:
    """``value`` when it is a list, else a list of it (IAM's Action and Resource take either)."""
    return value if isinstance(value, list) else [value]
