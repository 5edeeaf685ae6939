"""The test suite's own layers (docs/testing.md): builders live in tests/factories.py, readers in
tests/helpers.py, a directory's helpers in a plain module beside its tests, and fixtures in conftests
that pytest finds by itself. No module of tests/ imports a conftest: a fixture imported from another
directory's conftest silently becomes that directory's fixture too (autouse ones included), and a
helper kept in a conftest is found only by whoever knows where to look."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def conftest_imports(source: str) -> list[str]:
    """The conftest modules a module's source imports, at any depth (functions included)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            names = [a.name for a in node.names]
            if module.split(".")[-1] == "conftest":
                found.append(module)
            elif "conftest" in names:  # from tests.supervision import conftest
                found.append(f"{module}.conftest")
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[-1] == "conftest"]
    return found


def test_the_check_sees_every_way_of_importing_a_conftest() -> None:
    source = (
        "from tests.conftest import persist\n"
        "from tests.supervision import conftest\n"
        "import tests.e2e.conftest\n"
        "def f():\n    from .conftest import x\n"
        "from tests.factories import persist\n"
    )
    assert conftest_imports(source) == [
        "tests.conftest",
        "tests.supervision.conftest",
        "tests.e2e.conftest",
        ".conftest",
    ]


def test_no_test_module_imports_a_conftest() -> None:
    offenders = {
        str(path.relative_to(TESTS.parent)): found
        for path in sorted(TESTS.rglob("*.py"))
        if (found := conftest_imports(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}, (
        "import builders from tests.factories, readers from tests.helpers, and let pytest find "
        f"fixtures (move a fixture several directories share to tests/conftest.py): {offenders}"
    )
