"""The fork server (dop_core.ForkServer): a program run by a child of a warm server behaves as the program run
anew (output, exit status, arguments, environment, folder, exit handlers); a changed module, a thread, an idle
server, a caller killed or a child stopped each end as they should. A real server process on a real socket."""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from typing import Any

import pytest

from dop_core import ForkServer

PROGRAM = textwrap.dedent("""\
    import atexit, os, signal, sys, time

    def main():
        atexit.register(lambda: print("exit handler ran", flush=True))
        print("argv", sys.argv[1:])
        print("cwd", os.getcwd())
        print("PROG_VAR", os.environ.get("PROG_VAR"))
        print("stdin", repr(sys.stdin.read()))
        print("an error line", file=sys.stderr)
        if sys.argv[1] == "sleep":
            def stopped(signum, frame):
                open(sys.argv[2], "w").write(f"SIGTERM in {os.getpid()}")
                sys.exit(7)
            signal.signal(signal.SIGTERM, stopped)
            print("pid", os.getpid(), flush=True)
            time.sleep(120)
        return int(sys.argv[1])
    """)
THREAD = "import threading, time\nthreading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n"


class Program:
    """``prog.main`` in ``folder``, and its fork server (started by :meth:`serve`, stopped at the test's end)."""

    def __init__(self, folder: pathlib.Path, preload: tuple[str, ...] = ("prog",), unbuffered: bool = True):
        self.folder = folder
        (folder / "prog.py").write_text(PROGRAM)
        self.env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
        self.env.update({"PYTHONPATH": str(folder), "PROG_VAR": "the server's"})
        if unbuffered:  # as dop-dbt runs dbt: each line as it is written
            self.env["PYTHONUNBUFFERED"] = "1"
        self.server = ForkServer(sys.executable, "prog:main", preload, env=self.env)
        self.log = folder / "server.log"

    def serve(self, idle: float = 60) -> None:
        self.server.start(env=self.env, log=self.log, idle=idle)
        assert self.server.paths is not None
        deadline = time.monotonic() + 60
        while not self.server.paths[0].exists() and "not serving" not in self.said():
            assert time.monotonic() < deadline, self.said()
            time.sleep(0.05)

    def said(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def pids(self) -> set[int]:
        return {int(pid) for pid in re.findall(r"\[dop fork server (\d+)\]", self.said())}

    def spawn(self, *args: str, **env: str) -> Any:
        cwd = self.folder / "work"
        cwd.mkdir(exist_ok=True)
        return self.server.spawn(["prog", *args], env={**self.env, **env}, cwd=cwd)

    def anew(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        """The program started anew, as its console script would (``sys.exit(main())``)."""
        return subprocess.run([sys.executable, "-c", "import sys, prog; sys.argv[0] = 'prog'; sys.exit(prog.main())",
                               *args], env={**self.env, **env}, cwd=self.folder / "work", stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return pathlib.Path(f"/proc/{pid}").exists() and "zombie" not in pathlib.Path(f"/proc/{pid}/status").read_text()


def _gone(pid: int, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture
def program(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Program]:
    runtime = tempfile.mkdtemp(prefix="fs")  # this test's own socket folder (a socket's path is short)
    monkeypatch.setenv("XDG_RUNTIME_DIR", runtime)
    (tmp_path / "work").mkdir()
    made = Program(tmp_path)
    yield made
    for pid in made.pids():
        if _alive(pid):
            os.kill(pid, signal.SIGTERM)
    shutil.rmtree(runtime)


def test_a_served_run_is_the_program_run_anew(program: Program) -> None:
    program.serve()
    for code in ("0", "3"):
        served = program.spawn(code, "an argument", PROG_VAR="this run's")
        assert served is not None, program.said()
        with served.stdout:
            output = served.stdout.read()
        assert served.wait() == int(code)
        anew = program.anew(code, "an argument", PROG_VAR="this run's")
        assert (output, served.returncode) == (anew.stdout, anew.returncode)
        # what the program saw: the caller's arguments, folder and environment (not the server's), no input
        assert output.splitlines()[:4] == ["argv ['" + code + "', 'an argument']", f"cwd {program.folder / 'work'}",
                                           "PROG_VAR this run's", "stdin ''"]
        assert "an error line" in output and output.rstrip().endswith("exit handler ran")
        assert served.pid not in program.pids()


def test_output_is_buffered_as_a_new_process(tmp_path: pathlib.Path, program: Program) -> None:
    buffered = Program(tmp_path, unbuffered=False)  # standard output to a pipe: buffered, its errors not
    buffered.serve()
    served = buffered.spawn("0")
    assert served is not None
    with served.stdout:
        output = served.stdout.read()
    assert served.wait() == 0
    assert output == buffered.anew("0").stdout
    assert output.startswith("an error line\nargv")


def test_no_server_no_run(program: Program) -> None:
    assert program.spawn("0") is None  # the caller runs the program anew
    assert not program.pids()


def test_a_changed_module_makes_the_server_refuse_and_exit(program: Program) -> None:
    program.serve()
    (server,) = program.pids()
    (program.folder / "prog.py").write_text(PROGRAM + "\n# changed\n")
    assert program.spawn("0") is None  # refused: the caller runs the changed program anew
    assert _gone(server)
    assert f"stopping: {program.folder / 'prog.py'} changed since it was imported" in program.said()
    assert program.server.paths is not None and not program.server.paths[0].exists()


def test_stopping_a_served_child_as_a_subprocess(program: Program, tmp_path: pathlib.Path) -> None:
    program.serve()
    marker = tmp_path / "stopped"
    served = program.spawn("sleep", str(marker))
    assert served is not None
    assert served.stdout.readline().startswith("argv")
    with pytest.raises(subprocess.TimeoutExpired):
        served.wait(timeout=0.2)
    assert served.poll() is None
    while not served.stdout.readline().startswith("pid"):
        pass
    served.terminate()
    assert served.wait(timeout=30) == 7  # the program's own SIGTERM handler ran
    assert marker.read_text() == f"SIGTERM in {served.pid}"
    assert _gone(served.pid)
    served.stdout.close()


CALLER = """
import sys
from dop_core import ForkServer
server = ForkServer(sys.executable, "prog:main", ("prog",), env={ENV!r})
served = server.spawn(["prog", "sleep", {MARKER!r}], env={ENV!r}, cwd={CWD!r})
for line in served.stdout:
    print(line, end="", flush=True)
"""


def test_a_child_whose_caller_is_killed_is_stopped(program: Program, tmp_path: pathlib.Path) -> None:
    program.serve()
    marker = tmp_path / "stopped"
    caller = subprocess.Popen([sys.executable, "-c", CALLER.format(ENV=program.env, MARKER=str(marker),
                                                                   CWD=str(tmp_path / "work"))],
                              env=program.env, stdout=subprocess.PIPE, text=True)
    assert caller.stdout is not None
    with caller.stdout:
        child = next(int(line.split()[1]) for line in caller.stdout if line.startswith("pid "))
        caller.kill()
        caller.wait()
    assert _gone(child)  # its monitor saw the caller go and sent it SIGTERM
    assert marker.read_text() == f"SIGTERM in {child}"
    assert len(program.pids()) == 1 and all(_alive(pid) for pid in program.pids())  # the server serves on


def test_a_server_whose_imports_start_a_thread_refuses_to_serve(tmp_path: pathlib.Path,
                                                                  program: Program) -> None:
    (tmp_path / "threaded.py").write_text(THREAD)
    threaded = Program(tmp_path, preload=("prog", "threaded"))
    threaded.serve()
    assert "not serving: importing ahead started 1 thread(s)" in threaded.said()
    assert threaded.spawn("0") is None
    assert all(_gone(pid) for pid in threaded.pids())
    threaded.serve()  # not started again: the marker says why
    assert threaded.said().count("[dop fork server") == 1


def test_an_idle_server_exits(program: Program) -> None:
    program.serve(idle=1)
    (server,) = program.pids()
    assert _gone(server)
    assert "stopping: no run for 1s" in program.said()
    assert program.server.paths is not None and not program.server.paths[0].exists()


def test_the_socket_is_the_users_alone(program: Program, tmp_path: pathlib.Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    program.serve()
    assert program.server.paths is not None
    sock = program.server.paths[0]
    assert stat.S_IMODE(sock.stat().st_mode) == 0o600 and stat.S_IMODE(sock.parent.stat().st_mode) == 0o700
    shared = pathlib.Path(os.environ["XDG_RUNTIME_DIR"]) / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(shared))  # (dop) inside a folder others may enter: made private
    assert ForkServer(sys.executable, "prog:main", env=program.env).paths is not None
    (shared / "dop").chmod(0o755)  # a socket folder others may enter: no server at all
    assert ForkServer(sys.executable, "prog:main", env=program.env).paths is None


@pytest.mark.parametrize(("value", "seconds"), [(None, 600.0), ("", 600.0), ("30", 30.0), (" 2.5 ", 2.5), (45, 45.0),
                                                ("ten", 600.0), ("0", 600.0), ("-5", 600.0), ("nan", 600.0),
                                                ("inf", 600.0), ("1e400", 600.0)])
def test_an_idle_setting_that_is_no_positive_number_of_seconds_is_the_default(value: Any, seconds: float) -> None:
    from dop_core.util.forkserver import idle_seconds

    assert idle_seconds(value) == seconds  # DOP_RUN_SERVER_IDLE=ten must not stop a server as it starts


@pytest.mark.parametrize(("value", "off"), [(None, False), ("", False), ("1", False), ("on", False), ("0", True),
                                            (" OFF ", True), ("false", True), ("no", True)])
def test_the_switches_that_turn_a_server_off(value: str | None, off: bool) -> None:
    assert ForkServer.turned_off(value) is off
