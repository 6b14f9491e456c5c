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
- **Stops by itself** after :data:`IDLE_SECONDS` without a run (``DOP_RUN_SERVER_IDLE``), when the project's
  folder is gone, or on SIGTERM. ``DOP_RUN_SERVER=0`` turns it off (each run starts its own Python).
- **Stopping a run works as before.** The server forks a *monitor* per run, which forks the runner and
  reports its exit status; the runner's parent is the monitor, which exits when ``dop run`` goes away, so
  the runner gets SIGINT as it would have had ``dop run`` been its parent (``die_with_parent``). ``dop run``
  signals the runner by its PID, as before.

Linux only (``prctl``, file descriptors passed over the socket); elsewhere every run starts its own Python.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import pathlib
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from typing import IO, Any

from dop_core.cli.processes import PARENT_PID, adopt_orphans, exit_now

#: ``0`` turns the run server off
SWITCH = "DOP_RUN_SERVER"
#: seconds a server waits for a run before it exits (default :data:`IDLE_SECONDS`)
IDLE = "DOP_RUN_SERVER_IDLE"
IDLE_SECONDS = 600.0
#: seconds a server may take to import what runners need (runs wait for it meanwhile)
IMPORT_SECONDS = 120
#: seconds a run waits for a server to fork its runner
REPLY_SECONDS = 30.0
#: seconds a run waits for a server that is still starting (importing) before it starts its runner anew
STARTING_SECONDS = 3.0
#: variables a shell, a terminal or a test runner sets by itself, read by nothing a server imports: they do not
#: make another server (a runner still gets them as ``dop run`` has them)
VOLATILE = frozenset({"PWD", "OLDPWD", "_", "SHLVL", "COLUMNS", "LINES", "TERM_SESSION_ID", "WINDOWID", "TMUX_PANE",
                      "SSH_CLIENT", "SSH_CONNECTION", "SSH_TTY", "PYTEST_CURRENT_TEST", PARENT_PID})
#: top-level packages never imported ahead (they start threads, or are unsafe to use across ``fork``)
NOT_AHEAD = frozenset({"numpy", "pandas", "pyarrow", "scipy", "grpc", "google", "torch", "pyspark", "py4j",
                       "psutil", "dbt", "IPython", "readline"})
MODULES_FILE = "run-server-modules.txt"  # in AIRFLOW_HOME: what the last runner started the usual way imported
_HEADER = struct.Struct("!I")
_served = False  # this process is a runner the server forked


def enabled(env: Mapping[str, str]) -> bool:
    return sys.platform.startswith("linux") and env.get(SWITCH, "1").strip().lower() not in ("0", "off", "false",
                                                                                            "no")


def _folder() -> pathlib.Path | None:
    """The user's private folder of run-server sockets, or None when there is no safe one."""
    base = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    folder = pathlib.Path(base) / (f"dop-{os.getuid()}" if "XDG_RUNTIME_DIR" not in os.environ else "dop")
    try:
        with contextlib.suppress(FileExistsError):
            os.mkdir(folder, 0o700)
        found = os.lstat(folder)
    except OSError:  # no folder to be had (a read-only or full disk): no server
        return None
    import stat

    if not stat.S_ISDIR(found.st_mode) or found.st_uid != os.getuid() or found.st_mode & 0o077:
        return None
    return folder


def _key(root: pathlib.Path, env: Mapping[str, str]) -> str:
    from dop_core.util.cachedir import installed_key

    h = hashlib.sha256(f"{sys.executable}\0{sys.version}\0{root}\0{installed_key()}\0".encode())
    for name in sorted(set(env) - VOLATILE):
        h.update(f"{name}={env[name]}\0".encode())
    return h.hexdigest()[:24]  # 96 bits: short, for a socket path's few bytes


class Server:
    """Where the server of a project and environment listens: its socket and its lock file."""

    def __init__(self, root: pathlib.Path, env: Mapping[str, str]):
        self.root, self.env = root, env
        folder = _folder()
        self.key = _key(root, env)
        self.socket = self.lock = None
        # a Unix socket's path has room for ~104 bytes (108 on Linux, with its terminating zero): none longer
        if folder is not None and len(os.fsencode(folder / f"run-{self.key}.sock")) < 104:
            self.socket, self.lock = folder / f"run-{self.key}.sock", folder / f"run-{self.key}.lock"

    def running(self) -> bool:
        """Whether a server holds the lock (it may still be importing)."""
        from dop_core.util.locks import is_held

        return self.lock is not None and is_held(self.lock)

    def start(self, log: pathlib.Path) -> None:
        """Start the server in the background (it outlives us); nothing happens when one runs already, or when
        one of this key refused to serve (its imports started a thread: see :func:`serve`)."""
        if self.socket is None or self.running() or self.socket.with_suffix(".refused").exists():
            return
        from dop_core.util.private import open_private

        with open_private(log, "a", encoding="utf-8") as out:
            subprocess.Popen([sys.executable, "-m", "dop_core.cli.run_server", str(self.socket), str(self.lock),
                              str(self.root)], env={k: v for k, v in self.env.items() if k != PARENT_PID},
                             cwd=self.root, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                             start_new_session=True)

    def connect(self, wait: float = STARTING_SECONDS) -> socket.socket | None:
        """A connection to the server; None when there is none (one still starting is waited for ``wait``
        seconds: longer, and starting a runner anew is faster)."""
        if self.socket is None:
            return None
        deadline = time.monotonic() + wait
        while True:
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                conn.connect(str(self.socket))
                return conn
            except OSError:
                conn.close()
            if not self.running() or time.monotonic() > deadline:
                return None
            time.sleep(0.05)


class ServedRunner:
    """A runner forked by the server, as :class:`subprocess.Popen` shows a child to ``dop run``: its PID, its
    standard input and (merged) output, its exit status (reported by its monitor over ``conn``)."""

    def __init__(self, conn: socket.socket, reply: IO[str], pid: int, stdin: IO[str], stdout: IO[str]):
        self.conn, self._reply, self.pid, self.stdin, self.stdout = conn, reply, pid, stdin, stdout
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and select.select([self.conn], [], [], 0)[0]:
            self.wait()
        return self.returncode

    def wait(self) -> int:
        if self.returncode is None:
            line = self._reply.readline()
            # no status: the monitor was killed (the runner lost its parent, so it stops as on Ctrl-C)
            self.returncode = int(line.split()[1]) if line.startswith("exit ") else -signal.SIGKILL
            self._reply.close()
            self.conn.close()
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def served_runner(root: pathlib.Path, env: Mapping[str, str], request: str, lock_fd: int) -> ServedRunner | None:
    """The runner of ``request``, forked by the project's server; None when no server serves this run (off,
    none running, or one that went stale: the caller starts the runner itself)."""
    if not enabled(env):
        return None
    server = Server(root, env)
    conn = server.connect()
    if conn is None:
        return None
    stdin_r, stdin_w = os.pipe()
    stdout_r, stdout_w = os.pipe()
    replies = conn.makefile("r", encoding="utf-8")  # "pid N", then "exit STATUS" (or "stale")
    try:
        conn.settimeout(REPLY_SECONDS)  # a server that does not answer (stopped, swapped out) is not waited for
        body = json.dumps({"key": server.key, "cwd": str(root), "env": dict(env), "request": request}).encode()
        socket.send_fds(conn, [_HEADER.pack(len(body)) + body], [stdin_r, stdout_w, lock_fd])
        reply = replies.readline()
        conn.settimeout(None)
    except OSError:
        reply = ""
    finally:
        os.close(stdin_r)
        os.close(stdout_w)
    if not reply.startswith("pid "):
        replies.close()
        conn.close()
        os.close(stdin_w)
        os.close(stdout_r)
        return None
    return ServedRunner(conn, replies, int(reply.split()[1]), os.fdopen(stdin_w, "w", encoding="utf-8", buffering=1),
                        os.fdopen(stdout_r, "r", encoding="utf-8", buffering=1))


def start_server(root: pathlib.Path, env: Mapping[str, str], log: pathlib.Path) -> None:
    """After a run that started its runner the usual way: start the project's server for the next ones (if it
    cannot, as where its log cannot be written, the next runs start their runners the usual way too)."""
    if enabled(env):
        with contextlib.suppress(OSError):
            Server(root, env).start(log)


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


def _threads() -> int:
    return len(os.listdir("/proc/self/task"))


def _imported_files() -> dict[str, tuple[int, int]]:
    """Every file the server's code came from, with its time and size (and Airflow's configuration file)."""
    found: dict[str, tuple[int, int]] = {}
    paths = [getattr(m, "__file__", None) for m in list(sys.modules.values())]
    paths.append(os.environ.get("AIRFLOW_CONFIG") or os.path.join(os.environ.get("AIRFLOW_HOME", ""), "airflow.cfg"))
    for path in paths:
        if path and path not in found:
            try:
                st = os.stat(path)
            except OSError:
                continue
            found[path] = (st.st_mtime_ns, st.st_size)
    return found


def _changed(files: dict[str, tuple[int, int]]) -> str | None:
    for path, known in files.items():
        try:
            st = os.stat(path)
        except OSError:
            return path
        if (st.st_mtime_ns, st.st_size) != known:
            return path
    return None


def _say(text: str) -> None:
    print(f"[dop run server {os.getpid()}] {text}", flush=True)


def serve(sock_path: pathlib.Path, lock_path: pathlib.Path, root: pathlib.Path) -> int:
    """The server's main loop (``python -m dop_core.cli.run_server SOCKET LOCK PROJECT``)."""
    from dop_core.util.private import open_private

    key = sock_path.name.removeprefix("run-").removesuffix(".sock")
    lock = open_private(lock_path, "a+", encoding="utf-8")
    try:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return 0  # another server of this key is starting or running
    lock.truncate(0)
    lock.write(f"{os.getpid()}\n")
    lock.flush()
    stop: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: stop.append(signum))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # `dop run` may start us while it holds SIGINT and SIGTERM back (see run._run): a blocked mask is inherited
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    started = time.monotonic()
    home = pathlib.Path(os.environ["AIRFLOW_HOME"])
    signal.alarm(IMPORT_SECONDS)  # an import that hangs must not keep the lock `dop run` waits on
    recorded = _import_ahead(home)
    signal.alarm(0)
    if not _fork_safe(sock_path):
        return 0
    files = _imported_files()
    adopt_orphans()  # runners whose monitor died are reaped here
    with contextlib.suppress(FileNotFoundError):
        sock_path.unlink()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o177)
    try:
        listener.bind(str(sock_path))
    finally:
        os.umask(old_umask)
    listener.listen(16)
    bound = os.stat(sock_path).st_ino
    _say(f"serving {root} ({len(sys.modules)} modules imported in {time.monotonic() - started:.1f}s)")
    idle = float(os.environ.get(IDLE) or IDLE_SECONDS)
    last, monitors = time.monotonic(), set[int]()
    try:
        while not stop:
            ready = select.select([listener], [], [], 1.0)[0]
            monitors -= _reaped()
            if ready:
                try:
                    conn, _ = listener.accept()
                    with conn:
                        changed = _serve_one(conn, key, files, listener, lock, monitors)
                except OSError as exc:  # that run went away, or no process could be forked: it starts its own
                    _say(f"a request failed: {exc}")
                    changed = None
                last = time.monotonic()
                if changed:
                    _say(f"stopping: {changed} changed since it was imported")
                    break
            elif not monitors and time.monotonic() - last > idle:
                _say(f"stopping: no run for {idle:.0f}s")
                break
            elif _recorded_at(home) != recorded:  # a runner started anew (the first) recorded what it imported
                before = len(sys.modules)
                signal.alarm(IMPORT_SECONDS)
                recorded = _import_recorded(home)
                signal.alarm(0)
                if not _fork_safe(sock_path):
                    break
                files = _imported_files()
                _say(f"imported {len(sys.modules) - before} more modules, as a run started anew recorded")
            if not root.is_dir() or _inode(sock_path) != bound:
                _say("stopping: the project or the socket is gone")
                break
    finally:
        if _inode(sock_path) == bound:
            with contextlib.suppress(OSError):
                sock_path.unlink()
                lock_path.unlink()  # still held: a server starting meanwhile makes a new one
    return 0


def _fork_safe(sock_path: pathlib.Path) -> bool:
    """Whether this process runs one thread only: forking a process with other threads may copy a lock one of
    them held. If not, say so and leave a marker: no server is started again for this environment."""
    if _threads() == 1:
        return True
    _say(f"not serving: importing ahead started {_threads() - 1} thread(s); no server is started again for "
         "this environment")
    with contextlib.suppress(OSError):
        sock_path.with_suffix(".refused").touch(0o600)
    return False


def _inode(path: pathlib.Path) -> int | None:
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def _reaped() -> set[int]:
    done: set[int] = set()
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return done
        if pid == 0:
            return done
        done.add(pid)


def _serve_one(conn: socket.socket, key: str, files: dict[str, tuple[int, int]], listener: socket.socket,
               lock: IO[str], monitors: set[int]) -> str | None:
    """Read one request and fork its monitor; the file that changed instead, if one did (the server stops)."""
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    if uid != os.getuid():
        return None
    conn.settimeout(10)
    fds: list[int] = []
    try:
        data, fds, _flags, _addr = socket.recv_fds(conn, 1 << 16, 3)
        (size,) = _HEADER.unpack_from(data)
        body = data[_HEADER.size:]
        while len(body) < size:
            chunk = conn.recv(size - len(body))
            if not chunk:
                raise OSError("the request was cut short")
            body += chunk
        asked = json.loads(body)
        if asked["key"] != key or len(fds) != 3:
            raise ValueError("not a request for this server")
    except (OSError, ValueError, KeyError, struct.error):
        for fd in fds:
            os.close(fd)
        return None
    changed = _changed(files)
    if changed:
        conn.sendall(b"stale\n")
        for fd in fds:
            os.close(fd)
        return changed
    pid = os.fork()
    if pid == 0:  # the monitor
        listener.close()
        lock.close()
        _monitor(conn, asked, fds)
    monitors.add(pid)
    for fd in fds:
        os.close(fd)
    return None


def _monitor(conn: socket.socket, asked: dict[str, Any], fds: list[int]) -> None:
    """Fork the runner, tell ``dop run`` its PID, then its exit status; exit at once if ``dop run`` goes away."""
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        runner = os.fork()
        if runner == 0:
            conn.close()
            _runner(asked, fds)
        for fd in fds:
            os.close(fd)
        conn.settimeout(None)
        conn.sendall(f"pid {runner}\n".encode())
        watched = os.pidfd_open(runner)
        while True:
            ready = select.select([conn.fileno(), watched], [], [])[0]
            if watched in ready:
                _, status = os.waitpid(runner, 0)
                conn.sendall(f"exit {os.waitstatus_to_exitcode(status)}\n".encode())
                break
            if not conn.recv(1):  # `dop run` is gone: exiting signals the runner (its parent-death signal)
                break
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        os._exit(0)


def _runner(asked: dict[str, Any], fds: Sequence[int]) -> None:
    """The runner: ``dop run``'s pipes as its standard streams, its environment and folder, then the run."""
    global _served
    code = 1
    _served = True
    try:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})  # as `dop run` starts it
        os.setsid()
        stdin, out, _lock = fds  # the run's lock stays held while this process lives
        os.dup2(stdin, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(stdin)
        os.close(out)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.chdir(asked["cwd"])
        os.environ.clear()
        os.environ.update(asked["env"])
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
    from dop_core.cli import run_server

    exit_now(run_server.serve(pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])))
