"""Stopping `dop run` at any point: Ctrl-C (SIGINT to its process group, as a terminal sends it), SIGTERM
(`kill PID`, `timeout`, a CI cancel) and SIGKILL of `dop run` itself. Within seconds nothing is left
running (the runner, a task's shell command, a DuckDB query), the DAG run and its unfinished tasks are
failed in the local Airflow database, the run's log says it was interrupted, the warehouse lock is free,
and the next run succeeds. Two `dop run` of one DAG and date wait for each other, each with its own log.

One project runs through every case in order (each `dop run` starts Airflow: ~15 s): the kill points are
found by polling the run's output and /proc, never by sleeping.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import re
import signal
import sqlite3
import sys
from collections.abc import Iterator

import pytest
from proctree import DopRun, alive, below, running, wait_for

from dop_core.testing import ProjectFactory
from dop_core.util.locks import is_held

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900),
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signals are Linux's")]

DAG = "dop__naps"
NAP = "sleep 4242"  # the shell command a task runs, found in /proc by its command line
CONFIG = """\
    schedule_interval: null
    schema: naps
    params: {nap: 0, rows: 1}
    tasks:
      - identifier: create_schema_naps
        kind: {action: materialization, target: schema}
      - identifier: first
        kind: {action: materialization, target: table}
        dependencies: [create_schema_naps]
      - identifier: nap
        kind: {action: airflow_operator, target: airflow.providers.standard.operators.bash.BashOperator}
        options:
          arguments:
            bash_command: "echo napping; if [ {{ params.nap }} = 1 ]; then sleep 4242; fi; echo awake"
        dependencies: [first]
      - identifier: count
        kind: {action: materialization, target: table}
        dependencies: [nap]
"""
SQL = {
    "first": "SELECT 1 AS n",
    # a DuckDB query that runs for minutes with `rows` in the thousands: the runner is inside C code meanwhile
    "count": "SELECT COUNT(*) AS n FROM UNNEST(GENERATE_ARRAY(1, {{ params.rows }})) AS a, "
             "UNNEST(GENERATE_ARRAY(1, {{ params.rows }})) AS b, UNNEST(GENERATE_ARRAY(1, {{ params.rows }})) AS c",
}
UNFINISHED = {"running", "queued", "scheduled", "up_for_retry", "up_for_reschedule", "deferred", None}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[pathlib.Path]:
    factory = ProjectFactory(tmp_path_factory.mktemp("stop") / "naps", "name: naps\n")
    factory.dag("naps", CONFIG, SQL)
    yield factory.root
    for pid, _ in running(NAP):  # never leave one behind, whatever failed
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def airflow_db(root: pathlib.Path, date: str) -> tuple[str, dict[str, str | None]]:
    """The state of the DAG run of ``date`` and of its task instances, read from the local Airflow database."""
    with contextlib.closing(sqlite3.connect(root / ".dop" / "airflow" / "airflow.db", timeout=30)) as con:
        run_id, state = con.execute("SELECT run_id, state FROM dag_run WHERE dag_id = ? AND date(logical_date) = ?",
                                    (DAG, date)).fetchone()
        tasks = dict(con.execute("SELECT task_id, state FROM task_instance WHERE dag_id = ? AND run_id = ?",
                                 (DAG, run_id)).fetchall())
    return state, tasks


def log_of(run: DopRun) -> str:
    """The run's own log file, as `dop run` named it at the end of its output."""
    found = re.findall(r"full log: (\S+\.log)", run.output())
    assert found, run.output()
    return (run.root / found[-1]).read_text()


def assert_stopped(run: DopRun, tree: set[tuple[int, int]], code: int, signame: str) -> None:
    assert run.finish(timeout=30) == code, run.output()
    wait_for(lambda: not alive(tree), 10, f"left running: {alive(tree)}")
    assert not running(NAP)  # not even re-parented to init
    assert f"Interrupted ({signame}): {DAG} for {run.date} stopped" in run.output(), run.output()
    state, tasks = airflow_db(run.root, run.date)
    assert state == "failed" and not UNFINISHED & set(tasks.values()), (state, tasks)
    assert not is_held(run.root / ".dop" / "warehouse.duckdb.lock")
    log = log_of(run)
    assert log.startswith(f"[dop] Running {DAG} for {run.date}") and f"Interrupted ({signame})" in log


def test_ctrl_c_while_a_task_command_runs(project):
    run = DopRun(project, "2024-06-01", '{"nap": 1}')
    run.wait_for_output("-> nap")
    wait_for(lambda: running(NAP), 60, f"`{NAP}` running")
    tree = below(run.proc.pid)
    assert running(NAP) <= tree
    os.killpg(run.proc.pid, signal.SIGINT)  # what a terminal does on Ctrl-C
    assert_stopped(run, tree, 130, "SIGINT")
    assert airflow_db(project, "2024-06-01")[1] == {"create_schema_naps": "success", "first": "success",
                                                    "nap": "failed", "count": "failed"}


def test_sigterm_while_airflow_starts(project):
    run = DopRun(project, "2024-06-02")
    run.wait_for_output(f"Running {DAG} for 2024-06-02")
    tree = below(run.proc.pid)
    run.proc.send_signal(signal.SIGTERM)  # `kill PID`: to `dop run` only
    assert run.finish(timeout=30) == 143, run.output()
    wait_for(lambda: not alive(tree), 10, f"left running: {alive(tree)}")
    assert "Interrupted (SIGTERM)" in run.output() and "Interrupted (SIGTERM)" in log_of(run)
    with contextlib.closing(sqlite3.connect(project / ".dop" / "airflow" / "airflow.db")) as con:
        assert con.execute("SELECT count(*) FROM dag_run WHERE state IN ('running', 'queued')").fetchone() == (0,)


def test_sigterm_while_a_duckdb_query_runs(project):
    run = DopRun(project, "2024-06-03", '{"rows": 5000}')
    run.wait_for_output("-> count")
    wait_for(lambda: "SQL as sent to duckdb" in log_of_running(project, "2024-06-03"), 60, "the query sent")
    tree = below(run.proc.pid)
    run.proc.send_signal(signal.SIGTERM)
    assert_stopped(run, tree, 143, "SIGTERM")


def log_of_running(root: pathlib.Path, date: str) -> str:
    latest = root / ".dop" / "logs" / "runs" / DAG / f"{date}.log"
    return latest.read_text() if latest.exists() else ""


def test_sigkill_of_dop_run_stops_its_runner_too(project):
    run = DopRun(project, "2024-06-04", '{"nap": 1}')
    run.wait_for_output("-> nap")
    wait_for(lambda: running(NAP), 60, f"`{NAP}` running")
    tree = below(run.proc.pid)
    run.proc.kill()
    run.finish(timeout=10)
    wait_for(lambda: not alive(tree), 20, f"left running: {alive(tree)}")
    assert not running(NAP)
    state, tasks = airflow_db(project, "2024-06-04")
    assert state == "failed" and not UNFINISHED & set(tasks.values()), (state, tasks)
    assert "interrupted (SIGINT): the DAG run and its unfinished tasks are marked failed (`dop run` itself was " \
           "killed)" in log_of_running(project, "2024-06-04")


def test_a_run_left_running_by_a_killed_tree_is_failed_by_the_next_run(project):
    run = DopRun(project, "2024-06-05", '{"nap": 1}')
    run.wait_for_output("-> nap")
    wait_for(lambda: running(NAP), 60, f"`{NAP}` running")
    tree = below(run.proc.pid)
    for pid, _ in tree:  # everything at once: nothing gets to clean up (a power cut, the OOM killer)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    run.finish(timeout=10)
    wait_for(lambda: not alive(tree), 10, f"left running: {alive(tree)}")
    assert airflow_db(project, "2024-06-05")[0] == "running"

    after = DopRun(project, "2024-06-06")
    assert after.finish(timeout=300) == 0, after.output()
    assert "DAG run success" in after.output()
    assert f"marked the DAG run {DAG} 2024-06-05 failed" in log_of(after)
    state, tasks = airflow_db(project, "2024-06-05")
    assert state == "failed" and not UNFINISHED & set(tasks.values()), (state, tasks)


def test_the_next_run_of_an_interrupted_date_succeeds(project):
    run = DopRun(project, "2024-06-01")
    assert run.finish(timeout=300) == 0, run.output()
    assert "DAG run success" in run.output()
    assert airflow_db(project, "2024-06-01") == ("success", dict.fromkeys(
        ["create_schema_naps", "first", "nap", "count"], "success"))


def test_two_runs_of_one_date_wait_for_each_other(project):
    first = DopRun(project, "2024-06-07", '{"nap": 1}')
    first.wait_for_output("Running")
    second = DopRun(project, "2024-06-07")
    second.wait_for_output(f"waiting for another `dop run` of {DAG} for 2024-06-07 to finish (PID {first.proc.pid})")
    wait_for(lambda: running(NAP), 240, f"`{NAP}` running")
    for pid, _ in running(NAP):  # let the first one finish
        os.kill(pid, signal.SIGTERM)
    assert first.finish(timeout=120) == 0, first.output()
    assert second.finish(timeout=300) == 0, second.output()
    assert "IntegrityError" not in first.output() + second.output()
    first_log, second_log = log_of(first), log_of(second)
    assert f"(PID {first.proc.pid}," in first_log and f"(PID {second.proc.pid}," not in first_log
    assert f"(PID {second.proc.pid}," in second_log and f"(PID {first.proc.pid}," not in second_log
    assert airflow_db(project, "2024-06-07")[0] == "success"
