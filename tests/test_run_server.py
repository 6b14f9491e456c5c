"""`dop run`'s run server: the first run of a project starts its runner the usual way and then a server; the
next runs are forked by it, with the same results, logs and Airflow database, and stop the same way on Ctrl-C,
SIGTERM or the death of `dop run`. A module the server imported that changes stops it (the run uses the new
code); it exits by itself when idle; it refuses to work from a socket folder others can enter; it is off
with DOP_RUN_SERVER=0.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import re
import signal
import sqlite3
import sys
import time
from collections.abc import Iterator

import pytest
from proctree import DopRun, alive, below, running, wait_for

from dop_core.testing import ProjectFactory, clean_env
from dop_core.util.locks import is_held

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900),
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the run server is Linux's")]

DAG = "dop__naps"
NAP = "sleep 4343"
CONFIG = """\
    schedule_interval: null
    schema: naps
    params: {nap: 0}
    tasks:
      - identifier: create_schema_naps
        kind: {action: materialization, target: schema}
      - identifier: first
        kind: {action: materialization, target: table}
        dependencies: [create_schema_naps]
      - identifier: hello
        kind: {action: airflow_operator, target: napmod.Hello}
        dependencies: [first]
      - identifier: mine
        kind: {action: airflow_operator, target: ownmod.Mine}
        dependencies: [first]
      - identifier: nap
        kind: {action: airflow_operator, target: airflow.providers.standard.operators.bash.BashOperator}
        options:
          arguments:
            bash_command: "echo napping; if [ {{ params.nap }} = 1 ]; then sleep 4343; fi; echo awake"
        dependencies: [hello]
"""
SQL = {"first": "SELECT {{ params.nap }} AS nap, '{{ ds }}' AS day"}
NAPMOD = """\
from airflow.sdk import BaseOperator


class Hello(BaseOperator):
    def execute(self, context):
        print("hello from napmod {version}")
"""
OWNMOD = NAPMOD.replace("Hello", "Mine").replace("napmod", "ownmod")


class Setup:
    """The project, the folder of the module its operator comes from, and the run server's folder."""

    def __init__(self, root: pathlib.Path, modules: pathlib.Path, own: pathlib.Path, runtime: pathlib.Path):
        self.root, self.modules, self.own, self.runtime = root, modules, own, runtime

    def env(self, **extra: str) -> dict[str, str]:
        return clean_env(**{"PYTHONPATH": f"{self.modules}{os.pathsep}{self.own}", "XDG_RUNTIME_DIR": str(self.runtime),
                            "DOP_RUN_SERVER": "1", "DOP_RUN_SERVER_IDLE": "300", **extra})

    def run(self, date: str, conf: str = "{}", **extra: str) -> ServedRun:
        return ServedRun(self.root, date, conf, self.env(**extra))

    def sockets(self) -> list[pathlib.Path]:
        return sorted((self.runtime / "dop").glob("run-*.sock"))

    def server_pids(self) -> list[int]:
        pids = []
        for lock in (self.runtime / "dop").glob("run-*.lock"):
            text = lock.read_text().strip()
            if text.isdigit() and is_held(lock):
                pids.append(int(text))
        return pids

    def server_log(self) -> str:
        path = self.root / ".dop" / "logs" / "run-server.log"
        return path.read_text() if path.exists() else ""


class ServedRun(DopRun):
    def finish(self, timeout: float = 300) -> int:
        return super().finish(timeout)

    def log(self) -> str:
        """The run's log file (the latest of its date while it runs)."""
        found = re.findall(r"full log: (\S+\.log)", self.output())
        path = self.root / found[-1] if found else self.root / ".dop" / "logs" / "runs" / DAG / f"{self.date}.log"
        return path.read_text() if path.exists() else ""

    def served_by(self) -> int | None:
        """The PID of the runner the server forked for this run, as its log says; None if it was not served."""
        found = re.search(r"its runner \(PID (\d+)\) was forked by the project's run server", self.log())
        return int(found.group(1)) if found else None


def airflow_db(root: pathlib.Path, date: str) -> tuple[str, dict[str, str | None]]:
    with contextlib.closing(sqlite3.connect(root / ".dop" / "airflow" / "airflow.db", timeout=30)) as con:
        run_id, state = con.execute("SELECT run_id, state FROM dag_run WHERE dag_id = ? AND date(logical_date) = ? "
                                    "ORDER BY id DESC", (DAG, date)).fetchone()
        tasks = dict(con.execute("SELECT task_id, state FROM task_instance WHERE dag_id = ? AND run_id = ?",
                                 (DAG, run_id)).fetchall())
    return state, tasks


def warehouse(root: pathlib.Path, sql: str) -> list[tuple[object, ...]]:
    import duckdb

    with contextlib.closing(duckdb.connect(str(root / ".dop" / "warehouse.duckdb"), read_only=True)) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    base = tmp_path_factory.mktemp("server")
    factory = ProjectFactory(base / "naps", "name: naps\n")
    factory.dag("naps", CONFIG, SQL)
    modules = base / "lib" / "site-packages"  # an installed package's module (the server imports those ahead)
    modules.mkdir(parents=True)
    (modules / "napmod.py").write_text(NAPMOD.format(version="v1"))
    own = base / "mine"  # a module of one's own, on PYTHONPATH: each runner imports it afresh
    own.mkdir()
    (own / "ownmod.py").write_text(OWNMOD.format(version="v1"))
    runtime = base / "runtime"
    runtime.mkdir(mode=0o700)
    made = Setup(factory.root, modules, own, runtime)
    yield made
    for pid in made.server_pids():
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    wait_for(lambda: not made.server_pids(), 30, "the run servers stopped")
    for pid, _ in running(NAP):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def test_the_first_run_starts_a_server_and_the_next_is_forked_by_it(setup):
    first = setup.run("2024-06-01")
    assert first.finish() == 0, first.output()
    assert first.served_by() is None and "hello from napmod v1" in first.log()
    wait_for(setup.sockets, 120, "the run server's socket")
    [server] = setup.server_pids()
    assert oct(setup.sockets()[0].stat().st_mode & 0o777) == "0o600"
    assert oct((setup.runtime / "dop").stat().st_mode & 0o777) == "0o700"

    second = setup.run("2024-06-02")
    assert second.finish() == 0, second.output()
    assert second.served_by() is not None, second.log()
    assert "DAG run success" in second.output() and "hello from napmod v1" in second.log()
    assert airflow_db(setup.root, "2024-06-02") == ("success", dict.fromkeys(
        ["create_schema_naps", "first", "hello", "mine", "nap"], "success"))
    assert warehouse(setup.root, "SELECT nap, day FROM naps.first") == [(0, "2024-06-02")]
    assert setup.server_pids() == [server]  # still serving
    assert f"[dop run server {server}] serving {setup.root}" in setup.server_log()


def test_ctrl_c_stops_a_served_run(setup):
    run = setup.run("2024-06-03", '{"nap": 1}')
    wait_for(lambda: running(NAP), 120, f"`{NAP}` running")
    runner = run.served_by()
    assert runner is not None, run.log()
    tree = below(run.proc.pid) | below(runner)
    assert running(NAP) <= tree
    os.killpg(run.proc.pid, signal.SIGINT)  # what a terminal does on Ctrl-C
    assert run.finish(timeout=30) == 130, run.output()
    wait_for(lambda: not alive(tree), 10, f"left running: {alive(tree)}")
    assert not running(NAP)
    assert f"Interrupted (SIGINT): {DAG} for 2024-06-03 stopped" in run.output(), run.output()
    state, tasks = airflow_db(setup.root, "2024-06-03")
    assert state == "failed" and tasks["nap"] == "failed", (state, tasks)
    assert len(setup.server_pids()) == 1


def test_sigkill_of_dop_run_stops_its_served_runner(setup):
    run = setup.run("2024-06-04", '{"nap": 1}')
    wait_for(lambda: running(NAP), 120, f"`{NAP}` running")
    runner = run.served_by()
    assert runner is not None, run.log()
    tree = below(runner)
    run.proc.kill()
    run.finish(timeout=10)
    wait_for(lambda: not alive(tree), 30, f"left running: {alive(tree)}")
    assert not running(NAP)
    state, tasks = airflow_db(setup.root, "2024-06-04")
    assert state == "failed" and tasks["nap"] == "failed", (state, tasks)
    assert "the DAG run and its unfinished tasks are marked failed (`dop run` itself was killed)" in run.log()


def test_two_served_runs_at_once(setup):
    runs = [setup.run(date) for date in ("2024-06-05", "2024-06-06")]
    for run in runs:
        assert run.finish() == 0, run.output()
        assert run.served_by() is not None, run.log()
        assert airflow_db(setup.root, run.date)[0] == "success"


def test_a_module_of_ones_own_is_imported_afresh_by_each_served_run(setup):
    [server] = setup.server_pids()
    (setup.own / "ownmod.py").write_text(OWNMOD.format(version="v2 (edited)"))
    run = setup.run("2024-06-11")
    assert run.finish() == 0, run.output()
    assert run.served_by() is not None and "hello from ownmod v2 (edited)" in run.log(), run.log()
    assert setup.server_pids() == [server]


def test_a_changed_module_stops_the_server_and_the_run_uses_the_new_code(setup):
    [before] = setup.server_pids()
    (setup.modules / "napmod.py").write_text(NAPMOD.format(version="v2 (edited)"))
    run = setup.run("2024-06-07")
    assert run.finish() == 0, run.output()
    assert run.served_by() is None and "hello from napmod v2 (edited)" in run.log()
    assert f"[dop run server {before}] stopping: {setup.modules / 'napmod.py'} changed" in setup.server_log()
    wait_for(lambda: setup.server_pids() and setup.server_pids() != [before], 120, "a new server")
    wait_for(setup.sockets, 120, "the new server's socket")
    again = setup.run("2024-06-08")
    assert again.finish() == 0, again.output()
    assert again.served_by() is not None and "hello from napmod v2 (edited)" in again.log()


def test_another_environment_gets_its_own_server_which_stops_when_idle(setup):
    [other] = setup.server_pids()
    run = setup.run("2024-06-09", DOP_RUN_SERVER_IDLE="2")  # another environment: cold, then its own server
    assert run.finish() == 0, run.output()
    assert run.served_by() is None
    wait_for(lambda: "stopping: no run for 2s" in setup.server_log(), 120, "the idle server's exit")
    wait_for(lambda: setup.server_pids() == [other], 30, "only the first server left")
    assert len(setup.sockets()) == 1


def test_no_server_from_a_folder_others_can_enter_or_when_turned_off(setup, tmp_path):
    shared = tmp_path / "shared"
    (shared / "dop").mkdir(parents=True)
    (shared / "dop").chmod(0o777)
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    too_long = tmp_path / ("x" * 100)  # a socket path longer than a Unix socket can have
    too_long.mkdir(mode=0o700)
    for extra in ({"XDG_RUNTIME_DIR": str(shared)}, {"XDG_RUNTIME_DIR": str(not_a_folder)},
                  {"XDG_RUNTIME_DIR": str(too_long)}, {"DOP_RUN_SERVER": "0", "XDG_RUNTIME_DIR": str(tmp_path)}):
        before = setup.server_log().count("] serving ")
        run = setup.run("2024-06-10", **extra)
        assert run.finish() == 0, run.output()
        assert run.served_by() is None and "DAG run success" in run.output()
        assert setup.server_log().count("] serving ") == before  # no server started
    assert list((shared / "dop").iterdir()) == [] and list((too_long / "dop").iterdir()) == []
    assert not (tmp_path / "dop").exists()


THREADMOD = """\
import threading, time

threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()  # a module that starts a thread

from airflow.sdk import BaseOperator


class Spin(BaseOperator):
    def execute(self, context):
        print("spun")
"""


def test_a_server_whose_imports_start_a_thread_refuses_to_serve_and_is_not_started_again(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """Forking a process with other threads may copy a lock one of them held: such a server never serves."""
    tmp_path = tmp_path_factory.mktemp("spin")  # a short path: a socket's has room for ~104 bytes
    factory = ProjectFactory(tmp_path / "spin", "name: spin\n")
    factory.dag("spin", "schedule_interval: null\ntasks:\n  - identifier: spin\n"
                        "    kind: {action: airflow_operator, target: threadmod.Spin}\n")
    modules = tmp_path / "lib" / "site-packages"  # installed, so the server imports it ahead
    modules.mkdir(parents=True)
    (modules / "threadmod.py").write_text(THREADMOD)
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env = clean_env(PYTHONPATH=str(modules), XDG_RUNTIME_DIR=str(runtime), DOP_RUN_SERVER="1")
    log = factory.root / ".dop" / "logs" / "run-server.log"
    first = DopRun(factory.root, "2024-06-01", env=env, dag="spin")
    assert first.finish(timeout=300) == 0, first.output()
    wait_for(lambda: "not serving" in (log.read_text() if log.exists() else ""), 120, "the server's refusal")
    assert "importing ahead started 1 thread(s)" in log.read_text()
    assert len(list((runtime / "dop").glob("run-*.refused"))) == 1
    wait_for(lambda: not any(is_held(lock) for lock in (runtime / "dop").glob("run-*.lock")), 30, "the server gone")
    second = DopRun(factory.root, "2024-06-02", env=env, dag="spin")
    assert second.finish(timeout=300) == 0, second.output()
    assert "DAG run success" in second.output(), second.output()
    time.sleep(2)  # a server started now would hold its lock within a second, before importing anything
    assert not any(is_held(lock) for lock in (runtime / "dop").glob("run-*.lock"))
    assert log.read_text().count("not serving") == 1 and list((runtime / "dop").glob("run-*.sock")) == []
