"""One figure of `make bench`, the table it prints, and the files it writes (bench/RESULTS.md, bench/results.json).

Every bench module gives ``figures() -> list[Figure]`` and a ``HOW`` paragraph (how its figures are
made). A figure is one median (or count) with its unit and, where the project has one, its target;
``meets`` compares the two (``None`` where a figure is context, such as a baseline or cfssl).
``results.json`` holds one object per figure, so a script can compare two runs.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

HERE = Path(__file__).resolve().parent
Comparison = Literal["<=", ">="]
PACKAGES = (
    "boto3",
    "botocore",
    "moto",
    "cryptography",
    "aws-lambda-powertools",
    "pydantic",
    "pyjwt",
    "pkilint",
)


@dataclass(frozen=True)
class Figure:
    """One measured figure: what (``figure``), of what (``subject``), its value, unit and target."""

    figure: str
    subject: str
    value: float
    unit: str
    target: float | None = None
    comparison: Comparison = "<="
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def meets(self) -> bool | None:
        """Whether the value reaches the target (None without one)."""
        if self.target is None:
            return None
        return self.value <= self.target if self.comparison == "<=" else self.value >= self.target

    def as_json(self) -> dict[str, Any]:
        """The figure as results.json holds it."""
        return {**asdict(self), "meets": self.meets}


def table(figures: Sequence[Figure]) -> str:
    """The figures as one Markdown table."""
    lines = ["| figure | subject | value | unit | target | meets | detail |", "|---|---|---|---|---|---|---|"]
    for f in figures:
        target = "" if f.target is None else f"{f.comparison} {f.target:g}"
        meets = {None: "", True: "yes", False: "**no**"}[f.meets]
        detail = ", ".join(f"{k} {_short(v)}" for k, v in f.detail.items())
        lines.append(f"| {f.figure} | {f.subject} | {f.value:g} | {f.unit} | {target} | {meets} | {detail} |")
    return "\n".join(lines)


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_short(v)}" for k, v in value.items()) + "}"
    return str(value)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    memory_kb = 0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        first = meminfo.read_text().splitlines()[0]
        memory_kb = int(first.split()[1])
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        model = next(
            (
                line.split(":", 1)[1].strip()
                for line in cpuinfo.read_text().splitlines()
                if line.startswith("model name")
            ),
            "",
        )
    versions = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    versions["cfssl"] = cfssl_version()
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "system": f"{platform.system()} {platform.release()} {platform.machine()}",
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "load_average_at_start": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "versions": versions,
    }


def cfssl_version() -> str:
    """cfssl's version line, or "not installed"."""
    binary = shutil.which("cfssl")
    if binary is None:
        return "not installed"
    out = subprocess.run([binary, "version"], capture_output=True, text=True, check=False).stdout
    return out.splitlines()[0].removeprefix("Version: ").strip() if out else "unknown"


def write(figures: Sequence[Figure], how: Iterable[tuple[str, str]], started: float, ended: float) -> None:
    """Write bench/results.json and bench/RESULTS.md."""
    about = machine()
    (HERE / "results.json").write_text(
        json.dumps({"machine": about, "figures": [f.as_json() for f in figures]}, indent=2) + "\n"
    )
    versions = ", ".join(f"{name} {version}" for name, version in about["versions"].items())
    sections = "\n\n".join(f"### {title}\n\n{text.strip()}" for title, text in how)
    missed = [f for f in figures if f.meets is False]
    summary = (
        "Every target is met."
        if not missed
        else "Missed: "
        + "; ".join(
            f"{f.figure} {f.subject} {f.value:g} {f.unit} (target {f.comparison} {f.target:g})"
            for f in missed
        )
    )
    (HERE / "RESULTS.md").write_text(
        f"""# Benchmark results

Written by `make bench` ({ended - started:.0f} s). Medians of repeated samples, every side of a
comparison measured in the same run. `results.json` beside this file holds the same figures, one
object each (`figure`, `subject`, `value`, `unit`, `target`, `meets`).

- Date: {about["date"]}
- Machine: {about["system"]}, {about["cpu"]}, {about["cores"]} cores, {about["memory_gb"]} GB; load average at start {about["load_average_at_start"]}
- Versions: {versions}
- Command: `{" ".join([Path(sys.executable).name, "-m", "bench", *sys.argv[1:]])}`

{summary}

{table(figures)}

## How each figure is made

{sections}
"""
    )
