"""Helpers of the packaging tests (imported by the test modules and conftest.py)."""

from __future__ import annotations

import os
import pathlib
import subprocess

from dop_core.testing import clean_env

REPO = pathlib.Path(__file__).resolve().parents[2]
#: the distributions of the workspace, by the folder that holds each one's pyproject.toml
DISTRIBUTIONS = {
    "dop-core": REPO,
    "dop-dbt": REPO / "plugins" / "dop-dbt",
    "dop-spark": REPO / "plugins" / "dop-spark",
    "dop-egress": REPO / "plugins" / "dop-egress",
    "dop-postgres": REPO / "contrib" / "dop-postgres",
    "dop-hello": REPO / "contrib" / "dop-hello",
}


def run(cmd: list[str | os.PathLike[str]], cwd: pathlib.Path | None = None, env: dict[str, str] | None = None,
        check: bool = True, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """Run a command without the tests' own environment variables; with ``check``, fail the test (showing
    its output) unless it succeeds."""
    full_env = {k: v for k, v in clean_env().items() if not k.startswith(("VIRTUAL_ENV", "UV_PROJECT", "UV_RUN", "PYTEST_"))}
    full_env.update(env or {})
    result = subprocess.run([str(c) for c in cmd], cwd=cwd, env=full_env, capture_output=True, text=True,
                            timeout=timeout, check=False)
    if check:
        assert result.returncode == 0, f"{cmd}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result


def artifacts(dist: pathlib.Path, name: str) -> tuple[pathlib.Path, pathlib.Path]:
    """The (wheel, sdist) of distribution ``name`` in ``dist``."""
    stem = name.replace("-", "_")
    (wheel,) = dist.glob(f"{stem}-*.whl")
    (sdist,) = dist.glob(f"{stem}-*.tar.gz")
    return wheel, sdist
