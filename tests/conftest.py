"""Shared fixtures of the core tests (the ``dop_core.testing`` plugin provides the public ones)."""

from __future__ import annotations

import pathlib
import shutil

import pytest

from dop_core.testing import missing_server, run_dop

REPO = pathlib.Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules with end-to-end (``slow``) tests first, each module's tests in their order: tox runs the tests
    on pytest-xdist workers a module at a time (``--dist loadfile``), and the long modules started first
    leave the short ones to fill the end, rather than one worker running a long module alone at the end."""
    slow = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DOP_TARGET", "DOP_PROJECT_DIR", "DOP_PLUGINS", "DOP_DISABLE_PLUGINS", "DOP_STRICT_PLUGINS"):
        monkeypatch.delenv(name, raising=False)



@pytest.fixture(scope="session")
def uv() -> str:
    """The ``uv`` command (on PATH)."""
    found = shutil.which("uv")
    if found is None:
        missing_server("uv (on PATH)", "run .ci/test-servers uv (it runs pip install uv)")
    return found


__all__ = ["REPO", "run_dop"]
