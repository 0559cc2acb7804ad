"""Fixtures of the template tests: the template as data, and aws-sam-cli's runs, once per session.

sam's runs start in the background when the first template test starts, so they overlap with the
in-process tests; the tests that need their results wait for them (see tests/template/sam.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.template import sam
from tests.template.cfn import load_template


@pytest.fixture(scope="session", autouse=True)
def sam_runs() -> Iterator[sam.SamRuns]:
    """`sam validate --lint` and the SAM transform, started once, stopped at the end if still running."""
    runs = sam.start(dict(os.environ))
    try:
        yield runs
    finally:
        runs.stop()


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    """template.yaml as data, short tags in their long form (read-only)."""
    return load_template()
