"""A fork server: a Python process that has imported a program once, and forks a child per run of it.

A command-line program in Python may spend most of a short run importing itself (dbt: over a second before it
reads a file). A fork server pays for the imports once: the first run starts the program the usual way and,
beside it, the server in the background (:meth:`ForkServer.start`); the runs that follow ask the server
(:meth:`ForkServer.spawn`), which forks a child already past the imports. The child is the program's run as a
new process would have it: the caller's arguments, environment, folder and output pipe; its own session; its
exit status reported back.

- **One server per interpreter and program.** Its socket's name is a hash of the interpreter, the program's
  entry point and what it imports ahead, and the environment variables read while importing (``PYTHON*``
  and those the caller names).
- **Never stale.** Before each run the server checks that no file it imported changed (a virtualenv rebuilt,
  a package upgraded): if one did, it refuses and exits, and the caller starts the program anew.
- **Private.** The socket lies in a folder only the user can enter (``$XDG_RUNTIME_DIR/dop`` or
  ``<tmp>/dop-<uid>``; none is used if the folder is another user's or others can enter it), and the server
  serves only processes of its own user (the socket's peer credentials).
- **Fork-safe.** It serves only while it has one thread (forking a process with others may copy a lock one
  of them holds); if importing started one, it leaves a marker and is not started again.
- **Stops by itself** after its idle time without a run, or on SIGTERM.
- **A child dies with its caller.** A *monitor* process per run forks the child and reports its PID, then its
  exit status; if the caller goes away (killed), the monitor sends the child's session SIGTERM, then SIGKILL.
  The caller signals the child by its PID, as it would a subprocess.

Linux only (file descriptors passed over the socket, pidfds); elsewhere nothing is served.

The server side (``python -P forkserver.py ...``) imports nothing but the standard library: it runs in
another interpreter, such as the dbt virtualenv's, where DOP is not installed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pathlib
import select
import signal
import socket
import struct
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from typing import IO, Any

#: seconds a caller waits for a server that is still starting (importing) before it runs the program anew
STARTING_SECONDS = 3.0
#: seconds a caller waits for the server to fork its child
REPLY_SECONDS = 30.0
#: seconds a server may take importing
IMPORT_SECONDS = 120
#: seconds a child has between SIGTERM and SIGKILL once its caller is gone
GRACE_SECONDS = 10.0
_HEADER = struct.Struct("!I")
IDLE_SECONDS = 600.0


def turned_off(value: str | None) -> bool:
    """Whether a switch variable's value (``DOP_RUN_SERVER``, ``DOP_DBT_SERVER``) turns its server off."""
    return (value or "").strip().lower() in ("0", "off", "false", "no")


def idle_seconds(value: str | float | None, default: float = IDLE_SECONDS) -> float:
    """A server's idle time from an operator's setting: ``default`` for none, or for one that is not a positive,
    finite number of seconds."""
    try:
        seconds = float(value) if value not in (None, "") else default
    except ValueError:
        return default
    return seconds if 0 < seconds < float("inf") else default


def private_folder() -> pathlib.Path | None:
    """The user's private folder of server sockets, or None when there is no safe one."""
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


def socket_paths(name: str) -> tuple[pathlib.Path, pathlib.Path] | None:
    """The socket and lock file of the server ``name``; None when there is no private folder, or the socket's
    path would not fit (a Unix socket's path has room for ~104 bytes)."""
    folder = private_folder()
    if folder is None or len(os.fsencode(folder / f"{name}.sock")) >= 104:
        return None
    return folder / f"{name}.sock", folder / f"{name}.lock"


def connect(sock: pathlib.Path, lock: pathlib.Path, wait: float = STARTING_SECONDS) -> socket.socket | None:
    """A connection to the server listening on ``sock``; None when there is none (one still starting, holding
    ``lock``, is waited for ``wait`` seconds)."""
    deadline = time.monotonic() + wait
    while True:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.connect(str(sock))
            return conn
        except OSError:
            conn.close()
        if not lock_held(lock) or time.monotonic() > deadline:
            return None
        time.sleep(0.05)


def lock_held(path: pathlib.Path) -> bool:
    """Whether a process holds ``path``'s lock (a server, running or starting)."""
    import fcntl

    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def call(paths: tuple[pathlib.Path, pathlib.Path], request: Mapping[str, Any], *, stdin_pipe: bool,
         extra_fds: Sequence[int] = ()) -> Served | None:
    """Ask the server at ``paths`` (socket, lock) to fork a child for ``request`` (a JSON object with the
    server's ``name``): its standard input a pipe of ours (``stdin_pipe``) or empty, its output and errors merged
    into a pipe we read, ``extra_fds`` passed on; None when no server serves it (none running, stale, or not
    answering: the caller starts the program itself)."""
    conn = connect(*paths)
    if conn is None:
        return None
    stdin_r, stdin_w = os.pipe() if stdin_pipe else (os.open(os.devnull, os.O_RDONLY), None)
    out_r, out_w = os.pipe()
    replies = conn.makefile("r", encoding="utf-8")  # "pid N", then "exit STATUS" (or "stale")
    try:
        conn.settimeout(REPLY_SECONDS)  # a server that does not answer (stopped, swapped out) is not waited for
        body = json.dumps(dict(request)).encode()
        socket.send_fds(conn, [_HEADER.pack(len(body)) + body], [stdin_r, out_w, *extra_fds])
        reply = replies.readline()
        conn.settimeout(None)
    except OSError:
        reply = ""
    finally:
        os.close(stdin_r)
        os.close(out_w)
    if not reply.startswith("pid "):
        replies.close()
        conn.close()
        for fd in (stdin_w, out_r):
            if fd is not None:
                os.close(fd)
        return None
    return Served(conn, replies, int(reply.split()[1]),
                  stdout=os.fdopen(out_r, "r", encoding="utf-8", errors="replace", buffering=1),
                  stdin=None if stdin_w is None else os.fdopen(stdin_w, "w", encoding="utf-8", buffering=1))


def launch(paths: tuple[pathlib.Path, pathlib.Path], argv: Sequence[str], *, env: Mapping[str, str],
           log: pathlib.Path, cwd: str | os.PathLike[str] = "/") -> None:
    """Start the server ``argv`` for ``paths`` in the background, logging to ``log``. Its program forks and
    exits at once (see the end of this file): the server outlives us and is no child of ours, left a zombie
    when done. Nothing happens when one runs or starts already, or when one refused to serve (importing
    started a thread), or when it cannot be started (its log cannot be written): callers run their programs
    themselves then."""
    sock, lock = paths
    if lock_held(lock) or sock.with_suffix(".refused").exists():
        return
    import subprocess

    from dop_core.util.private import open_private

    with contextlib.suppress(OSError, subprocess.TimeoutExpired):
        log.parent.mkdir(parents=True, exist_ok=True)
        with open_private(log, "a", encoding="utf-8") as out:
            subprocess.run(list(argv), env=dict(env), cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                           stderr=subprocess.STDOUT, start_new_session=True, check=False, timeout=60)


def daemonize() -> None:
    """In a server's program, first: fork, the parent exiting at once (the caller of :func:`launch` waits for
    it), the child serving on in the background."""
    if os.fork():
        os._exit(0)


class Served:
    """A child forked by a server, as :class:`subprocess.Popen` shows a child: its PID, its output (when the
    caller made a pipe of it), its exit status (reported by its monitor over ``conn``)."""

    def __init__(self, conn: socket.socket, replies: IO[str], pid: int, stdout: IO[str] | None = None,
                 stdin: IO[str] | None = None):
        self.conn, self._replies, self.pid, self.stdout, self.stdin = conn, replies, pid, stdout, stdin
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and select.select([self.conn], [], [], 0)[0]:
            self.wait()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            if timeout is not None and not select.select([self.conn], [], [], timeout)[0]:
                import subprocess

                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            line = self._replies.readline()
            # no status: the monitor was killed (its child was sent SIGTERM or lost its parent)
            self.returncode = int(line.split()[1]) if line.startswith("exit ") else -signal.SIGKILL
            self._replies.close()
            self.conn.close()
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class ForkServer:
    """The fork server of ``entry`` (``module:function``, the program's console-script entry point) under
    ``python``, with ``preload`` (modules) imported ahead. ``import_env``: environment variables the program
    reads while importing (a server is made per value of each, and of every ``PYTHON*`` variable)."""

    def __init__(self, python: str | os.PathLike[str], entry: str, preload: Sequence[str] = (), *,
                 env: Mapping[str, str], import_env: Sequence[str] = ()):
        self.python, self.entry, self.preload = os.fspath(python), entry, tuple(preload)
        read = sorted(name for name in env if name.startswith("PYTHON") or name in import_env)
        h = hashlib.sha256(f"{self.python}\0{entry}\0{' '.join(self.preload)}\0{__file__}\0".encode())
        for name in read:
            h.update(f"{name}={env[name]}\0".encode())
        self.name = f"fork-{h.hexdigest()[:24]}"
        self.paths = socket_paths(self.name) if sys.platform.startswith("linux") else None

    turned_off = staticmethod(turned_off)

    def spawn(self, argv: Sequence[str], *, env: Mapping[str, str], cwd: str | os.PathLike[str]) -> Served | None:
        """Run the program with ``argv`` (``argv[0]``: the program's path), ``env`` and ``cwd``, its standard
        input empty, its output and errors merged into a pipe (``stdout``, text, line by line), in a child of
        the server; None when no server serves it (none running, or stale: run the program anew)."""
        if self.paths is None:
            return None
        return call(self.paths, {"name": self.name, "argv": list(argv), "env": dict(env),
                                 "cwd": os.path.abspath(cwd)}, stdin_pipe=False)

    def start(self, *, env: Mapping[str, str], log: pathlib.Path, idle: str | float | None = None) -> None:
        """Start the server in the background (it outlives the caller), logging to ``log``, exiting after
        ``idle`` seconds without a run (an operator's setting: see :func:`idle_seconds`)."""
        if self.paths is not None:
            sock, lock = self.paths
            launch(self.paths, [self.python, "-P", __file__, str(sock), str(lock), self.entry,
                                str(idle_seconds(idle)), *self.preload], env=env, log=log)


# --- the server: the standard library only ---------------------------------------------------------------


def imported_files(extra: Sequence[str] = ()) -> dict[str, tuple[int, int]]:
    """Every file this process's code came from (and ``extra`` files), with its time and size."""
    found: dict[str, tuple[int, int]] = {}
    for path in [getattr(m, "__file__", None) for m in list(sys.modules.values())] + list(extra):
        if path and path not in found:
            try:
                st = os.stat(path)
            except OSError:
                continue
            found[path] = (st.st_mtime_ns, st.st_size)
    return found


def changed(files: Mapping[str, tuple[int, int]]) -> str | None:
    """The first of ``files`` changed or gone since :func:`imported_files` listed it."""
    for path, known in files.items():
        try:
            st = os.stat(path)
        except OSError:
            return path
        if (st.st_mtime_ns, st.st_size) != known:
            return path
    return None


def fork_safe(sock: pathlib.Path, say: Callable[[str], None]) -> bool:
    """Whether this process runs one thread only; if not, say so and leave a marker: no server of this name is
    started again."""
    threads = len(os.listdir("/proc/self/task"))
    if threads == 1:
        return True
    say(f"not serving: importing ahead started {threads - 1} thread(s); no server is started again for this "
        "environment")
    with contextlib.suppress(OSError):
        sock.with_suffix(".refused").touch(0o600)
    return False


def listen(sock: pathlib.Path) -> tuple[socket.socket, int]:
    """A listening socket at ``sock`` only the user may connect to, and the inode it is bound to."""
    with contextlib.suppress(FileNotFoundError):
        sock.unlink()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o177)
    try:
        listener.bind(str(sock))
    finally:
        os.umask(old_umask)
    listener.listen(16)
    return listener, os.stat(sock).st_ino


def inode(path: pathlib.Path) -> int | None:
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def reaped() -> set[int]:
    """The children that exited (their zombies reaped)."""
    done: set[int] = set()
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return done
        if pid == 0:
            return done
        done.add(pid)


def receive(conn: socket.socket, name: str, nfds: int) -> tuple[dict[str, Any], list[int]] | None:
    """The request on ``conn`` and its file descriptors; None (nothing kept) when it comes from another user,
    is not for the server ``name``, or is not whole."""
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    if struct.unpack("3i", creds)[1] != os.getuid():
        return None
    conn.settimeout(10)
    fds: list[int] = []
    try:
        data, fds, _flags, _addr = socket.recv_fds(conn, 1 << 16, nfds)
        (size,) = _HEADER.unpack_from(data)
        body = data[_HEADER.size:]
        while len(body) < size:
            chunk = conn.recv(size - len(body))
            if not chunk:
                raise OSError("the request was cut short")
            body += chunk
        asked = json.loads(body)
        if not isinstance(asked, dict) or asked.get("name") != name or len(fds) != nfds:
            raise ValueError("not a request for this server")
    except (OSError, ValueError, struct.error):
        for fd in fds:
            os.close(fd)
        return None
    return asked, fds


def monitor(conn: socket.socket, child: Callable[[], None], fds: Sequence[int], on_hangup: int | None) -> None:
    """In a forked monitor: fork ``child`` (which never returns) and close ``fds`` (the caller's, the child's
    now), tell the caller the child's PID, then its exit status; exit at once if the caller goes away, first
    sending the child's session ``on_hangup`` (then SIGKILL after :data:`GRACE_SECONDS`) unless it is None."""
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        pid = os.fork()
        if pid == 0:
            conn.close()
            child()
        for fd in fds:
            os.close(fd)
        conn.settimeout(None)
        conn.sendall(f"pid {pid}\n".encode())
        watched = os.pidfd_open(pid)
        while True:
            ready = select.select([conn.fileno(), watched], [], [])[0]
            if watched in ready:
                _, status = os.waitpid(pid, 0)
                conn.sendall(f"exit {os.waitstatus_to_exitcode(status)}\n".encode())
                break
            if not conn.recv(1):  # the caller is gone
                if on_hangup is not None:
                    _stop(pid, watched, on_hangup)
                break
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        os._exit(0)


def _stop(pid: int, watched: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)
    if not select.select([watched], [], [], GRACE_SECONDS)[0]:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def become(asked: Mapping[str, Any], fds: Sequence[int]) -> None:
    """In a forked child: its own session, the caller's streams (``fds``: standard input, then output and
    errors; any further ones stay open), folder and environment, and the signal handlers of a new Python."""
    os.setsid()
    stdin, out = fds[0], fds[1]
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


def _run_entry(entry: str, asked: Mapping[str, Any], fds: Sequence[int]) -> None:
    """The child: the program's entry point with the caller's arguments, exiting as the program would."""
    code: Any = 1
    try:
        become(asked, fds)  # its streams are buffered as a new process's: PYTHONUNBUFFERED is in the server's key
        sys.argv = list(asked["argv"])
        import importlib

        module, _, function = entry.partition(":")
        code = getattr(importlib.import_module(module), function)()
    except SystemExit as exc:
        code = exc.code
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    _exit_as_python(code)


def _exit_as_python(code: Any) -> None:
    """Exit as Python does at the end of a program: ``code`` as ``sys.exit`` takes it, non-daemon threads
    joined, ``atexit`` functions run, the streams flushed."""
    import atexit
    import threading

    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    with contextlib.suppress(BaseException):
        for thread in threading.enumerate():
            if thread is not threading.main_thread() and not thread.daemon:
                thread.join()
        atexit._run_exitfuncs()
    with contextlib.suppress(BaseException):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(status & 0xFF)


def _say(text: str) -> None:
    print(f"[dop fork server {os.getpid()}] {text}", flush=True)


def hold(lock_path: pathlib.Path) -> IO[str] | None:
    """The server's lock, held (with its PID in it) while it lives; None when another server holds it."""
    import fcntl

    lock = open(lock_path, "a+", encoding="utf-8")  # noqa: SIM115 (held while the server lives)
    os.chmod(lock_path, 0o600)
    try:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        return None
    lock.truncate(0)
    lock.write(f"{os.getpid()}\n")
    lock.flush()
    return lock


def stop_on_sigterm() -> list[int]:
    """SIGTERM stops the server (the list gets the signal), SIGINT is ignored (a terminal's Ctrl-C is for
    the runs); both unblocked (a caller may start the server while it holds them back)."""
    stop: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: stop.append(signum))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    return stop


class Requests:
    """What a server does with each request: read it (``nfds`` file descriptors with it), refuse it if a file of
    ``files`` changed, else fork a monitor of ``child(request, fds)`` (see :func:`monitor`)."""

    def __init__(self, name: str, nfds: int, files: dict[str, tuple[int, int]],
                 child: Callable[[dict[str, Any], list[int]], None], on_hangup: int | None):
        self.name, self.nfds, self.files, self.child, self.on_hangup = name, nfds, files, child, on_hangup


def serve_requests(sock: pathlib.Path, lock: IO[str], requests: Requests, *, idle: float, stop: list[int],
                   say: Callable[[str], None], between: Callable[[], str | None] = lambda: None) -> None:
    """Listen on ``sock`` and serve ``requests`` until stopped, idle for ``idle`` seconds, stale, the socket
    gone or ``between`` (called when no request came for a second) gives a reason to stop."""
    import gc

    gc.freeze()  # what the server imported lives as long as it: no child's collection walks (and copies) it
    listener, bound = listen(sock)
    last, monitors = time.monotonic(), set[int]()
    try:
        while not stop:
            ready = select.select([listener], [], [], 1.0)[0]
            monitors -= reaped()
            reason = None
            if ready:
                last = time.monotonic()
                try:
                    conn, _ = listener.accept()
                    with conn:
                        reason = _serve_one(conn, requests, (listener, lock), monitors)
                except OSError as exc:  # that caller went away, or no process could be forked: it runs anew
                    say(f"a request failed: {exc}")
            elif not monitors and time.monotonic() - last > idle:
                reason = f"no run for {idle:.0f}s"
            else:
                reason = between()
            if reason is None and inode(sock) != bound:
                reason = "the socket is gone"
            if reason:
                say(f"stopping: {reason}")
                break
    finally:
        if inode(sock) == bound:
            with contextlib.suppress(OSError):
                sock.unlink()
                pathlib.Path(lock.name).unlink()  # still held: a server starting meanwhile makes a new one


def _serve_one(conn: socket.socket, requests: Requests, closing: Sequence[Any], monitors: set[int]) -> str | None:
    """Serve one request; why the server must stop (a file changed) instead, if so."""
    found = receive(conn, requests.name, requests.nfds)
    if found is None:
        return None
    asked, fds = found
    try:
        stale = changed(requests.files)
        if stale:
            conn.sendall(b"stale\n")
            return f"{stale} changed since it was imported"
        pid = os.fork()
        if pid == 0:  # the monitor
            for held in closing:
                held.close()
            monitor(conn, lambda: requests.child(asked, fds), fds, requests.on_hangup)
        monitors.add(pid)
        return None
    finally:
        for fd in fds:
            os.close(fd)


def serve(sock: pathlib.Path, lock_path: pathlib.Path, entry: str, idle: float, preload: Sequence[str]) -> int:
    """The server's main loop (``python -P forkserver.py SOCKET LOCK ENTRY IDLE [PRELOAD...]``)."""
    import importlib

    lock = hold(lock_path)
    if lock is None:
        return 0  # another server of this name is starting or running
    stop = stop_on_sigterm()
    started = time.monotonic()
    signal.alarm(IMPORT_SECONDS)  # an import that hangs must not keep the lock callers wait on
    for module in [*preload, entry.partition(":")[0]]:
        try:
            importlib.import_module(module)
        except Exception as exc:  # the child imports what is missing itself
            _say(f"could not import {module} ahead: {type(exc).__name__}: {exc}")
    signal.alarm(0)
    if not fork_safe(sock, _say):
        return 0
    requests = Requests(sock.name.removesuffix(".sock"), 2, imported_files([sys.executable]),
                        lambda asked, fds: _run_entry(entry, asked, fds), signal.SIGTERM)
    _say(f"serving {entry} ({len(sys.modules)} modules imported in {time.monotonic() - started:.1f}s)")
    serve_requests(sock, lock, requests, idle=idle, stop=stop, say=_say)
    return 0


if __name__ == "__main__":
    daemonize()
    sys.exit(serve(pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3], float(sys.argv[4]),
                   sys.argv[5:]))
