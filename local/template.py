"""template.yaml as data: CloudFormation short tags, resources by type, and each function's routes and events.

Only the parts of SAM that the local stack needs are modelled: a function's code location, handler,
timeout, memory and environment (Globals.Function merged in, as SAM merges them), its HttpApi routes,
and its SQS and DynamoDB event sources. Values stay unresolved here; ``local.intrinsics`` resolves
them against the physical names that ``local.resources`` provisioned.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = ROOT / "template.yaml"
FUNCTION_TYPE = "AWS::Serverless::Function"

# Every CloudFormation short tag; !Ref and !Condition keep their name, the others become Fn::<Tag>.
SHORT_TAGS = (
    "Ref",
    "Condition",
    "GetAtt",
    "Sub",
    "If",
    "Not",
    "Equals",
    "And",
    "Or",
    "Join",
    "Select",
    "Split",
    "FindInMap",
    "Base64",
    "GetAZs",
    "ImportValue",
    "Cidr",
    "Length",
    "ToJsonString",
    "Transform",
)


class TemplateError(ValueError):
    """The template holds something the local runtime cannot model."""


class TemplateLoader(yaml.SafeLoader):
    """A SafeLoader that reads CloudFormation short tags (!Ref, !GetAtt, !Sub ...) as their long form."""


def _short_tag(tag: str) -> Callable[[yaml.SafeLoader, yaml.Node], dict[str, Any]]:
    key = tag if tag in ("Ref", "Condition") else f"Fn::{tag}"

    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        value: Any
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if tag == "GetAtt":
                value = str(value).split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {key: value}

    return construct


for _tag in SHORT_TAGS:
    TemplateLoader.add_constructor(f"!{_tag}", _short_tag(_tag))


def referenced_resource(value: Any) -> str:
    """The logical id that a ``!Ref X`` or ``!GetAtt X.Attr`` points at."""
    if isinstance(value, Mapping) and len(value) == 1:
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            return str(value["Fn::GetAtt"][0])
    raise TemplateError(f"expected !Ref or !GetAtt of a resource in the template, got {value!r}")


@dataclass(frozen=True)
class HttpRoute:
    """One HttpApi event of a function: the method and path template API Gateway routes to it."""

    function: str
    method: str
    path: str

    @property
    def route_key(self) -> str:
        """The route key as API Gateway writes it: "GET /v1/health", or "$default"."""
        return "$default" if self.path == "$default" else f"{self.method} {self.path}"


@dataclass(frozen=True)
class SqsEventSource:
    """An SQS event source mapping: which queue feeds the function, and how."""

    function: str
    name: str
    queue: str
    batch_size: int
    maximum_batching_window: int
    function_response_types: tuple[str, ...]
    filters: tuple[Mapping[str, Any], ...]
    maximum_concurrency: int | None = None  # ScalingConfig.MaximumConcurrency

    @property
    def reports_item_failures(self) -> bool:
        """Whether the function answers with ``batchItemFailures``."""
        return "ReportBatchItemFailures" in self.function_response_types


@dataclass(frozen=True)
class StreamEventSource:
    """A DynamoDB stream event source mapping, with its retry, bisection and on-failure settings."""

    function: str
    name: str
    table: str
    starting_position: str
    batch_size: int
    maximum_retry_attempts: int
    bisect_on_error: bool
    function_response_types: tuple[str, ...]
    filters: tuple[Mapping[str, Any], ...]
    on_failure: str | None

    @property
    def reports_item_failures(self) -> bool:
        """Whether the function answers with ``batchItemFailures``."""
        return "ReportBatchItemFailures" in self.function_response_types


@dataclass(frozen=True)
class FunctionSpec:
    """An AWS::Serverless::Function with Globals.Function merged in (values still unresolved)."""

    logical_id: str
    function_name: Any
    code_uri: Path
    handler: str
    timeout: int
    memory_size: int
    environment: Mapping[str, Any]
    routes: tuple[HttpRoute, ...]
    sqs_sources: tuple[SqsEventSource, ...]
    stream_sources: tuple[StreamEventSource, ...]

    @property
    def module_path(self) -> Path:
        """The file that holds the handler (``app.lambda_handler`` -> ``<CodeUri>/app.py``)."""
        module, _ = self.handler.rsplit(".", 1)
        return self.code_uri / (module.replace(".", "/") + ".py")

    @property
    def handler_name(self) -> str:
        """The handler's attribute name in its module."""
        return self.handler.rsplit(".", 1)[1]


@dataclass(frozen=True)
class Template:
    """A parsed SAM template."""

    path: Path
    body: Mapping[str, Any]

    @classmethod
    def load(cls, path: Path = TEMPLATE_PATH) -> Template:
        """Read a template file, short tags included."""
        with path.open(encoding="utf-8") as stream:
            body = yaml.load(stream, Loader=TemplateLoader)  # noqa: S506 - a SafeLoader subclass
        if not isinstance(body, Mapping) or not isinstance(body.get("Resources"), Mapping):
            raise TemplateError(f"{path} is not a CloudFormation template")
        return cls(path=path, body=body)

    @property
    def resources(self) -> Mapping[str, Mapping[str, Any]]:
        """Every resource by logical id."""
        return self.body["Resources"]  # type: ignore[no-any-return]

    def resources_of_type(self, *types: str) -> dict[str, Mapping[str, Any]]:
        """The Properties of every resource of one of ``types``, by logical id, in template order."""
        return {
            logical_id: resource.get("Properties") or {}
            for logical_id, resource in self.resources.items()
            if resource.get("Type") in types
        }

    def parameter_defaults(self) -> dict[str, Any]:
        """Each parameter's Default (parameters without one are left out)."""
        parameters: Mapping[str, Mapping[str, Any]] = self.body.get("Parameters") or {}
        return {name: spec["Default"] for name, spec in parameters.items() if "Default" in spec}

    def parameter_variables(self) -> dict[str, set[str]]:
        """The parameters behind each function variable set to a plain ``!Ref <Parameter>``, by variable name."""
        parameters = self.body.get("Parameters") or {}
        found: dict[str, set[str]] = {}
        for function in self.functions.values():
            for name, value in function.environment.items():
                if isinstance(value, Mapping) and len(value) == 1 and value.get("Ref") in parameters:
                    found.setdefault(str(name), set()).add(str(value["Ref"]))
        return found

    @cached_property
    def functions(self) -> dict[str, FunctionSpec]:
        """Every function by logical id."""
        defaults = (self.body.get("Globals") or {}).get("Function") or {}
        return {
            logical_id: self._function(logical_id, _merge(defaults, properties))
            for logical_id, properties in self.resources_of_type(FUNCTION_TYPE).items()
        }

    def routes(self) -> list[HttpRoute]:
        """Every HttpApi route of every function."""
        return [route for function in self.functions.values() for route in function.routes]

    def _function(self, logical_id: str, properties: Mapping[str, Any]) -> FunctionSpec:
        routes: list[HttpRoute] = []
        sqs: list[SqsEventSource] = []
        streams: list[StreamEventSource] = []
        for name, event in (properties.get("Events") or {}).items():
            kind, props = event.get("Type"), event.get("Properties") or {}
            if kind == "HttpApi":
                routes.append(_http_route(logical_id, props))
            elif kind == "SQS":
                sqs.append(_sqs_source(logical_id, name, props))
            elif kind == "DynamoDB":
                streams.append(_stream_source(logical_id, name, props))
        return FunctionSpec(
            logical_id=logical_id,
            function_name=properties.get("FunctionName"),
            code_uri=(self.path.parent / str(properties.get("CodeUri", "."))).resolve(),
            handler=str(properties["Handler"]),
            timeout=int(properties.get("Timeout", 3)),
            memory_size=int(properties.get("MemorySize", 128)),
            environment=((properties.get("Environment") or {}).get("Variables")) or {},
            routes=tuple(routes),
            sqs_sources=tuple(sqs),
            stream_sources=tuple(streams),
        )


def _merge(defaults: Mapping[str, Any], own: Mapping[str, Any]) -> dict[str, Any]:
    """SAM's Globals rule: maps merge (the function wins), lists concatenate, scalars are overridden."""
    merged = dict(defaults)
    for key, value in own.items():
        base = merged.get(key)
        if isinstance(base, Mapping) and isinstance(value, Mapping) and not _is_intrinsic(value):
            merged[key] = _merge(base, value)
        elif isinstance(base, list) and isinstance(value, list):
            merged[key] = base + value
        else:
            merged[key] = value
    return merged


def _is_intrinsic(value: Mapping[str, Any]) -> bool:
    if len(value) != 1:
        return False
    key = str(next(iter(value)))
    return key in ("Ref", "Condition") or key.startswith("Fn::")


def _http_route(function: str, props: Mapping[str, Any]) -> HttpRoute:
    if "Path" not in props and "Method" not in props:
        return HttpRoute(function=function, method="ANY", path="$default")
    method = str(props.get("Method", "ANY")).upper()
    if method == "X-AMAZON-APIGATEWAY-ANY-METHOD":
        method = "ANY"
    return HttpRoute(function=function, method=method, path=str(props["Path"]))


def _filters(props: Mapping[str, Any]) -> tuple[Mapping[str, Any], ...]:
    patterns = ((props.get("FilterCriteria") or {}).get("Filters")) or []
    parsed = []
    for entry in patterns:
        pattern = entry.get("Pattern")
        parsed.append(json.loads(pattern) if isinstance(pattern, str) else pattern)
    return tuple(parsed)


def _sqs_source(function: str, name: str, props: Mapping[str, Any]) -> SqsEventSource:
    return SqsEventSource(
        function=function,
        name=name,
        queue=referenced_resource(props["Queue"]),
        batch_size=int(props.get("BatchSize", 10)),
        maximum_batching_window=int(props.get("MaximumBatchingWindowInSeconds", 0)),
        function_response_types=tuple(props.get("FunctionResponseTypes") or ()),
        filters=_filters(props),
        maximum_concurrency=_maximum_concurrency(props),
    )


def _maximum_concurrency(props: Mapping[str, Any]) -> int | None:
    value = (props.get("ScalingConfig") or {}).get("MaximumConcurrency")
    return int(value) if value is not None else None


def _stream_source(function: str, name: str, props: Mapping[str, Any]) -> StreamEventSource:
    on_failure = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    return StreamEventSource(
        function=function,
        name=name,
        table=referenced_resource(props["Stream"]),
        starting_position=str(props.get("StartingPosition", "LATEST")),
        batch_size=int(props.get("BatchSize", 100)),
        maximum_retry_attempts=int(props.get("MaximumRetryAttempts", -1)),
        bisect_on_error=bool(props.get("BisectBatchOnFunctionError", False)),
        function_response_types=tuple(props.get("FunctionResponseTypes") or ()),
        filters=_filters(props),
        on_failure=referenced_resource(on_failure) if on_failure is not None else None,
    )
