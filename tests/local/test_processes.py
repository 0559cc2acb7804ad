"""local.processes runs each function in worker processes of its own, as Lambda runs each in containers.

The functions here are probes written under tmp_path: they answer with what their process sees.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from local.functions import FunctionError
from local.processes import ProcessFunctions
from local.resources import Provisioner
from local.template import Template
from tests.e2e.conftest import wait_for

PROBE = """
import json
import os
import pathlib
import time

loaded_at = time.monotonic()


def lambda_handler(event, context):
    action = event.get("action", "look")
    if action == "raise":
        raise ValueError("told to raise")
    if action == "exit":
        os._exit(3)
    if action == "sleep":
        time.sleep(event["seconds"])
    if action == "hold":
        while not pathlib.Path(event["until"]).exists():
            time.sleep(0.01)
    if action == "unmarshallable":
        return {"answer": object()}
    return {
        "pid": os.getpid(),
        "environ": dict(os.environ),
        "functionName": context.function_name,
        "requestId": context.aws_request_id,
        "remainingMillis": context.get_remaining_time_in_millis(),
        "memory": context.memory_limit_in_mb,
        "arn": context.invoked_function_arn,
    }
"""

BROKEN = "import a_module_nobody_wrote\n"


def probe_template(tmp_path: Path) -> Template:
    """Functions ProbeA and ProbeB (own variables each, one Globals variable) and Broken (cannot import)."""
    for name, code in (("probe", PROBE), ("broken", BROKEN)):
        directory = tmp_path / f"{name}_{uuid.uuid4().hex}"  # a module name of its own: astca_fn_<dir>
        directory.mkdir()
        (directory / "app.py").write_text(code, encoding="utf-8")
        (tmp_path / f"{name}.dir").write_text(directory.name, encoding="utf-8")
    probe, broken = (tmp_path / "probe.dir").read_text(), (tmp_path / "broken.dir").read_text()
    path = tmp_path / "template.yaml"
    path.write_text(
        f"""
Parameters:
  Colour: {{Type: String, Default: blue}}
Globals:
  Function:
    Timeout: 5
    MemorySize: 256
    Environment:
      Variables:
        SHARED: everyone
Resources:
  ProbeA:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Sub ${{AWS::StackName}}-probe-a
      CodeUri: {probe}/
      Handler: app.lambda_handler
      Environment: {{Variables: {{ONLY_A: a, COLOUR: !Ref Colour}}}}
  ProbeB:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {probe}/
      Handler: app.lambda_handler
      Timeout: 1
      Environment: {{Variables: {{ONLY_B: b}}}}
  Broken:
    Type: AWS::Serverless::Function
    Properties: {{CodeUri: {broken}/, Handler: app.lambda_handler}}
""",
        encoding="utf-8",
    )
    return Template.load(path)


@pytest.fixture
def functions(tmp_path: Path) -> Iterator[ProcessFunctions]:
    resources = Provisioner().provision(probe_template(tmp_path))
    started = ProcessFunctions(
        resources,
        endpoint_url="http://127.0.0.1:4566",
        operator={"ASTCA_ADMIN_ROLE": "boss"},
        concurrency=2,
    )
    started.start()
    try:
        yield started
    finally:
        started.stop()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_each_function_runs_in_a_process_of_its_own_with_exactly_its_own_environment(
    functions: ProcessFunctions,
) -> None:
    a, b = functions["ProbeA"].invoke({}), functions["ProbeB"].invoke({})

    assert len({a["pid"], b["pid"], os.getpid()}) == 3
    assert a["environ"] == functions["ProbeA"].environment  # nothing else, nothing of the parent's
    assert (a["environ"]["ONLY_A"], a["environ"]["COLOUR"], a["environ"]["SHARED"]) == (
        "a",
        "blue",
        "everyone",
    )
    assert "ONLY_B" not in a["environ"]
    assert "ONLY_A" not in b["environ"]
    assert b["environ"]["ONLY_B"] == "b"
    for seen in (a["environ"], b["environ"]):
        assert seen["ASTCA_ADMIN_ROLE"] == "boss"  # what the operator gave make run
        assert seen["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
        assert seen["AWS_ACCESS_KEY_ID"] == "testing"
        assert "PYTEST_CURRENT_TEST" not in seen
    assert a["environ"]["AWS_LAMBDA_FUNCTION_NAME"] == "astca-probe-a"
    assert a["environ"]["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"


def test_an_invocation_gets_a_lambda_context_with_its_own_request_id(functions: ProcessFunctions) -> None:
    probe = functions["ProbeA"]

    first, second = probe.invoke({}), probe.invoke({})

    assert first["pid"] == second["pid"]  # a warm worker serves the next invocation
    assert first["functionName"] == "astca-probe-a"
    assert first["arn"] == probe.arn
    assert first["memory"] == 256
    assert first["requestId"] != second["requestId"]
    assert 0 < first["remainingMillis"] <= 5000


def test_a_handler_that_raises_fails_its_invocation_and_keeps_its_worker(functions: ProcessFunctions) -> None:
    probe = functions["ProbeA"]
    pid = probe.invoke({})["pid"]

    with pytest.raises(FunctionError) as raised:
        probe.invoke({"action": "raise"})

    assert isinstance(raised.value, RuntimeError)  # the pollers count it as a failed invocation
    assert raised.value.error_type == "ValueError"
    assert raised.value.document["errorMessage"] == "told to raise"
    assert probe.invoke({})["pid"] == pid


def test_the_timeout_kills_the_worker_and_fails_as_lambda_does(functions: ProcessFunctions) -> None:
    probe = functions["ProbeB"]  # Timeout: 1
    pid = probe.invoke({})["pid"]
    began = time.monotonic()

    with pytest.raises(FunctionError) as raised:
        probe.invoke({"action": "sleep", "seconds": 30})

    assert time.monotonic() - began < 10
    assert raised.value.error_type == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in raised.value.document["errorMessage"]
    assert not alive(pid)
    assert probe.invoke({})["pid"] != pid  # a new worker


def test_a_worker_that_exits_fails_its_invocation_and_is_replaced(functions: ProcessFunctions) -> None:
    probe = functions["ProbeA"]
    pid = probe.invoke({})["pid"]

    with pytest.raises(FunctionError) as raised:
        probe.invoke({"action": "exit"})

    assert raised.value.error_type == "Runtime.ExitError"
    assert "exit status 3" in raised.value.document["errorMessage"]
    assert probe.invoke({})["pid"] != pid


def test_an_answer_that_is_not_json_is_lambdas_marshal_error(functions: ProcessFunctions) -> None:
    with pytest.raises(FunctionError) as raised:
        functions["ProbeA"].invoke({"action": "unmarshallable"})

    assert raised.value.error_type == "Runtime.MarshalError"


def test_a_function_that_cannot_import_fails_every_invocation_with_lambdas_init_error(
    functions: ProcessFunctions,
) -> None:
    for _ in range(2):  # the init is tried again, as Lambda does
        with pytest.raises(FunctionError) as raised:
            functions["Broken"].invoke({})
        assert raised.value.error_type == "Runtime.ImportModuleError"
        assert "a_module_nobody_wrote" in raised.value.document["errorMessage"]
    assert functions["Broken"].workers == 0
    assert functions["ProbeA"].invoke({})["pid"]  # the others are not affected


def test_a_function_gets_more_workers_under_concurrent_load_up_to_its_concurrency(
    functions: ProcessFunctions, tmp_path: Path
) -> None:
    probe, release = functions["ProbeA"], tmp_path / "release"

    with ThreadPoolExecutor(max_workers=3) as pool:
        held = [pool.submit(probe.invoke, {"action": "hold", "until": str(release)}) for _ in range(3)]
        wait_for(lambda: True if probe.workers == 2 else None, seconds=10, what="two busy workers")
        assert not any(future.done() for future in held)  # the third waits for a free worker
        release.touch()
        answers: list[Any] = [future.result(timeout=10) for future in held]

    assert probe.workers == 2  # concurrency=2
    assert len({answer["pid"] for answer in answers}) == 2


def test_warm_starts_one_worker_of_each_function_and_reports_the_broken(functions: ProcessFunctions) -> None:
    failures = functions.warm(["ProbeA", "ProbeB", "Broken"])

    assert set(failures) == {"Broken"}
    assert (functions["ProbeA"].workers, functions["ProbeB"].workers) == (1, 1)


def test_stop_kills_every_worker(functions: ProcessFunctions) -> None:
    pids = [functions["ProbeA"].invoke({})["pid"], functions["ProbeB"].invoke({})["pid"]]

    functions.stop()

    wait_for(lambda: True if not any(alive(pid) for pid in pids) else None, seconds=10, what="workers gone")
    with pytest.raises(FunctionError):
        functions["ProbeA"].invoke({})


def test_the_environment_can_be_overridden_until_a_worker_starts(functions: ProcessFunctions) -> None:
    functions.override_environment({"EXTRA": "yes"})
    assert functions["ProbeA"].invoke({})["environ"]["EXTRA"] == "yes"

    with pytest.raises(RuntimeError, match="already has a worker"):
        functions.override_environment({"EXTRA": "no"})


def test_release_idle_stops_the_idle_workers_and_the_next_invocation_starts_one(
    functions: ProcessFunctions,
) -> None:
    probe = functions["ProbeA"]
    first = probe.invoke({})["pid"]

    probe.release_idle()

    wait_for(lambda: True if not alive(first) else None, seconds=10, what="the idle worker gone")
    assert probe.workers == 0
    assert probe.invoke({})["pid"] != first  # a cold start, as Lambda after reclaiming the environment


def test_the_forkserver_freezes_what_it_preloaded_last() -> None:
    from multiprocessing import forkserver as server

    from local.processes import forkserver

    forkserver()
    preload = server._forkserver._preload_modules  # type: ignore[attr-defined]

    assert preload[-1] == "local.preloaded"  # after every other preloaded module: gc.freeze() sees them
    assert not any(module.startswith(("astca", "astca_fn_")) for module in preload)  # they read the env
