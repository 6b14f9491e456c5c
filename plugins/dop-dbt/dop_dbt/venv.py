"""The DOP-managed virtualenv dbt runs from: dbt's dependencies never meet Airflow's.

Created on first use from a pinned requirement, with ``uv`` when it is on PATH (seconds), else
``python -m venv`` + pip. One folder per requirement set (a hash of it), so changing the pin builds
a new one; a ``.dop-ready`` marker is written last, so a half-built virtualenv is rebuilt. A lock file
keeps two tasks from building the same one at once.

Where: ``plugins.dbt.venv`` (relative to the project), else ``$DOP_DBT_VENV_ROOT/<hash>``, else
``<project>/.dop/dbt-venv/<hash>``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import pathlib
import shutil
import subprocess
import sys
import time
from collections.abc import Callable

from dop_dbt.settings import ADAPTERS, DEFAULT_REQUIREMENT

log = logging.getLogger(__name__)

READY = ".dop-ready"


class VenvError(RuntimeError):
    """The dbt virtualenv could not be built; the message has the installer's output."""


def requirements_for(configured: list[str] | None, engine: str) -> list[str]:
    """What to install: the configured requirement (or the default), plus the engine's dbt adapter.

    For DuckDB the ``duckdb`` library is pinned to the version next to Airflow, so that dbt and
    DOP's native tasks read and write the warehouse file with one storage format.
    """
    from packaging.requirements import Requirement

    reqs = list(configured or [DEFAULT_REQUIREMENT])
    names = {Requirement(r).name.lower() for r in reqs}
    adapter = ADAPTERS.get(engine)
    if adapter and adapter not in names:
        reqs.append(adapter)
    if engine == "duckdb" and "duckdb" not in names:
        from importlib.metadata import PackageNotFoundError, version

        with contextlib.suppress(PackageNotFoundError):
            reqs.append(f"duckdb=={version('duckdb')}")
    return reqs


def key_of(requirements: list[str]) -> str:
    text = json.dumps({"python": f"{sys.version_info.major}.{sys.version_info.minor}",
                       "requirements": sorted(requirements)})
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def location(project_root: pathlib.Path, configured: str | None, requirements: list[str]) -> pathlib.Path:
    if configured:
        path = pathlib.Path(configured)
        return path if path.is_absolute() else project_root / path
    root = os.environ.get("DOP_DBT_VENV_ROOT")
    base = pathlib.Path(root).expanduser() if root else project_root / ".dop" / "dbt-venv"
    return base / key_of(requirements)


def executable(venv: pathlib.Path) -> pathlib.Path:
    return venv / ("Scripts/dbt.exe" if os.name == "nt" else "bin/dbt")


def _locked(path: pathlib.Path, timeout: float = 1800) -> contextlib.AbstractContextManager[int]:
    from dop_core import file_lock

    return file_lock(path, timeout, waiting=f"waiting for another task building the dbt virtualenv "
                     f"{path.with_suffix('')}", busy=f"another process kept building {path.with_suffix('')} "
                     f"for {timeout:.0f}s")


def ensure(venv: pathlib.Path, requirements: list[str], say: Callable[[str], None] = log.info) -> pathlib.Path:
    """The dbt executable of ``venv``, building the virtualenv first if it is missing or half-built."""
    marker = venv / READY
    wanted = json.dumps(sorted(requirements))
    if marker.is_file() and marker.read_text() == wanted and executable(venv).exists():
        return executable(venv)
    with _locked(venv.with_name(venv.name + ".lock")):
        if marker.is_file() and marker.read_text() == wanted and executable(venv).exists():
            return executable(venv)
        if venv.exists():
            shutil.rmtree(venv)
        say(f"Creating the dbt virtualenv {venv} with {', '.join(requirements)} (once; later runs reuse it)")
        started = time.monotonic()
        uv = shutil.which("uv")
        if uv:
            steps = [[uv, "venv", "--quiet", "--python", sys.executable, str(venv)],
                     [uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), *requirements]]
        else:
            steps = [[sys.executable, "-m", "venv", str(venv)],
                     [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                      *requirements]]
        for cmd in steps:
            result = subprocess.run(cmd, capture_output=True, text=True, check=False,
                                    env={k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"})
            if result.returncode != 0:
                raise VenvError(f"building the dbt virtualenv failed: {' '.join(cmd)} exited "
                                f"{result.returncode}:\n{(result.stdout + result.stderr)[-4000:]}\n"
                                "Check the requirement (plugins.dbt.requirement in dop_project.yml) and that "
                                "the package index is reachable, or set plugins.dbt.executable to a dbt you "
                                "installed yourself.")
        if not executable(venv).exists():
            raise VenvError(f"{venv} has no dbt command after installing {', '.join(requirements)}: "
                            "the requirement must include dbt-core")
        marker.write_text(wanted)
        say(f"dbt virtualenv ready in {time.monotonic() - started:.0f}s")
    return executable(venv)
