"""A function's worker process, as a Lambda execution environment: its own environment, its handler, one event at a time.

``serve`` is the worker's main (``local.processes`` starts it through multiprocessing's forkserver).
It makes ``os.environ`` exactly the function's environment, puts the function's code, the layer and
the repository root first on ``sys.path``, imports the handler (the init phase; its failure is
answered as Lambda reports init errors, and the worker exits so the next invocation inits afresh),
then answers invocations from its pipe until the pipe closes: JSON ``{"requestId", "event"}`` in,
JSON ``{"result": ...}`` or ``{"error": <Lambda's error document>}`` out. An answer that is not
JSON is Lambda's ``Runtime.MarshalError``. Each invocation gets a real ``LambdaContext``: the
function's name, the request id the parent chose, and the remaining time of the template's Timeout.

No moto patch is applied here: a worker reaches the stack's moto server over HTTP
(``AWS_ENDPOINT_URL``), and the corrections (``local.moto_kms``, ``local.moto_dynamodb``) live in
that server's process. Ctrl-C is ignored: the stack handles it and stops the workers.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import traceback
import warnings
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from local.functions import Handler, error_document, lambda_context, load_module
from local.template import ROOT

LAYER = ROOT / "layers" / "common"
# A worker re-runs the stack's main module (multiprocessing does), which the forkserver preloaded:
# harmless (it only defines things), so runpy's warning about it is noise in every worker's log.
warnings.filterwarnings(
    "ignore", message=r"'[\w.]+' found in sys\.modules after import", category=RuntimeWarning
)


@dataclass(frozen=True)
class WorkerSetup:
    """What a worker needs to become its function's execution environment (sent to it when it starts)."""

    logical_id: str
    function_name: str
    module_name: str
    module_path: Path
    handler_name: str
    code_uri: Path
    timeout_seconds: float
    memory_mb: int
    region: str
    account_id: str
    environment: dict[str, str] = field(default_factory=dict)


def init_error(error: BaseException, setup: WorkerSetup) -> dict[str, Any]:
    """Lambda's error document for a failed init: an import error, a missing handler, or what the module raised."""
    module = setup.module_path.stem
    if isinstance(error, ImportError):
        return {
            **error_document(error, "Runtime.ImportModuleError"),
            "errorMessage": f"Unable to import module '{module}': {error}",
        }
    if isinstance(error, AttributeError):
        return {
            **error_document(error, "Runtime.HandlerNotFound"),
            "errorMessage": f"Handler '{setup.handler_name}' missing on module '{module}'",
        }
    return error_document(error)


def become(setup: WorkerSetup) -> None:
    """Make this process the function's environment: its variables only, its code first on ``sys.path``."""
    os.environ.clear()
    os.environ.update(setup.environment)
    front = [str(setup.code_uri), str(LAYER), str(ROOT)]
    sys.path[:] = front + [entry for entry in sys.path if entry not in front]


def load_handler(setup: WorkerSetup) -> Handler:
    """Import the function's module (once) and return its handler."""
    handler: Handler = getattr(load_module(setup.module_path, setup.module_name), setup.handler_name)
    return handler


def answer(handler: Handler, setup: WorkerSetup, request: dict[str, Any]) -> str:
    """Run one invocation; the JSON answer for the parent."""
    context = lambda_context(
        setup.function_name,
        timeout_seconds=setup.timeout_seconds,
        memory_mb=setup.memory_mb,
        region=setup.region,
        account_id=setup.account_id,
        request_id=str(request["requestId"]),
    )
    try:
        result = handler(request["event"], context)
    except Exception as exc:  # noqa: BLE001 - reported the way Lambda reports it
        traceback.print_exc()
        return json.dumps({"error": error_document(exc)})
    try:
        return json.dumps({"result": result})
    except (TypeError, ValueError) as exc:
        document = error_document(exc, "Runtime.MarshalError")
        document["errorMessage"] = f"Unable to marshal response: {exc}"
        return json.dumps({"error": document})


def serve(connection: Connection, setup: WorkerSetup) -> None:
    """The worker's main: init, tell the parent (ready or the init error), then serve until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(line_buffering=True)  # the function's log lines reach the stack's log at once
    become(setup)
    try:
        handler = load_handler(setup)
    except Exception as exc:  # noqa: BLE001 - an init error is the invocation's answer, as in Lambda
        traceback.print_exc()
        connection.send_bytes(json.dumps({"initError": init_error(exc, setup)}).encode())
        return
    connection.send_bytes(b'{"ready": true}')
    while True:
        try:
            request = json.loads(connection.recv_bytes())
        except EOFError:
            return
        connection.send_bytes(answer(handler, setup, request).encode())
