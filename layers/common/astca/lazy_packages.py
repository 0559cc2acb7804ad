"""Powertools' catch-all package initialisers, made lazy: a function loads only the modules it uses.

Importing any module of ``aws_lambda_powertools.event_handler`` first runs its ``__init__``, which
imports every resolver (AppSync's brings asyncio); ``aws_lambda_powertools.utilities.data_classes``
imports every event class. An HTTP function uses one resolver and one event class; the rest would
cost it some 15-20 ms of its cold start. ``defer`` registers such a package without running its
``__init__``: importing one of its modules runs only that module, and a name the ``__init__`` would
have imported is imported from the module that defines it on first use (PEP 562), the very same
object. A package is deferred only while its ``__init__`` holds nothing but relative imports and
``__all__``, and only if nothing has imported it yet; otherwise it loads as it always did.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import os
import sys
from pathlib import Path

PACKAGES = ("aws_lambda_powertools.event_handler", "aws_lambda_powertools.utilities.data_classes")


def defer_all() -> None:
    """Defer each of ``PACKAGES``."""
    for name in PACKAGES:
        defer(name)


def defer(name: str) -> None:
    """Register package ``name`` so that its ``__init__`` imports what is asked of it, when it is asked."""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None or spec.submodule_search_locations is None:
        return
    found = _exports(name, Path(spec.origin))
    if found is None:
        return
    exports, declared = found
    package = importlib.util.module_from_spec(spec)

    def export(attribute: str) -> object:
        if attribute not in exports:
            raise AttributeError(f"module {name!r} has no attribute {attribute!r}")
        module, original = exports[attribute]
        value = getattr(importlib.import_module(module), original)
        setattr(package, attribute, value)
        return value

    package.__dict__["__getattr__"] = export
    package.__dict__["__all__"] = declared
    sys.modules[name] = package
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, package)
    # A name that is also a module's name (data_classes' event_source) is bound now: importing that
    # module later would otherwise leave the module, not the name, on the package.
    entries = {entry for location in spec.submodule_search_locations for entry in os.listdir(location)}
    for attribute in sorted(exports):
        if f"{attribute}.py" in entries or attribute in entries:
            export(attribute)


def _exports(name: str, init: Path) -> tuple[dict[str, tuple[str, str]], list[str]] | None:
    """What ``init`` imports (name -> module and name there) and its ``__all__``; None if it does more."""
    exports: dict[str, tuple[str, str]] = {}
    declared: list[str] | None = None
    body = ast.parse(init.read_text(encoding="utf-8")).body
    for statement in body:
        if isinstance(statement, ast.ImportFrom) and statement.module and statement.level <= 1:
            module = f"{name}.{statement.module}" if statement.level else statement.module
            if not module.startswith(f"{name}.") or any(alias.name == "*" for alias in statement.names):
                return None
            exports.update({alias.asname or alias.name: (module, alias.name) for alias in statement.names})
        elif isinstance(statement, ast.Assign) and _assigns_all(statement):
            declared = [str(item) for item in ast.literal_eval(statement.value)]
        elif not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)):
            return None  # code other than imports, __all__ and the docstring: the package loads as it is
    return exports, sorted(exports) if declared is None else declared


def _assigns_all(statement: ast.Assign) -> bool:
    return [getattr(target, "id", None) for target in statement.targets] == ["__all__"]
