"""Functions as Lambda runs them: ``make run`` gives each its own processes, the tests import it in theirs.

Two ways to run a template function, behind one interface (``TemplateFunction``: its spec, name,
ARN and ``invoke(event)``, all the gateway, the pollers and the custom resources need):

- ``local.processes.ProcessFunctions`` (the stack's, ``make run``): each function in worker
  processes of its own, as Lambda runs each in containers of its own. A worker's ``os.environ`` is
  exactly that function's environment (the template's Globals and its own variables, the local AWS
  variables, what the operator gave ``make run``), so no function sees another's variables, settings
  cache, clients or Powertools Logger state. Workers are forked from a forkserver that has the heavy
  third-party modules loaded (they start in about 0.2 s and share those pages), serve one
  invocation at a time with a real ``LambdaContext`` and the template's Timeout, and a function gets
  more of them under concurrent load, up to ``ASTCA_LOCAL_CONCURRENCY``. ``local.worker`` is the
  worker's side.
- ``LocalFunction`` / ``LocalFunctions`` (below; the function tests, ``make invoke``, ``make
  openapi``): the handler imported into the calling process, on moto's in-process ``mock_aws``. A
  function's ``CodeUri`` directory ``functions/<dir>/`` is imported as module ``astca_fn_<dir>``, so
  every function's ``app.py`` can live in one process. That process has one ``os.environ``: the
  variables all functions share come from Globals, and a function's own variables are applied when
  it is imported; a variable that two functions set differently is reported, because only one value
  can win in one process.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol

from aws_lambda_powertools.utilities.typing import LambdaContext

from local.template import ROOT, FunctionSpec

if TYPE_CHECKING:
    from local.resources import LocalResources

MODULE_PREFIX = "astca_fn_"
Handler = Callable[[dict[str, Any], LambdaContext], Any]

logger = logging.getLogger(__name__)
_import_lock = threading.RLock()
_environment_owners: dict[str, str] = {}


def module_name(code_uri: Path) -> str:
    """The unique module name of a function's code: ``astca_fn_<directory>``."""
    return MODULE_PREFIX + code_uri.name


def load_module(path: Path, name: str) -> ModuleType:
    """Import the file at ``path`` as module ``name``, once per process."""
    with _import_lock:
        if name in sys.modules:
            return sys.modules[name]
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
        return module


def load_function_module(directory: str) -> ModuleType:
    """``functions/<directory>/app.py`` as module ``astca_fn_<directory>`` (the environment must be set)."""
    code_uri = ROOT / "functions" / directory
    return load_module(code_uri / "app.py", module_name(code_uri))


class Invocable(Protocol):
    """What an event source needs of a function: its ARN and a way to invoke it."""

    @property
    def arn(self) -> str:
        """The function's ARN."""
        ...

    def invoke(self, event: dict[str, Any]) -> Any:
        """Run the function on ``event`` and return its answer (raising what it raised)."""
        ...


class TemplateFunction(Invocable, Protocol):
    """A function of the template, however it runs: its spec and name too."""

    spec: FunctionSpec
    name: str


class FunctionSet(Protocol):
    """Every function of a provisioned template, by logical id (``LocalFunctions``, ``ProcessFunctions``)."""

    resources: LocalResources

    def __getitem__(self, logical_id: str) -> TemplateFunction: ...

    def __iter__(self) -> Iterator[TemplateFunction]: ...


class FunctionError(RuntimeError):
    """An invocation that ended in an error instead of an answer: Lambda's error document."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = dict(document)
        super().__init__(f"{self.error_type}: {self.document.get('errorMessage', '')}")

    @property
    def error_type(self) -> str:
        """Lambda's errorType: the exception's type name, ``Sandbox.Timedout``, ``Runtime.ExitError``, ..."""
        return str(self.document.get("errorType", "Unknown"))


def error_document(error: BaseException, error_type: str | None = None) -> dict[str, Any]:
    """The error Lambda reports for a handler that raised."""
    return {
        "errorMessage": str(error),
        "errorType": error_type or type(error).__name__,
        "stackTrace": traceback.format_tb(error.__traceback__),
    }


class LocalLambdaContext(LambdaContext):
    """The context object Lambda passes to a handler, with a real remaining-time clock."""

    def __init__(
        self,
        function_name: str,
        *,
        timeout_seconds: float,
        memory_mb: int,
        region: str,
        account_id: str,
        request_id: str | None = None,
    ) -> None:
        self._function_name = function_name
        self._function_version = "$LATEST"
        self._invoked_function_arn = f"arn:aws:lambda:{region}:{account_id}:function:{function_name}"
        self._memory_limit_in_mb = memory_mb
        self._aws_request_id = request_id or str(uuid.uuid4())
        self._log_group_name = f"/aws/lambda/{function_name}"
        self._log_stream_name = time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:  # type: ignore[override]
        """Milliseconds left before the function's Timeout."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def lambda_context(
    function_name: str = "astca-local",
    *,
    timeout_seconds: float = 10,
    memory_mb: int = 512,
    region: str = "eu-central-1",
    account_id: str = "123456789012",
    request_id: str | None = None,
) -> LambdaContext:
    """A fresh context for one invocation (a new request id unless given)."""
    return LocalLambdaContext(
        function_name,
        timeout_seconds=timeout_seconds,
        memory_mb=memory_mb,
        region=region,
        account_id=account_id,
        request_id=request_id,
    )


def function_name(spec: FunctionSpec, resources: LocalResources) -> str:
    """The function's FunctionName, resolved (``astca-<LogicalId>`` if the template names none)."""
    return str(resources.resolver().resolve(spec.function_name) or f"astca-{spec.logical_id}")


def apply_environment(owner: str, environment: Mapping[str, str]) -> None:
    """Put a function's variables into ``os.environ``, warning where another function set a different value."""
    for name, value in environment.items():
        previous = _environment_owners.get(name)
        if previous not in (None, owner) and os.environ.get(name) != value:
            logger.warning(
                "%s sets %s differently from %s; one process holds one value", owner, name, previous
            )
        _environment_owners[name] = owner
        os.environ[name] = value


class LocalFunction:
    """One function imported into this process on first use with its environment, serving one event at a time."""

    def __init__(self, spec: FunctionSpec, resources: LocalResources) -> None:
        self.spec = spec
        self.name = function_name(spec, resources)
        self.environment = dict(resources.environments[spec.logical_id])
        self._region, self._account_id = resources.region, resources.account_id
        self._lock = threading.Lock()
        self._handler: Handler | None = None

    @property
    def loaded(self) -> bool:
        """Whether the handler's module has been imported."""
        return module_name(self.spec.code_uri) in sys.modules

    @property
    def arn(self) -> str:
        """The function's ARN, as its invocations see it."""
        return f"arn:aws:lambda:{self._region}:{self._account_id}:function:{self.name}"

    def module(self) -> ModuleType:
        """The handler's module, imported on first use with this function's environment."""
        name = module_name(self.spec.code_uri)
        with _import_lock:
            if name not in sys.modules:
                apply_environment(self.spec.logical_id, self.environment)
            return load_module(self.spec.module_path, name)

    def load(self) -> Handler:
        """The handler (its module imported once)."""
        if self._handler is None:
            self._handler = getattr(self.module(), self.spec.handler_name)
        return self._handler

    def context(self) -> LambdaContext:
        """A context for one invocation of this function."""
        return lambda_context(
            self.name,
            timeout_seconds=self.spec.timeout,
            memory_mb=self.spec.memory_size,
            region=self._region,
            account_id=self._account_id,
        )

    def invoke(self, event: dict[str, Any]) -> Any:
        """Run the handler on ``event``, waiting while another event is being served."""
        with self._lock:
            handler = self.load()
            return handler(event, self.context())


class LocalFunctions:
    """Every function of the template, by logical id, imported into this process (the tests' way)."""

    def __init__(self, resources: LocalResources) -> None:
        self.resources = resources
        self._functions = {
            logical_id: LocalFunction(spec, resources)
            for logical_id, spec in resources.template.functions.items()
        }

    def __getitem__(self, logical_id: str) -> LocalFunction:
        return self._functions[logical_id]

    def __iter__(self) -> Iterator[LocalFunction]:
        return iter(self._functions.values())

    def override_environment(self, variables: Mapping[str, str]) -> None:
        """Give every function extra or different variables (before it is imported: local endpoints)."""
        for function in self._functions.values():
            if function.loaded:
                raise RuntimeError(f"{function.spec.logical_id} is already imported")
            function.environment.update(variables)
