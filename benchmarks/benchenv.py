"""The benchmark's own virtualenv: DOP as locked (every workspace distribution, editable), plus the DAG
loaders it is compared with, dag-factory and gusty, from PyPI. They are never DOP's dependencies.

Built once with uv (seconds: packages come from uv's cache) under ``~/.cache/dop-bench/venv-<key>``,
the key hashing the locked requirements, the competitors' pins, this checkout's path and Python's
version; a ``.ready`` marker is written last, so a half-built virtualenv is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
from collections.abc import Callable

import common

#: the loaders DOP is compared with, at the versions of issue 21's measurements
COMPETITORS = ("dag-factory==1.1.0", "gusty==0.23.1")


def cache_dir() -> pathlib.Path:
    return pathlib.Path(os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache") / "dop-bench"


def _uv(*args: str) -> str:
    uv = shutil.which("uv")
    if not uv:
        raise SystemExit("the benchmark builds its virtualenv with uv: install it (pip install uv)")
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    result = subprocess.run([uv, *args], cwd=common.REPO, capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise SystemExit(f"uv {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result.stdout


def ensure(venv: pathlib.Path | None = None, say: Callable[[str], None] = print) -> pathlib.Path:
    """The Python executable of the benchmark's virtualenv, building it first if needed."""
    locked = _uv("export", "--frozen", "--all-packages", "--no-hashes", "--no-dev", "--quiet")
    key = hashlib.sha256(json.dumps([locked, COMPETITORS, common.REPO, sys.version_info[:2]]).encode()).hexdigest()[:12]
    venv = venv or cache_dir() / f"venv-{key}"
    python, marker = venv / "bin" / "python", venv / ".ready"
    if marker.is_file() and marker.read_text() == key and python.exists():
        return python
    say(f"building the benchmark's virtualenv {venv} (once): DOP's locked dependencies, {', '.join(COMPETITORS)}")
    if venv.exists():
        shutil.rmtree(venv)
    _uv("venv", "--quiet", "--python", sys.executable, str(venv))
    requirements = venv / "requirements.txt"
    requirements.write_text(locked)
    _uv("pip", "install", "--quiet", "--python", str(python), "-r", str(requirements), *COMPETITORS)
    marker.write_text(key)
    return python


if __name__ == "__main__":
    print(ensure(say=lambda message: print(message, file=sys.stderr)))
