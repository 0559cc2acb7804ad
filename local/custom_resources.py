"""Custom resources locally: the ServiceToken's function runs on CloudFormation's Create event.

``AWS::CloudFormation::CustomResource`` and ``Custom::<Name>`` resources are provisioned after every
other resource, in dependency order. Each one's ServiceToken must name a function of the template
(``!GetAtt <Function>.Arn``). The function gets the event CloudFormation would send, and answers as
it answers CloudFormation: a PUT of its JSON response document to the event's ResponseURL, which
locally is a one-shot HTTP endpoint on 127.0.0.1 that this module serves while provisioning. So the
function's real response code runs. The resource's Ref is the answered PhysicalResourceId and its
``!GetAtt`` attributes are the answered Data. A FAILED answer, no answer at all, or a function that
raises stops provisioning with ``TemplateError`` naming the resource and the Reason, as CloudFormation
would roll the stack back. The function runs in-process (``LocalFunction``: the tests, ``make
invoke``) unless the caller passes the functions to run it with (``make run`` passes its
``ProcessFunctions``, so the bootstrap runs in its own process, as every function does there).

Every provisioning sends Create (a local stack is always new); a custom resource's function must be
idempotent, as CloudFormation's retries require anyway. A function's environment cannot refer to a
custom resource locally: environments are resolved before custom resources run.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from local.functions import LocalFunction, TemplateFunction
from local.intrinsics import Physical, Resolver
from local.resources import LocalResources, _dependency_order
from local.template import Template, TemplateError

CUSTOM_RESOURCE = "AWS::CloudFormation::CustomResource"


def is_custom_resource(resource_type: str) -> bool:
    """Whether a resource type is a custom resource (``AWS::CloudFormation::CustomResource``, ``Custom::*``)."""
    return resource_type == CUSTOM_RESOURCE or resource_type.startswith("Custom::")


class ResponseEndpoint:
    """An HTTP server on 127.0.0.1 that keeps the body of each PUT, by path, for the length of a ``with``."""

    def __init__(self) -> None:
        self.responses: dict[str, bytes] = {}
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                endpoint.responses[self.path] = body
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the provisioner reports what matters."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self._server.server_address[1])

    def url(self, path: str) -> str:
        """The URL whose PUT body ``response(path)`` returns."""
        return f"http://127.0.0.1:{self.port}/{path}"

    def response(self, path: str) -> bytes | None:
        """The body PUT to ``url(path)``, if any."""
        return self.responses.get(f"/{path}")

    @contextmanager
    def serving(self) -> Iterator[ResponseEndpoint]:
        """Serve in a thread until the ``with`` ends."""
        thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name="cfn-response",
            daemon=True,
        )
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
            thread.join()


def custom_resource_ids(template: Template) -> list[str]:
    """The logical ids of the template's custom resources, in template order."""
    return [
        logical_id
        for logical_id, resource in template.resources.items()
        if is_custom_resource(str(resource.get("Type", "")))
    ]


def provision_custom_resources(
    resources: LocalResources, *, functions: Iterable[TemplateFunction] | None = None
) -> LocalResources:
    """``resources`` plus every custom resource of its template (functions answer to their ARN too).

    ``functions`` run the ServiceTokens' functions (default: each imported into this process).
    """
    template = resources.template
    wanted = {
        logical_id: template.resources[logical_id].get("Properties") or {}
        for logical_id in custom_resource_ids(template)
    }
    if not wanted:
        return resources
    runners: list[TemplateFunction] = (
        [LocalFunction(spec, resources) for spec in template.functions.values()]
        if functions is None
        else list(functions)
    )
    physical: dict[str, Physical] = {
        function.spec.logical_id: Physical(ref=function.name, attributes={"Arn": function.arn})
        for function in runners
    }
    physical.update(resources.physical)
    by_arn = {function.arn: function for function in runners}
    resolver = Resolver(
        template,
        physical,
        region=resources.region,
        account_id=resources.account_id,
        parameters=resources.parameters,
    )
    with ResponseEndpoint().serving() as endpoint:
        for logical_id in _dependency_order(wanted):
            properties = resolver.resolve(wanted[logical_id])
            physical[logical_id] = _create(
                logical_id,
                resource_type=str(template.resources[logical_id]["Type"]),
                properties=properties,
                by_arn=by_arn,
                resolver=resolver,
                endpoint=endpoint,
            )
    return replace(resources, physical=physical)


def _create(
    logical_id: str,
    *,
    resource_type: str,
    properties: Mapping[str, Any],
    by_arn: Mapping[str, TemplateFunction],
    resolver: Resolver,
    endpoint: ResponseEndpoint,
) -> Physical:
    function = by_arn.get(str(properties.get("ServiceToken", "")))
    if function is None:
        raise TemplateError(
            f"{logical_id}: the ServiceToken must be !GetAtt <a function of the template>.Arn"
        )
    request_id = str(uuid.uuid4())
    event = {
        "RequestType": "Create",
        "ServiceToken": function.arn,
        "ResponseURL": endpoint.url(request_id),
        "StackId": resolver.pseudo["AWS::StackId"],
        "RequestId": request_id,
        "LogicalResourceId": logical_id,
        "ResourceType": resource_type,
        "ResourceProperties": dict(properties),
    }
    try:
        function.invoke(event)
    except Exception as exc:
        raise TemplateError(f"{logical_id}: {function.spec.logical_id} raised {exc!r}") from exc
    body = endpoint.response(request_id)
    if body is None:
        raise TemplateError(f"{logical_id}: {function.spec.logical_id} did not answer CloudFormation")
    answer = json.loads(body)
    if answer.get("Status") != "SUCCESS":
        raise TemplateError(f"{logical_id} failed: {answer.get('Reason', 'no reason given')}")
    data = answer.get("Data") or {}
    return Physical(
        ref=str(answer.get("PhysicalResourceId") or request_id),
        attributes={str(key): str(value) for key, value in data.items()},
    )
