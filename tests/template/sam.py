"""aws-sam-cli, run in the background: `sam validate --lint` and the SAM transform of template.yaml.

aws-sam-cli lives in its own virtual environment (it pins its own boto3), found through ``SAM_CLI``
(the Makefile sets ``.venv-sam/bin/sam``; a path relative to the repository, or a name on PATH) or at
``.venv-sam/bin/sam``. The transform runs the SAM translator in sam's own interpreter, since the test
environment does not have it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.template.cfn import ROOT, TEMPLATE_PATH

REGION = "eu-central-1"
DEFAULT_SAM_CLI = ".venv-sam/bin/sam"
TIMEOUT_SECONDS = 180

# Runs in sam's interpreter: prints the SAM-transformed template as JSON. Local code locations
# become S3 URIs first, as `sam package` would make them; the translator accepts nothing else.
TRANSFORM_SCRIPT = """
import json, sys
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

class NoManagedPolicyNames:
    def load(self):
        raise RuntimeError("the template names a managed policy by name; name it by ARN")

with open(sys.argv[1], encoding="utf-8") as stream:
    template = yaml_parse(stream.read())
for resource in template.get("Resources", {}).values():
    for key in ("CodeUri", "ContentUri"):
        if key in resource.get("Properties", {}):
            resource["Properties"][key] = "s3://astca-artifacts/" + key
print(json.dumps(transform(template, {}, NoManagedPolicyNames())))
"""


@dataclass
class Background:
    """A command started in the background; ``result`` waits for it once and keeps the answer."""

    args: list[str]
    process: subprocess.Popen[str]
    _result: tuple[int, str, str] | None = field(default=None, init=False)

    @classmethod
    def start(cls, args: list[str], env: dict[str, str]) -> Background:
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        return cls(args, process)

    def result(self) -> tuple[int, str, str]:
        """The exit status, standard output and standard error (waits up to TIMEOUT_SECONDS)."""
        if self._result is None:
            stdout, stderr = self.process.communicate(timeout=TIMEOUT_SECONDS)
            self._result = (self.process.returncode, stdout, stderr)
        return self._result

    def stop(self) -> None:
        """End the command if it still runs."""
        if self._result is None:
            if self.process.poll() is None:
                self.process.kill()
            self.process.communicate()


@dataclass(frozen=True)
class SamRuns:
    """The session's runs of aws-sam-cli, or why there are none."""

    validate: Background | None = None
    transform: Background | None = None
    missing: str = ""

    skipped: bool = False

    def required(self) -> tuple[Background, Background]:
        """Both runs; without sam the calling test fails (skips with ``ASTCA_SKIP_SAM=1``)."""
        if self.validate is None or self.transform is None:
            if self.skipped:
                pytest.skip(f"ASTCA_SKIP_SAM=1: {self.missing}")
            pytest.fail(
                f"{self.missing}; run `make .venv-sam/.installed` (or set SAM_CLI), "
                "or set ASTCA_SKIP_SAM=1 to skip the sam checks"
            )
        return self.validate, self.transform

    def transformed_template(self) -> dict[str, Any]:
        """The template as the SAM translator turns it into CloudFormation."""
        _, transform = self.required()
        status, stdout, stderr = transform.result()
        assert status == 0, f"SAM transform failed:\n{stderr}"
        template: dict[str, Any] = json.loads(stdout)
        return template

    def stop(self) -> None:
        """End the runs that still run."""
        for run in (self.validate, self.transform):
            if run is not None:
                run.stop()


def find_sam_cli(environ: Mapping[str, str]) -> Path | None:
    """The sam executable named by ``SAM_CLI`` (else the default), if it exists."""
    configured = environ.get("SAM_CLI") or DEFAULT_SAM_CLI
    path = Path(configured)
    if not path.is_absolute():
        on_path = shutil.which(configured) if os.sep not in configured else None
        path = Path(on_path) if on_path else ROOT / path
    return path if path.is_file() and os.access(path, os.X_OK) else None


def sam_python(sam: Path) -> Path | None:
    """The interpreter of ``sam`` (its venv's python, or its script's shebang): it has samtranslator."""
    sibling = sam.parent / "python"
    if sibling.exists():
        return sibling
    with sam.open("rb") as stream:
        first_line = stream.readline(200)
    if first_line.startswith(b"#!"):
        interpreter = Path(first_line[2:].decode(errors="replace").strip().split(" ")[0])
        if interpreter.exists():
            return interpreter
    return None


def start(environ: Mapping[str, str]) -> SamRuns:
    """Start both runs of sam, or say why they cannot run."""
    if environ.get("ASTCA_SKIP_SAM") == "1":
        return SamRuns(missing="the sam checks were not run", skipped=True)
    sam = find_sam_cli(environ)
    python = sam_python(sam) if sam else None
    if sam is None or python is None:
        wanted = environ.get("SAM_CLI") or DEFAULT_SAM_CLI
        return SamRuns(missing=f"aws-sam-cli not found (SAM_CLI or {DEFAULT_SAM_CLI}: {wanted})")
    env = {**environ, "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}
    return SamRuns(
        validate=Background.start([str(sam), "validate", "--lint", "--region", REGION], env),
        transform=Background.start([str(python), "-c", TRANSFORM_SCRIPT, str(TEMPLATE_PATH)], env),
    )
