"""Shared fixtures of the core tests (the ``dop_core.testing`` plugin provides the public ones)."""

from __future__ import annotations

import pathlib
import shutil

import pytest

from dop_core.testing import missing_server, run_dop

REPO = pathlib.Path(__file__).resolve().parents[1]


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
