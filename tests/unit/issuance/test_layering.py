"""Who may import whom: issuance is an adapter (domain, settings, clock, ids, aws only), policy never loads issuance.

Each check imports the package in a fresh interpreter and looks at what ``sys.modules`` holds afterwards,
so an import anywhere down the chain counts, not just the lines at the top of the files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

LAYER = Path(__file__).resolve().parents[3] / "layers" / "common"
ISSUANCE = [
    "astca.issuance.certificates",
    "astca.issuance.der",
    "astca.issuance.device",
    "astca.issuance.hierarchy",
    "astca.issuance.kms",
    "astca.issuance.lint",
    "astca.issuance.session_keys",
]
POLICY = ["astca.policy.csr", "astca.policy.goodkey", "astca.policy.public_keys", "astca.policy.algorithms"]
PROFILE_DATA = ["astca.domain.profiles", "astca.domain.names", "astca.domain.der", "astca.domain.serials"]
ADAPTER_MAY_USE = (
    "astca.domain",
    "astca.issuance",
    "astca.settings",
    "astca.clock",
    "astca.ids",
    "astca.aws",
)


def loaded_after(modules: list[str]) -> set[str]:
    """The modules a fresh interpreter holds once it imported ``modules``."""
    code = f"import sys, json, {', '.join(modules)}\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(LAYER)},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout))


# What importing the package itself loads, whichever of its modules is imported (astca/__init__.py).
PACKAGE = {"astca", "astca.lazy_packages"}


def astca_modules(loaded: set[str]) -> set[str]:
    return {name for name in loaded if name == "astca" or name.startswith("astca.")} - PACKAGE


def test_issuance_loads_only_what_an_adapter_may_use() -> None:
    loaded = astca_modules(loaded_after(ISSUANCE))

    assert {name for name in loaded if not name.startswith(ADAPTER_MAY_USE)} == set()
    assert "astca.catalog" not in loaded


def test_policy_does_not_load_issuance() -> None:
    loaded = astca_modules(loaded_after(POLICY))

    assert {name for name in loaded if name.startswith("astca.issuance")} == set()


@pytest.mark.parametrize("module", PROFILE_DATA)
def test_profile_data_loads_no_cryptography_and_nothing_above_the_domain(module: str) -> None:
    loaded = loaded_after([module])

    assert {name for name in astca_modules(loaded) if not name.startswith("astca.domain")} == set()
    assert not [name for name in loaded if name.split(".")[0] == "cryptography"]
