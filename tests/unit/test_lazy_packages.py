"""A deferred package answers every name its ``__init__`` would, loading only the module that defines it."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from astca import lazy_packages

LAYER = Path(__file__).resolve().parents[2] / "layers" / "common"
NAMES = """
import importlib, json, sys
package = importlib.import_module(sys.argv[1])
print(json.dumps({
    name: f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', name)}"
    for name in package.__all__
    for value in [getattr(package, name)]
}))
"""


def names_in_fresh_interpreter(package: str, *, astca_first: bool) -> dict[str, str]:
    """Each name of ``package.__all__`` and where the object it names is defined, seen in a new process."""
    code = ("import astca\n" if astca_first else "") + NAMES
    result = subprocess.run(
        [sys.executable, "-c", code, package],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(LAYER)},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    names: dict[str, str] = json.loads(result.stdout)
    return names


@pytest.mark.parametrize("package", lazy_packages.PACKAGES)
def test_a_deferred_powertools_package_names_what_its_init_names(package: str) -> None:
    assert names_in_fresh_interpreter(package, astca_first=True) == names_in_fresh_interpreter(
        package, astca_first=False
    )


def make_package(root: Path, init: str) -> None:
    (root / "lazypkg").mkdir()
    (root / "lazypkg" / "__init__.py").write_text(init)
    (root / "lazypkg" / "heavy.py").write_text("class Heavy:\n    pass\n")
    (root / "lazypkg" / "light.py").write_text("LIGHT = 1\n")
    (root / "lazypkg" / "marker.py").write_text("def marker():\n    return 'the function'\n")


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory on sys.path whose package ``lazypkg`` is forgotten after the test."""
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [name for name in sys.modules if name == "lazypkg" or name.startswith("lazypkg.")]:
        del sys.modules[name]


def test_a_deferred_package_imports_a_module_only_for_the_name_asked_of_it(isolated: Path) -> None:
    make_package(
        isolated,
        '"""A package."""\nfrom .heavy import Heavy\nfrom .light import LIGHT as Light\n'
        'from .marker import marker\n__all__ = ["Heavy", "Light", "marker"]\n',
    )

    lazy_packages.defer("lazypkg")
    lazypkg = importlib.import_module("lazypkg")

    assert "lazypkg.heavy" not in sys.modules
    assert lazypkg.Light == 1
    assert "lazypkg.heavy" not in sys.modules
    assert lazypkg.Heavy.__module__ == "lazypkg.heavy"
    assert lazypkg.marker() == "the function"  # a name that is also a module's name is the name
    assert lazypkg.__all__ == ["Heavy", "Light", "marker"]
    with pytest.raises(AttributeError):
        _ = lazypkg.missing


def test_a_package_whose_init_does_more_than_import_loads_as_it_is(isolated: Path) -> None:
    make_package(isolated, "from .light import LIGHT\nVALUE = LIGHT + 1\n")

    lazy_packages.defer("lazypkg")

    assert "lazypkg" not in sys.modules
    assert importlib.import_module("lazypkg").VALUE == 2


def test_a_package_already_imported_stays_as_it_is(isolated: Path) -> None:
    make_package(isolated, "from .heavy import Heavy\n")
    lazypkg = importlib.import_module("lazypkg")

    lazy_packages.defer("lazypkg")

    assert sys.modules["lazypkg"] is lazypkg
    assert "lazypkg.heavy" in sys.modules
