"""Shared fixtures of the core tests (the ``dop_core.testing`` plugin provides the public ones)."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DOP_TARGET", "DOP_PROJECT_DIR", "DOP_PLUGINS", "DOP_DISABLE_PLUGINS", "DOP_STRICT_PLUGINS"):
        monkeypatch.delenv(name, raising=False)


def run_dop(*args: str, cwd: pathlib.Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the installed ``dop`` command as a user would."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DOP_")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "dop_core.cli.main", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout, check=False)
