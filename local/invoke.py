"""``make invoke FUNCTION=<LogicalId> EVENT=events/<file>.json``: one function on one event, without Docker.

As ``sam local invoke`` would, but on an in-process moto provisioned from the template: the function
gets its template environment, the handler runs once, the function's logs go to stderr and its
result (or Lambda's error document) to stdout as JSON.

Sample events live in ``events/`` and are named after the function's code directory:
``events/<dir>.json`` or ``events/<dir>.<variant>.json`` (``events/health.json`` is HealthFunction's,
because HealthFunction's CodeUri is ``functions/health/``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import Any

from local.aws_env import use_local_aws
from local.functions import LocalFunction, error_document
from local.resources import LocalResources, Provisioner
from local.template import ROOT, Template

EVENTS_DIR = ROOT / "events"


def invoke(resources: LocalResources, logical_id: str, event: dict[str, Any]) -> Any:
    """Run function ``logical_id`` of the provisioned template on ``event``; what its handler returned."""
    return LocalFunction(resources.template.functions[logical_id], resources).invoke(event)


def sample_events(template: Template, directory: Path = EVENTS_DIR) -> dict[Path, str]:
    """Each sample event file and the logical id of the function it is for (ValueError if none is)."""
    by_code_dir = {function.code_uri.name: logical_id for logical_id, function in template.functions.items()}
    samples: dict[Path, str] = {}
    for path in sorted(directory.glob("*.json")):
        code_dir = path.name.split(".", 1)[0]
        if code_dir not in by_code_dir:
            raise ValueError(f"{path.name}: no function has CodeUri functions/{code_dir}/")
        samples[path] = by_code_dir[code_dir]
    return samples


def main(argv: list[str] | None = None) -> int:
    """Provision moto in-process, run one function on one event, print the result."""
    parser = argparse.ArgumentParser(prog="python -m local.invoke", description=__doc__.splitlines()[0])
    parser.add_argument("function", help="the function's logical id in template.yaml, e.g. HealthFunction")
    parser.add_argument("event", help="a JSON event file, e.g. events/health.json ('-' reads stdin)")
    args = parser.parse_args(argv)
    template = Template.load()
    if args.function not in template.functions:
        parser.error(
            f"no function {args.function!r}; the template has {', '.join(sorted(template.functions))}"
        )
    text = sys.stdin.read() if args.event == "-" else Path(args.event).read_text(encoding="utf-8")
    event = json.loads(text)

    use_local_aws()
    from moto import mock_aws

    with mock_aws(), contextlib.redirect_stdout(sys.stderr):
        resources = Provisioner().provision(template, custom_resources=True)
        try:
            result = invoke(resources, args.function, event)
        except Exception as exc:  # noqa: BLE001 - reported the way Lambda reports it
            outcome, status = error_document(exc), 1
        else:
            outcome, status = result, 0
    print(json.dumps(outcome, indent=2, default=str))
    return status


if __name__ == "__main__":
    sys.exit(main())
