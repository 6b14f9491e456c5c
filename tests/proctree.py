"""Processes as /proc shows them, for tests that stop process trees: who is below whom, who is still alive.

A process is known by its PID and its start time (PIDs are reused); zombies count as gone.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def processes() -> dict[int, tuple[int, int, str]]:
    """``pid -> (parent pid, start time, command line)`` of every live (non-zombie) process."""
    found = {}
    for proc in pathlib.Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z":
            found[int(proc.name)] = (int(fields[1]), int(fields[19]), cmdline)
    return found


def below(root: int) -> set[tuple[int, int]]:
    """``(pid, start time)`` of ``root`` and every process below it."""
    table = processes()
    found, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if pid in table:
            found.add((pid, table[pid][1]))
            todo += [child for child, (parent, _, _) in table.items() if parent == pid]
    return found


def alive(known: set[tuple[int, int]]) -> list[str]:
    """The command lines of the processes of ``known`` still running."""
    table = processes()
    return [table[pid][2] for pid, start in known if pid in table and table[pid][1] == start]


def running(command: str) -> set[tuple[int, int]]:
    """``(pid, start time)`` of every process anywhere whose command line is ``command``."""
    return {(pid, start) for pid, (_, start, cmdline) in processes().items() if cmdline == command}


def wait_for(probe: Callable[[], T], timeout: float, what: str) -> T:
    """Poll ``probe`` until it returns something true; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"after {timeout:.0f}s: {what}")
        time.sleep(0.2)


class DopRun:
    """`dop run DAG` (by default the stop tests' `naps`) in its own process group, as a terminal starts it, its
    output collected in a file; in :func:`dop_core.testing.clean_env`, or ``env``."""

    def __init__(self, root: pathlib.Path, date: str, conf: str = "{}", env: dict[str, str] | None = None,
                 dag: str = "naps"):
        from dop_core.testing import clean_env

        self.root, self.date = root, date
        self.out = root.parent / f"dop-run-{date}-{os.urandom(3).hex()}.out"
        with open(self.out, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "dop_core.cli.main", "run", dag, "--date", date, "--conf", conf],
                cwd=root, env=clean_env() if env is None else env, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True)

    def output(self) -> str:
        return self.out.read_text(errors="replace")

    def wait_for_output(self, text: str, timeout: float = 240) -> None:
        wait_for(lambda: text in self.output() or self.proc.poll() is not None, timeout, f"{text!r} in the output")
        assert text in self.output(), self.output()

    def finish(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            raise AssertionError(f"dop run did not exit within {timeout}s:\n{self.output()}") from None
