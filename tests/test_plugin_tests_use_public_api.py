"""A plugin's tests, like its code, reach DOP's core only through its public API (``dop_core`` and
``dop_core.testing``): the same wall import-linter keeps for the plugins' packages (pyproject.toml)."""

from __future__ import annotations

import ast
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
PUBLIC = {"dop_core", "dop_core.testing"}


def _internal_imports(path: pathlib.Path) -> list[str]:
    """``file:line: module`` of each import of a dop_core module outside the public API."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else \
            [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        found += [f"{path.relative_to(REPO)}:{node.lineno}: {module}" for module in modules
                  if module.split(".")[0] == "dop_core" and module not in PUBLIC]
    return found


TEST_FILES = sorted(p for folder in ("plugins", "contrib") for p in (REPO / folder).glob("*/tests/**/*.py"))


def test_there_are_plugin_tests_to_check() -> None:
    assert len(TEST_FILES) > 10


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_a_plugins_tests_import_only_dops_public_api(path: pathlib.Path) -> None:
    assert _internal_imports(path) == [], "import these from dop_core or dop_core.testing (add them there if missing)"
