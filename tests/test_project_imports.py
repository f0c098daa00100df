"""Every ``from tracker… / benchmarks… import name`` in the project resolves, including the
imports inside functions that no test reaches (benchmark scripts import lazily).

Parallel branches that move a module leave such imports behind: the merge is clean, the
suite passes, and the benchmark fails the day someone runs it. Nothing is executed here
beyond importing the named modules.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([*ROOT.glob("tracker/**/*.py"), *ROOT.glob("benchmarks/**/*.py")])


def _project_imports(path: Path) -> list[tuple[int, str, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] in ("tracker", "benchmarks"):
                found += [(node.lineno, node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [
                (node.lineno, alias.name, "")
                for alias in node.names
                if alias.name.split(".")[0] in ("tracker", "benchmarks")
            ]
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_project_import_resolves(path: Path) -> None:
    missing = []
    for line, module, name in _project_imports(path):
        try:
            imported = importlib.import_module(module)
        except ImportError as error:
            missing.append(f"{path.name}:{line}: {module} ({error})")
            continue
        if name and name != "*" and not hasattr(imported, name):
            try:  # a submodule imported by name (from tracker import core)
                importlib.import_module(f"{module}.{name}")
            except ImportError:
                missing.append(f"{path.name}:{line}: {module} has no {name}")
    assert not missing, "\n".join(missing)
