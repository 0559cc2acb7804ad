"""The stack's functions: each in worker processes of its own (``local.worker``), as Lambda runs each in containers.

A function's pool starts a worker on first use and another whenever every worker it has is busy, up
to ``concurrency`` (``ASTCA_LOCAL_CONCURRENCY``, default 4), as Lambda adds containers under load;
beyond that an invocation waits for a free worker. A worker serves one invocation at a time and is
kept for the next. The parent enforces the template's Timeout: a worker that has not answered by
then is killed and replaced, and the invocation fails with Lambda's ``Sandbox.Timedout``; a worker
that dies fails its invocation with ``Runtime.ExitError``; an init that fails (an import error, say)
fails the invocation with Lambda's init error and is retried by the next one. Every failure is
raised as ``local.functions.FunctionError`` (a RuntimeError carrying Lambda's error document), which the gateway
answers with a 500 and the pollers count as a failed invocation.

Workers are forked by multiprocessing's forkserver, never by the multi-threaded stack process: the
forkserver has boto3, botocore, cryptography, Powertools, pydantic and PyJWT loaded, then frozen
out of the garbage collector's reach (``local.preloaded``), so a worker starts fast and shares those
pages. Its stdout and stderr are the stack's.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from multiprocessing.context import ForkServerContext
from typing import TYPE_CHECKING, Any

from local import worker
from local.aws_env import local_aws_environment
from local.functions import FunctionError, function_name, module_name
from local.template import FunctionSpec

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

    from local.resources import LocalResources

logger = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 4
INIT_SECONDS = 10.0  # Lambda's limit of a function's init phase
PRELOAD = ["boto3", "botocore", "cryptography", "aws_lambda_powertools", "pydantic", "jwt", "local.worker"]
RUNTIME = "python3.12"


@cache
def forkserver() -> ForkServerContext:
    """The forkserver context every worker comes from (its preload set once per process)."""
    context = multiprocessing.get_context("forkserver")
    preload = list(PRELOAD)
    main = getattr(getattr(sys.modules.get("__main__"), "__spec__", None), "name", None)
    if main and not main.endswith("__main__"):
        preload.append(main)  # a worker re-runs the main module (``local.stack``): cheap once preloaded
    preload.append("local.preloaded")  # last: freezes what the others loaded (shared, not copied)
    context.set_forkserver_preload(preload)
    return context


def runtime_environment(
    spec: FunctionSpec,
    name: str,
    template_environment: Mapping[str, str],
    *,
    endpoint_url: str | None,
    operator: Mapping[str, str],
) -> dict[str, str]:
    """A worker's whole environment, later entries winning: what Lambda's runtime sets, the template's, the operator's, AWS's."""
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "LAMBDA_TASK_ROOT": str(spec.code_uri),
        "_HANDLER": spec.handler,
        **template_environment,
        **operator,
        **local_aws_environment(endpoint_url),
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{RUNTIME}",
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_size),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
    }


class Worker:
    """One worker process of a function and the parent's end of its pipe."""

    def __init__(self, setup: worker.WorkerSetup) -> None:
        context = forkserver()
        self.setup = setup
        ours, theirs = context.Pipe()
        self.connection: Connection = ours
        self.process: BaseProcess = context.Process(
            target=worker.serve, args=(theirs, setup), name=f"astca-{setup.logical_id}", daemon=True
        )
        self.process.start()
        theirs.close()

    def wait_ready(self, seconds: float = INIT_SECONDS) -> None:
        """Wait for the init to end; FunctionError (and the worker gone) if it failed or took too long."""
        if not self.connection.poll(seconds):
            self.kill()
            raise FunctionError(
                {"errorType": "Runtime.InitTimeout", "errorMessage": f"init took more than {seconds:.0f} s"}
            )
        message = self._receive("init")
        if "initError" in message:
            self.kill()
            raise FunctionError(message["initError"])

    def invoke(self, request: bytes, *, request_id: str) -> Any:
        """One invocation of a JSON request; FunctionError if the handler raised, timed out (killed) or died."""
        timeout = self.setup.timeout_seconds
        try:
            self.connection.send_bytes(request)
            answered = self.connection.poll(timeout)
        except (OSError, EOFError):  # the worker is gone (killed by stop, say): ``_receive`` says so
            answered = True
        if not answered:
            self.kill()
            message = f"Task timed out after {timeout:.2f} seconds"
            print(
                f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {request_id} {message}",
                file=sys.stderr,
            )
            raise FunctionError(
                {"errorType": "Sandbox.Timedout", "errorMessage": f"RequestId: {request_id} Error: {message}"}
            )
        answer = self._receive(request_id)
        if "error" in answer:
            raise FunctionError(answer["error"])
        return answer["result"]

    @property
    def alive(self) -> bool:
        """Whether the process still runs."""
        return self.process.is_alive()

    def kill(self) -> None:
        """End the process now and release its pipe."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.connection.close()

    def _receive(self, request_id: str) -> dict[str, Any]:
        try:
            message: dict[str, Any] = json.loads(self.connection.recv_bytes())
        except (EOFError, OSError):
            self.process.join(5)
            self.kill()
            code = self.process.exitcode or 0
            status = f"signal: {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"
            raise FunctionError(
                {
                    "errorType": "Runtime.ExitError",
                    "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: {status}",
                }
            ) from None
        return message


class ProcessFunction:
    """One function served by its own worker processes, grown on demand up to ``concurrency``."""

    def __init__(
        self,
        spec: FunctionSpec,
        resources: LocalResources,
        *,
        endpoint_url: str | None,
        operator: Mapping[str, str] | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        self.spec = spec
        self.name = function_name(spec, resources)
        self.concurrency = max(1, concurrency)
        self._region, self._account_id = resources.region, resources.account_id
        self.environment = runtime_environment(
            spec,
            self.name,
            resources.environments[spec.logical_id],
            endpoint_url=endpoint_url,
            operator=operator or {},
        )
        self._condition = threading.Condition()
        self._idle: list[Worker] = []
        self._workers: set[Worker] = set()
        self._starting = 0
        self._stopped = False
        self.started = 0  # workers started so far (cold starts)

    @property
    def arn(self) -> str:
        """The function's ARN, as its invocations see it."""
        return f"arn:aws:lambda:{self._region}:{self._account_id}:function:{self.name}"

    @property
    def workers(self) -> int:
        """How many worker processes the function has now."""
        with self._condition:
            return len(self._workers)

    def setup(self) -> worker.WorkerSetup:
        """What a new worker of this function is told."""
        return worker.WorkerSetup(
            logical_id=self.spec.logical_id,
            function_name=self.name,
            module_name=module_name(self.spec.code_uri),
            module_path=self.spec.module_path,
            handler_name=self.spec.handler_name,
            code_uri=self.spec.code_uri,
            timeout_seconds=float(self.spec.timeout),
            memory_mb=self.spec.memory_size,
            region=self._region,
            account_id=self._account_id,
            environment=dict(self.environment),
        )

    def invoke(self, event: dict[str, Any]) -> Any:
        """Run the function on ``event`` in a free worker (a new one if all are busy and there is room)."""
        request_id = str(uuid.uuid4())
        request = json.dumps({"requestId": request_id, "event": event}).encode()  # Lambda takes JSON only
        current = self._acquire()
        healthy = False
        try:
            result = current.invoke(request, request_id=request_id)
            healthy = True
            return result
        except FunctionError:
            healthy = current.alive  # a handler's exception keeps the worker; a timeout or exit does not
            raise
        finally:
            self._release(current, healthy=healthy)

    def warm(self) -> None:
        """Start one worker now unless the function has one (its cold start, before the first request)."""
        with self._condition:
            if self._workers or self._starting:
                return
        self._release(self._acquire(), healthy=True)

    def release_idle(self) -> None:
        """Kill the workers that are idle (Lambda reclaims idle environments); the next invocation starts one."""
        with self._condition:
            idle, self._idle = self._idle, []
            self._workers.difference_update(idle)
        for each in idle:
            each.kill()

    def stop(self) -> None:
        """Kill every worker; later invocations fail."""
        with self._condition:
            self._stopped = True
            workers, self._idle = list(self._workers), []
            self._workers.clear()
            self._condition.notify_all()
        for each in workers:
            each.kill()

    def _acquire(self) -> Worker:
        with self._condition:
            while True:
                if self._stopped:
                    raise FunctionError({"errorType": "Stopped", "errorMessage": f"{self.name} is stopped"})
                if self._idle:
                    return self._idle.pop()
                if len(self._workers) + self._starting < self.concurrency:
                    self._starting += 1
                    break
                self._condition.wait()
        started: Worker | None = None
        try:
            started = Worker(self.setup())
            started.wait_ready()
        except BaseException:
            with self._condition:
                self._starting -= 1
                self._condition.notify()
            raise
        with self._condition:
            self._starting -= 1
            self.started += 1
            if self._stopped:
                started.kill()
                raise FunctionError({"errorType": "Stopped", "errorMessage": f"{self.name} is stopped"})
            self._workers.add(started)
        return started

    def _release(self, current: Worker, *, healthy: bool) -> None:
        with self._condition:
            if healthy and not self._stopped and current in self._workers:
                self._idle.append(current)
            else:
                self._workers.discard(current)
                current.kill()
            self._condition.notify()


class ProcessFunctions:
    """Every function of the template in processes of its own: a component whose stop kills the workers."""

    name = "functions"

    def __init__(
        self,
        resources: LocalResources,
        *,
        endpoint_url: str | None,
        operator: Mapping[str, str] | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        self.resources = resources
        self._functions = {
            logical_id: ProcessFunction(
                spec, resources, endpoint_url=endpoint_url, operator=operator, concurrency=concurrency
            )
            for logical_id, spec in resources.template.functions.items()
        }

    def __getitem__(self, logical_id: str) -> ProcessFunction:
        return self._functions[logical_id]

    def __iter__(self) -> Iterator[ProcessFunction]:
        return iter(self._functions.values())

    def override_environment(self, variables: Mapping[str, str]) -> None:
        """Give every function extra or different variables (before its first worker starts)."""
        for function in self._functions.values():
            if function.started:
                raise RuntimeError(f"{function.spec.logical_id} already has a worker")
            function.environment.update(variables)

    def start(self) -> None:
        """Start the forkserver (it loads the shared modules while the stack provisions)."""
        from multiprocessing import forkserver as server

        forkserver()
        server.ensure_running()

    def warm(self, logical_ids: Iterable[str]) -> dict[str, BaseException]:
        """Start one worker of each function in parallel (their cold starts); the failures by logical id."""
        wanted = [self._functions[logical_id] for logical_id in logical_ids]
        failures: dict[str, BaseException] = {}

        def warm(function: ProcessFunction) -> None:
            try:
                function.warm()
            except Exception as exc:  # noqa: BLE001 - a broken function fails alone, as in Lambda
                failures[function.spec.logical_id] = exc

        with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1) * 2) as pool:
            list(pool.map(warm, wanted))
        return failures

    def stop(self) -> None:
        """Kill every function's workers."""
        for function in self._functions.values():
            function.stop()
