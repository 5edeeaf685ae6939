"""No module of logbook/ uses another module's private (`_underscored`) name: what another module
needs is public and named for what it is (docs/architecture.md, "Layers"). The import layers
themselves are checked by import-linter in `make lint` ([tool.importlinter] in pyproject.toml)."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "logbook"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def private_uses(source: str, module: str, is_package: bool = False) -> list[str]:
    """Every use in `source` (the text of `module`) of a private name of another logbook module:
    `from logbook.x import _name`, and `x._name` where `x` is an imported logbook module."""
    found: list[str] = []
    aliases: dict[str, str] = {}  # local name -> the logbook module it stands for
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("logbook") and alias.asname:
                    aliases[alias.asname] = alias.name
        elif isinstance(node, ast.ImportFrom):
            target = _absolute(node, module, is_package)
            if not target.startswith("logbook") or target == module:
                continue
            for alias in node.names:
                if _is_private(alias.name):
                    found.append(f"{module}:{node.lineno} imports {target}.{alias.name}")
                elif _is_module(f"{target}.{alias.name}"):
                    aliases[alias.asname or alias.name] = f"{target}.{alias.name}"
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and aliases[node.value.id] != module
            and _is_private(node.attr)
        ):
            found.append(f"{module}:{node.lineno} uses {aliases[node.value.id]}.{node.attr}")
    return found


def test_no_module_uses_another_modules_private_names():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        found += private_uses(path.read_text(), _module_name(path), path.name == "__init__.py")
    assert found == []


@pytest.mark.parametrize(
    "source",
    [
        "from logbook.portfolio.service import _entries",
        "from .service import _hours",
        "from logbook.insights import service\nservice._result(1)",
        "from logbook.insights import service as s\ns._result",
        "import logbook.insights.service as s\ns._result",
    ],
)
def test_the_check_finds_a_private_name_used_across_modules(source):
    assert private_uses(source, "logbook.portfolio.regulators") != []


@pytest.mark.parametrize(
    "source",
    [
        "from logbook.portfolio.service import entries_in_period",
        "from logbook.insights import service\nservice.result(1)\nservice.__name__",
        "def _mine():\n    return 1\n_mine()",
        "from logbook.accounts.models import User\nUser._sa_class_manager",  # a class, not a module
    ],
)
def test_the_check_allows_public_names_and_a_modules_own(source):
    assert private_uses(source, "logbook.portfolio.regulators") == []
