"""`dop init`'s "Next:" lines are right for how DOP was installed, and work as printed (they are run here)."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import sysconfig

import pytest

from dop_core.cli.invocation import invocation
from dop_core.testing import clean_env

SCRIPTS = pathlib.Path(sysconfig.get_path("scripts"))
UV_VARIABLES = ("UV", "UV_RUN_RECURSION_DEPTH", "VIRTUAL_ENV")


def user_env(on_path: bool) -> dict[str, str]:
    """A shell's environment: this virtualenv's scripts on PATH (activated) or not, no `uv run` around."""
    env = {k: v for k, v in clean_env().items() if not k.startswith("PYTEST_") and k not in UV_VARIABLES}
    folders = [p for p in env.get("PATH", "").split(os.pathsep)
               if p and not (os.path.isdir(p) and os.path.samefile(p, SCRIPTS))]
    env["PATH"] = os.pathsep.join([str(SCRIPTS), *folders] if on_path else folders)
    return env


def init(cwd: pathlib.Path, env: dict[str, str], *args: str) -> list[str]:
    """Run `dop init` (as `python -m`, so that it never depends on PATH); return its Next lines, comments cut."""
    result = subprocess.run([sys.executable, "-m", "dop_core.cli.main", "init", *args, "--no-input", "--no-dbt"],
                            cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    steps = result.stdout.split("Next:\n", 1)[1].splitlines()
    return [line.split("   # ")[0].strip() for line in steps if line.startswith("  ")]


def shell(lines: list[str], cwd: pathlib.Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", " && ".join(lines)], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=900, check=False)


@pytest.mark.slow
def test_from_a_virtualenv_that_is_not_activated(tmp_path: pathlib.Path) -> None:
    """`/path/to/venv/bin/dop init shop`: activate that virtualenv, then `dop`. Every line but `dop airflow` runs."""
    env = user_env(on_path=False)
    lines = init(tmp_path, env, "shop")
    assert lines[:2] == ["cd shop", f"source {SCRIPTS / 'activate'}"]
    assert lines[2:] == ["dop run example_covid19 --date 2024-06-01", "dop validate", "dop airflow"]
    done = shell([line for line in lines if line != "dop airflow"], tmp_path, env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "OK: 1 DAG(s) valid" in done.stdout
    assert (tmp_path / "shop" / ".dop" / "warehouse.duckdb").is_file()


def test_from_the_dop_on_path(tmp_path: pathlib.Path) -> None:
    """An activated virtualenv, pipx, `uv tool install`: the `dop` on PATH is this one, so plain `dop`."""
    env = user_env(on_path=True)
    lines = init(tmp_path, env, str(tmp_path / "deep" / "shop"))
    assert lines == ["cd deep/shop", "dop run example_covid19 --date 2024-06-01", "dop validate", "dop airflow"]
    done = shell([lines[0], lines[2]], tmp_path, env)
    assert done.returncode == 0 and "OK: 1 DAG(s) valid" in done.stdout, done.stderr


def test_under_uv_run(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`uv run dop init demo` in a uv project: `uv run dop`, with --project when the new folder is outside it."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\nversion = '0'\n")
    monkeypatch.setenv("UV_RUN_RECURSION_DEPTH", "1")
    monkeypatch.setenv("VIRTUAL_ENV", str(tmp_path / ".venv"))
    assert invocation(tmp_path / "demo").command == "uv run dop"
    assert invocation(tmp_path.parent / "elsewhere").command == f"uv run --project {tmp_path} dop"


def test_under_uvx(monkeypatch: pytest.MonkeyPatch) -> None:
    """`uvx --from dop-core dop init demo`: the same uvx line, with what this environment holds."""
    for name in UV_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("UV", "/usr/local/bin/uv")
    monkeypatch.setattr(sys, "prefix", str(pathlib.Path.home() / ".cache" / "uv" / "archive-v0" / "Xyz123"))
    from dop_core.extras import GOOGLE_EXTRA

    core = "'dop-core[google]'" if not GOOGLE_EXTRA.missing() else "dop-core"
    assert invocation(pathlib.Path("demo")).command.startswith(f"uvx --from {core} ")
    assert invocation(pathlib.Path("demo")).command.endswith(" dop")
