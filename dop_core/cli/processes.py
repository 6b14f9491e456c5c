"""Process trees that stop whole: children that die with their parent, nothing left re-parented to init.

Used by ``dop run`` (its runner child) and ``dop airflow`` (its four components):

- :func:`die_with_parent`: the kernel signals this process when its parent exits, even on SIGKILL
  (Linux ``PR_SET_PDEATHSIG``; elsewhere nothing happens);
- :func:`adopt_orphans`: orphaned descendants are re-parented to this process instead of init, so
  they stay findable below it (Linux ``PR_SET_CHILD_SUBREAPER``);
- :func:`stop_processes`: SIGTERM, a grace period, then SIGKILL for whatever is left;
- ``python -m dop_core.cli.processes --grace N -- COMMAND...``: a guard that runs COMMAND and stops its whole
  tree when told to (SIGTERM/SIGINT) or when the guard's parent dies.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from typing import Any

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
#: the environment variable a guarded child reads its parent's PID from (see :func:`die_with_parent`)
PARENT_PID = "DOP_PARENT_PID"


def _prctl(option: int, value: int) -> bool:
    """``prctl(option, value)``; False where there is no prctl (not Linux) or it failed."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    return bool(libc.prctl(option, value, 0, 0, 0) == 0)


def die_with_parent(sig: int = signal.SIGTERM) -> None:
    """Have the kernel send ``sig`` to this process when its parent exits.

    The parent may already be gone when this runs (it died between starting us and now): if it set
    :data:`PARENT_PID` in our environment and our parent is no longer that process, ``sig`` is sent at once.
    """
    if not _prctl(PR_SET_PDEATHSIG, int(sig)):
        return
    expected = os.environ.get(PARENT_PID, "")
    if expected.isdigit() and os.getppid() != int(expected):
        os.kill(os.getpid(), sig)


def parent_alive() -> bool:
    """Whether the process that started us (:data:`PARENT_PID`) is still our parent."""
    expected = os.environ.get(PARENT_PID, "")
    return not expected.isdigit() or os.getppid() == int(expected)


def adopt_orphans() -> None:
    """Make this process the reaper of its orphaned descendants (they are not re-parented to init)."""
    _prctl(PR_SET_CHILD_SUBREAPER, 1)


def descendants(pid: int | None = None) -> list[Any]:
    """The live processes below ``pid`` (default: this process), as ``psutil.Process`` objects."""
    import psutil

    try:
        return list(psutil.Process(pid or os.getpid()).children(recursive=True))
    except psutil.Error:
        return []


def stop_processes(processes: Iterable[Any], grace: float) -> None:
    """SIGTERM each of ``processes`` (``psutil.Process``), wait up to ``grace`` seconds, SIGKILL the rest."""
    import psutil

    procs = list(processes)
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.terminate()
    _, alive = psutil.wait_procs(procs, timeout=grace)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(alive, timeout=5)


def _guard(command: Sequence[str], grace: float) -> int:
    """Run ``command`` until it exits, or until SIGTERM/SIGINT (or the death of our parent) asks us to stop:
    then SIGTERM it, wait ``grace`` seconds, and SIGKILL everything still below us."""
    stop: list[int] = []

    def request_stop(signum: int, _frame: object) -> None:
        stop.append(signum)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, request_stop)
    die_with_parent(signal.SIGTERM)
    adopt_orphans()
    if stop:
        return 128 + stop[0]
    env = {k: v for k, v in os.environ.items() if k != PARENT_PID}
    child = subprocess.Popen(list(command), env=env, preexec_fn=_child_dies_with_guard)  # one thread: safe
    while child.poll() is None and not stop:
        time.sleep(0.2)
    if stop and child.poll() is None:
        with contextlib.suppress(ProcessLookupError):  # the command's own clean shutdown first: SIGTERM to
            os.killpg(os.getpgrp(), signal.SIGTERM)  # our group, as a terminal's Ctrl-C reaches a whole job
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=grace)
    stop_processes(descendants(), grace=1.0 if child.poll() is not None else 0.0)
    child.wait()
    return child.returncode if child.returncode >= 0 else 128 - child.returncode


def _child_dies_with_guard() -> None:
    _prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM))


def exit_now(code: int) -> None:
    """Exit with ``code`` once what this process wrote is flushed (standard streams, log handlers), without
    tearing the interpreter down: a process that ran Airflow spends seconds in its exit handlers and module
    teardown (closing pools of a database whose transactions are committed, joining idle threads) for
    nothing. For a CLI process whose work is done, never for a library caller."""
    import logging

    # work handed to executors is finished first, as at a normal exit (concurrent.futures' exit hooks): the
    # OpenLineage listener emits its events from a process pool, whose worker would otherwise be left waiting
    for name in ("concurrent.futures.thread", "concurrent.futures.process"):
        module = sys.modules.get(name)
        if module is not None:
            with contextlib.suppress(Exception):
                module._python_exit()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    logging.shutdown()  # flushes and closes every handler (task log files included)
    os._exit(code)


def guarded(command: Sequence[str], grace: float) -> list[str]:
    """The command line that runs ``command`` under a guard (see the module's docstring)."""
    return [sys.executable, "-m", "dop_core.cli.processes", "--grace", str(grace), "--", *command]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dop_core.cli.processes",
                                     description="Run COMMAND; stop its whole process tree with this guard.")
    parser.add_argument("--grace", type=float, default=10.0, help="seconds COMMAND has to stop before SIGKILL")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no COMMAND given")
    return _guard(command, args.grace)


if __name__ == "__main__":
    sys.exit(main())
