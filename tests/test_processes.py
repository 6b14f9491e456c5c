"""The guard ``dop airflow`` runs each Airflow component under: its whole process tree stops with it, when
told to (SIGTERM) and when its parent dies (even by SIGKILL), SIGKILL for whatever ignores SIGTERM."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from proctree import alive, below, running, wait_for

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signals are Linux's")

PARENT = textwrap.dedent("""
    import os, subprocess, sys, time
    from dop_core.cli.processes import PARENT_PID, guarded
    command = ["sh", "-c", sys.argv[1]]
    guard = subprocess.Popen(guarded(command, 2.0), env={**os.environ, PARENT_PID: str(os.getpid())},
                             start_new_session=True)
    print(guard.pid, flush=True)
    time.sleep(600)
""")


def start(script: str) -> tuple[subprocess.Popen[str], int, str]:
    """A parent process running ``script`` under a guard; returns it, the guard's PID and the sleeps' mark."""
    mark = f"sleep 7{secrets.randbelow(10**6):06d}"
    parent = subprocess.Popen([sys.executable, "-c", PARENT, script.replace("SLEEP", mark)],
                              stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    guard = int(parent.stdout.readline())
    wait_for(lambda: len(running(mark)) == 2, 30, f"two `{mark}` below the guard")
    return parent, guard, mark


def stop(parent: subprocess.Popen[str]) -> None:
    parent.kill()
    parent.wait()
    assert parent.stdout is not None
    parent.stdout.close()


@pytest.mark.parametrize("script", ["SLEEP & SLEEP & wait", "trap '' TERM; SLEEP & SLEEP & wait"],
                         ids=["stops-on-sigterm", "ignores-sigterm"])
def test_killing_the_parent_stops_the_guarded_tree(script):
    parent, guard, mark = start(script)
    tree = below(guard)
    assert len(tree) == 4  # guard, sh, two sleeps
    stop(parent)
    started = time.monotonic()
    wait_for(lambda: not alive(tree), 20, f"still running: {alive(tree)}")
    assert not running(mark)  # none re-parented to init either
    assert time.monotonic() - started < 2.0 + 5  # the grace, then SIGKILL


def test_sigterm_to_the_guard_stops_its_tree_and_it_exits():
    parent, guard, mark = start("SLEEP & SLEEP & wait")
    tree = below(guard)
    try:
        os.kill(guard, signal.SIGTERM)
        wait_for(lambda: not alive(tree), 20, f"still running: {alive(tree)}")
        assert not running(mark)
    finally:
        stop(parent)
