"""Helpers of the template tests (imported by the test modules and conftest.py)."""

from __future__ import annotations

import pathlib
import socket
import subprocess
import sys

from dop_core.testing import clean_env

REPO = pathlib.Path(__file__).resolve().parents[2]


def dop(
    *args: str,
    cwd: pathlib.Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 300,
    stdin: str | None = "",
) -> subprocess.CompletedProcess[str]:
    """Run ``dop`` as a user would (no terminal on stdin, so ``dop init`` asks nothing)."""
    full_env = clean_env()
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "dop_core.cli.main", *args],
        cwd=cwd,
        env=full_env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
