"""``dop run``'s run server: a process with Airflow (and what the project's last run imported) already
imported, that forks the runner of each ``dop run`` instead of starting a new Python.

Starting a runner costs more than most tasks: Python, Airflow's imports, its ORM's set-up (seconds). The
server pays for them once: the first ``dop run`` of a project starts its runner the usual way (a new
process) and, beside it, a server in the background, which also imports what that runner records it
imported once it is done; the runs that follow ask the server, which forks a child already past the
imports. The run itself is unchanged: the child reads the project, checks and runs the DAG with ``dag.test``
against the same Airflow database, in the environment ``dop run`` gives it.

- **One server per project, Python and environment.** Its socket's name is a hash of the project folder,
  the interpreter, what is installed for it and the environment ``dop run`` would give a runner (apart from
  a few variables a shell changes by itself, such as ``PWD``): a run in another environment starts another
  server, never one made for a different configuration.
- **Never stale.** Before each run the server checks that no file it imported changed (the modules' files,
  Airflow's configuration file): if one did, it refuses and exits, and that run starts its runner the usual
  way (then a new server). Code of the project itself (its DAG files, a ``plugins`` folder) is never
  imported by the server.
- **Private.** The socket lies in a folder only the user can enter (``$XDG_RUNTIME_DIR/dop`` or
  ``<tmp>/dop-<uid>``; a folder that is not the user's, or that others can enter, turns the server off), and
  the server serves only processes of its own user (the socket's peer credentials).
- **Stops by itself** after 10 minutes without a run (``DOP_RUN_SERVER_IDLE`` seconds), when the project's
  folder is gone, or on SIGTERM. ``DOP_RUN_SERVER=0`` turns it off (each run starts its own Python).
- **Stopping a run works as before.** The server forks a *monitor* per run, which forks the runner and
  reports its exit status; the runner's parent is the monitor, which exits when ``dop run`` goes away, so
  the runner gets SIGINT as it would have had ``dop run`` been its parent (``die_with_parent``). ``dop run``
  signals the runner by its PID, as before.

Linux only (``prctl``, file descriptors passed over the socket); elsewhere every run starts its own Python.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pathlib
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any

from dop_core.cli.processes import PARENT_PID, adopt_orphans, exit_now
from dop_core.util import forkserver

#: ``0`` turns the run server off
SWITCH = "DOP_RUN_SERVER"
#: seconds a server waits for a run before it exits (default: ``forkserver.IDLE_SECONDS``)
IDLE = "DOP_RUN_SERVER_IDLE"
#: variables a shell, a terminal or a test runner sets by itself, read by nothing a server imports: they do not
#: make another server (a runner still gets them as ``dop run`` has them)
VOLATILE = frozenset({"PWD", "OLDPWD", "_", "SHLVL", "COLUMNS", "LINES", "TERM_SESSION_ID", "WINDOWID", "TMUX_PANE",
                      "SSH_CLIENT", "SSH_CONNECTION", "SSH_TTY", "PYTEST_CURRENT_TEST", PARENT_PID})
#: top-level packages never imported ahead (they start threads, or are unsafe to use across ``fork``)
NOT_AHEAD = frozenset({"numpy", "pandas", "pyarrow", "scipy", "grpc", "google", "torch", "pyspark", "py4j",
                       "psutil", "dbt", "IPython", "readline"})
MODULES_FILE = "run-server-modules.txt"  # in AIRFLOW_HOME: what the last runner started the usual way imported
_served = False  # this process is a runner the server forked


def enabled(env: Mapping[str, str]) -> bool:
    return sys.platform.startswith("linux") and not forkserver.turned_off(env.get(SWITCH))


def _key(root: pathlib.Path, env: Mapping[str, str]) -> str:
    from dop_core.util.cachedir import installed_key

    h = hashlib.sha256(f"{sys.executable}\0{sys.version}\0{root}\0{installed_key()}\0".encode())
    for name in sorted(set(env) - VOLATILE):
        h.update(f"{name}={env[name]}\0".encode())
    return h.hexdigest()[:24]  # 96 bits: short, for a socket path's few bytes


def _paths(root: pathlib.Path, env: Mapping[str, str]) -> tuple[pathlib.Path, pathlib.Path] | None:
    """The socket and lock of the server of ``root`` and ``env`` (None: no safe place for them)."""
    return forkserver.socket_paths(f"run-{_key(root, env)}")


def served_runner(root: pathlib.Path, env: Mapping[str, str], request: str,
                  lock_fd: int) -> forkserver.Served | None:
    """The runner of ``request``, forked by the project's server, as :class:`subprocess.Popen` shows a child to
    ``dop run`` (its PID, standard input and merged output, exit status); None when no server serves this run
    (off, none running, or one that went stale: the caller starts the runner itself)."""
    paths = _paths(root, env) if enabled(env) else None
    if paths is None:
        return None
    return forkserver.call(paths, {"name": paths[0].stem, "cwd": str(root), "env": dict(env), "request": request},
                           stdin_pipe=True, extra_fds=[lock_fd])


def start_server(root: pathlib.Path, env: Mapping[str, str], log: pathlib.Path) -> None:
    """Start the project's server in the background for the next runs (if it cannot, as where its log cannot
    be written, the next runs start their runners the usual way too)."""
    paths = _paths(root, env) if enabled(env) else None
    if paths is not None:
        forkserver.launch(paths, [sys.executable, "-m", "dop_core.cli.run_server", *map(str, paths), str(root)],
                          env={k: v for k, v in env.items() if k != PARENT_PID}, log=log, cwd=root)


def record_modules(home: pathlib.Path) -> None:
    """In a runner started the usual way, at its end: write which modules it imported that the server may import
    ahead: those of installed distributions (``site-packages``), the standard library's, DOP's and its plugins'
    (an editable install's too), but for what :data:`NOT_AHEAD` names. A module of your own (a ``PYTHONPATH``
    folder, the project) is imported by each runner afresh: it may read files when imported."""
    if _served or not enabled(os.environ):
        return
    from importlib.metadata import entry_points

    packages = {"dop_core"} | {ep.module.partition(".")[0] for ep in entry_points(group="dop")}
    stdlib = os.path.join(sys.base_prefix, "lib", "")
    names = []
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        top = name.partition(".")[0]
        if path and name != "__main__" and top not in NOT_AHEAD and (
                top in packages or path.startswith(stdlib) or
                any(part in ("site-packages", "dist-packages") for part in pathlib.PurePath(path).parts)):
            names.append(name)
    from dop_core.util.cachedir import write_atomically

    write_atomically(home / MODULES_FILE, "\n".join(names).encode())


# --- the server -------------------------------------------------------------------------------------------


def _import_ahead(home: pathlib.Path) -> int | None:
    """Import what every runner needs and what the project's last runner started anew recorded; make the ORM's
    mappers and the execution API. The recording's time (None: none yet)."""
    import airflow.sdk  # noqa: F401  (what every runner needs, before any run recorded more)

    import dop_core.cli.run  # noqa: F401  (a runner started anew runs it as __main__: not in the list)

    recorded = _import_recorded(home)
    with contextlib.suppress(Exception):
        _execution_api_ahead()
    return recorded


def _import_recorded(home: pathlib.Path) -> int | None:
    """Import the modules of :data:`MODULES_FILE` not imported yet (then make the ORM's mappers, which a runner
    would make at its first query); the file's time, or None when there is none."""
    import importlib

    path = home / MODULES_FILE
    try:
        recorded = path.stat().st_mtime_ns
        names = path.read_text(encoding="utf-8").split()
    except OSError:
        return None
    for name in names:
        if name not in sys.modules and name.partition(".")[0] not in NOT_AHEAD:
            with contextlib.suppress(Exception):
                importlib.import_module(name)
    with contextlib.suppress(Exception):
        from sqlalchemy.orm import configure_mappers

        configure_mappers()
    return recorded


def _recorded_at(home: pathlib.Path) -> int | None:
    try:
        return (home / MODULES_FILE).stat().st_mtime_ns
    except OSError:
        return None


def _execution_api_ahead() -> None:
    """Make the in-process execution API that ``dag.test`` runs tasks through (one per process, Airflow's
    ``in_process_api_server``) for the newest API version (:mod:`dop_core.cli.execution_api`), and have it build
    its routes, which it does on its first request: half a second of each run otherwise. The request goes
    through an event loop in this thread, which it leaves closed (no thread: the server forks)."""
    import asyncio

    import httpx
    from airflow.sdk.execution_time.supervisor import in_process_api_server

    from dop_core.cli.execution_api import latest_api_only

    if not latest_api_only():
        return
    api = in_process_api_server()

    async def first_request() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api.app), base_url="http://dop.invalid") as c:
            await c.get("/execution/health")

    asyncio.run(first_request())


def _say(text: str) -> None:
    print(f"[dop run server {os.getpid()}] {text}", flush=True)


def serve(sock_path: pathlib.Path, lock_path: pathlib.Path, root: pathlib.Path) -> int:
    """The server's main loop (``python -m dop_core.cli.run_server SOCKET LOCK PROJECT``)."""
    lock = forkserver.hold(lock_path)
    if lock is None:
        return 0  # another server of this key is starting or running
    stop = forkserver.stop_on_sigterm()
    started = time.monotonic()
    home = pathlib.Path(os.environ["AIRFLOW_HOME"])
    config = os.environ.get("AIRFLOW_CONFIG") or str(home / "airflow.cfg")
    signal.alarm(forkserver.IMPORT_SECONDS)  # an import that hangs must not keep the lock `dop run` waits on
    recorded = _import_ahead(home)
    signal.alarm(0)
    if not forkserver.fork_safe(sock_path, _say):
        return 0
    adopt_orphans()  # runners whose monitor died are reaped here
    # a runner dies with its monitor, which exits when `dop run` goes away (see the module's docstring)
    requests = forkserver.Requests(sock_path.name.removesuffix(".sock"), 3, forkserver.imported_files([config]),
                                   _runner, on_hangup=None)

    def between() -> str | None:
        nonlocal recorded
        if _recorded_at(home) != recorded:  # a runner started anew (the first) recorded what it imported
            before = len(sys.modules)
            signal.alarm(forkserver.IMPORT_SECONDS)
            recorded = _import_recorded(home)
            signal.alarm(0)
            if not forkserver.fork_safe(sock_path, _say):
                return "importing ahead started a thread"
            requests.files = forkserver.imported_files([config])
            _say(f"imported {len(sys.modules) - before} more modules, as a run started anew recorded")
        return None if root.is_dir() else "the project is gone"

    _say(f"serving {root} ({len(sys.modules)} modules imported in {time.monotonic() - started:.1f}s)")
    forkserver.serve_requests(sock_path, lock, requests, idle=forkserver.idle_seconds(os.environ.get(IDLE)), stop=stop,
                              say=_say, between=between)
    return 0


def _runner(asked: dict[str, Any], fds: Sequence[int]) -> None:
    """The runner: ``dop run``'s pipes as its standard streams, its environment and folder, then the run."""
    global _served
    code = 1
    _served = True
    try:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})  # as `dop run` starts it
        forkserver.become(asked, fds)  # the third, the run's lock, stays held while this process lives
        os.environ[PARENT_PID] = str(os.getppid())  # the monitor, whose exit stands for `dop run`'s
        from airflow import settings

        if settings.engine is not None:  # connections of the server's pool (never opened) are not shared
            settings.engine.dispose(close=False)
        from dop_core.cli import run

        sys.argv = [run.__file__ or "", asked["request"]]  # as a runner started anew
        code = run._child(asked["request"])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    exit_now(code)


if __name__ == "__main__":  # the module by its name, not as __main__: its runners read its state (_served)
    forkserver.daemonize()
    from dop_core.cli import run_server

    exit_now(run_server.serve(pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])))
