"""What `dop run` shows and records: each task as it starts and ends (state, duration), a failure's one-line
reason first and its log's path after (the traceback only in that log), a summary (counts by state, total
time), colour only on a terminal and never with NO_COLOR; the results in .dop/runs/<run id>/run_results.json,
printed alone on stdout by `--format json`, matching the Airflow database and the warehouse, with secrets
redacted."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import pathlib
import re

import pytest

from dop_core.cli.run_output import paint, use_colour
from dop_core.testing import ProjectFactory, clean_env, run_dop, secrets_in_clear

PLANTED = "Planted-S3cret-4242"
CONFIG = """\
    schedule_interval: null
    schema: shop
    tasks:
      - identifier: create_schema_shop
        kind: {action: materialization, target: schema}
      - identifier: orders
        kind: {action: materialization, target: table}
        dependencies: [create_schema_shop]
      - identifier: broken
        kind: {action: materialization, target: table}
        dependencies: [create_schema_shop]
      - identifier: after_broken
        kind: {action: materialization, target: table}
        dependencies: [broken]
"""
SQL = {
    "orders": "SELECT x AS order_id FROM UNNEST(GENERATE_ARRAY(1, 5)) AS x",
    # the engine's error quotes the value: a connection string with its password
    "broken": f"SELECT\n  CAST('postgresql://dop:{PLANTED}@db.example/shop' AS INT64) AS n",
    "after_broken": "SELECT n FROM shop.broken",
}


@pytest.mark.parametrize(("tty", "env", "expected"), [
    (True, {}, True),
    (True, {"NO_COLOR": "1"}, False),
    (True, {"NO_COLOR": "anything"}, False),
    (False, {}, False),
])
def test_colour_only_on_a_terminal_and_never_with_no_color(tty, env, expected):
    if tty:
        leader, follower = os.openpty()
        stream = open(follower, "w")  # noqa: SIM115 -- closed below
    else:
        stream, leader = io.StringIO(), None
    try:
        assert use_colour(stream, env) is expected
    finally:
        stream.close()
        if leader is not None:
            os.close(leader)
    assert paint("failed", True).startswith("\x1b[") and "failed" in paint("failed", True)
    assert paint("failed", False) == "failed"


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    factory = ProjectFactory(tmp_path_factory.mktemp("results") / "shop", "name: shop\n")
    factory.dag("shop", CONFIG, SQL)
    return factory.root


def _warehouse_count(root: pathlib.Path, table: str) -> int:
    import duckdb

    with duckdb.connect(str(root / ".dop" / "warehouse.duckdb"), read_only=True) as con:
        return int(con.execute(f"SELECT COUNT(*) FROM shop.{table}").fetchone()[0])


@pytest.mark.slow
def test_format_json_prints_the_results_alone_and_writes_them(shop):
    result = run_dop("run", "shop", "--date", "2024-06-01", "--format", "json", cwd=shop)
    assert result.returncode == 1, result.stderr
    results = json.loads(result.stdout)  # stdout is the JSON and nothing else
    written = shop / ".dop" / "runs" / results["run_id"] / "run_results.json"
    assert json.loads(written.read_text()) == results
    assert json.loads((shop / ".dop" / "runs" / "latest" / "run_results.json").read_text()) == results
    assert (results["dag_id"], results["logical_date"], results["target"], results["state"]) == (
        "dop__shop", "2024-06-01", "local", "failed")
    tasks = {t["task_id"]: t for t in results["tasks"]}
    assert [t["task_id"] for t in results["tasks"]] == ["create_schema_shop", "orders", "broken", "after_broken"]
    assert {k: t["state"] for k, t in tasks.items()} == {
        "create_schema_shop": "success", "orders": "success", "broken": "failed", "after_broken": "upstream_failed"}
    assert results["counts"] == {"success": 2, "failed": 1, "upstream_failed": 1}
    assert tasks["orders"]["rows_written"] == _warehouse_count(shop, "orders") == 5
    assert tasks["orders"]["kind"] == "materialization/table" and tasks["orders"]["error"] is None
    for task_id in ("create_schema_shop", "orders", "broken"):
        start, end = (dt.datetime.fromisoformat(tasks[task_id][k]) for k in ("start", "end"))
        assert start <= end and abs((end - start).total_seconds() - tasks[task_id]["duration_s"]) < 0.01
    assert tasks["after_broken"]["rows_written"] is None and tasks["after_broken"]["error"] is None
    error = tasks["broken"]["error"]
    assert error.startswith("EngineError: task 'broken' [materialization/table] (sql/broken.sql) failed on target "
                            "'local' (engine duckdb)"), error
    assert "postgresql://dop:***@db.example/shop" in error
    assert "Traceback" in (shop / tasks["broken"]["log"]).read_text()  # the task's own log keeps it
    # orders and broken both wait for the schema only: either may run second
    assert re.search(r"^  \[[23]/4\] <- orders  success  \d+\.\d\ds$", result.stderr, re.M), result.stderr
    assert "2 success, 1 failed, 1 upstream_failed; " in result.stderr  # the progress went to stderr
    assert secrets_in_clear({"url": PLANTED}, outputs={"stdout": result.stdout, "stderr": result.stderr},
                            folders=(shop / ".dop" / "runs", shop / ".dop" / "logs")) == []


@pytest.mark.slow
def test_run_shows_each_task_the_failure_first_and_a_summary(shop):
    result = run_dop("run", "shop", "--date", "2024-06-02", "--exclude", "after_broken", cwd=shop)
    out, err = result.stdout, result.stderr
    assert result.returncode == 1, out + err
    assert out.startswith("Running dop__shop for 2024-06-02 on target local (3 of 4 tasks selected)\n")
    started = re.findall(r"^  \[(\d)/3\] -> (\w+)$", out, re.M)
    ended = re.findall(r"^  \[(\d)/3\] <- (\w+)  (\w+)  (\d+\.\d\d)s$", out, re.M)
    assert started[0] == ("1", "create_schema_shop") and len(started) == 3
    assert {(task, state) for _, task, state, _ in ended} == {
        ("create_schema_shop", "success"), ("orders", "success"), ("broken", "failed")}
    assert "\x1b[" not in out + err  # no colour: not a terminal
    # the reason right under the failed task's line
    assert re.search(r"<- broken  failed  \S+\n        EngineError: task 'broken' \[materialization/table\] "
                     r"\(sql/broken\.sql\) failed on target 'local'", out), out
    assert re.search(r"^2 success, 1 failed; 1 not selected; \d+\.\d\ds in all$", out, re.M), out
    assert "1 task(s) not selected: after_broken" in out
    reason = err.index("broken failed: EngineError: task 'broken'")
    log_line = re.search(r"----- its full log \(with any traceback\): (\S+/logs/broken\.log)", err)
    assert log_line and reason < log_line.start(), err
    assert "Traceback" not in out + err and 'File "' not in out + err
    assert "Traceback" in (shop / log_line.group(1)).read_text()
    results = json.loads((shop / ".dop" / "runs" / "latest" / "run_results.json").read_text())
    assert results["not_selected"] == ["after_broken"] and results["logical_date"] == "2024-06-02"


def test_an_interrupted_run_still_writes_its_results(tmp_path, capsys):
    """What `dop run` records when Ctrl-C stopped it: the states the runner marked, the interruption, each task's
    own log (from the runner's output, as `dop run` reads it)."""
    from dop_core.cli.run_output import RunReport
    from dop_core.cli.selection import Selection

    said: list[str] = []
    report = RunReport("dop__naps", "2024-06-01", "local", False, "dop__naps.2024-06-01.x", tmp_path / "runs" / "x",
                       tmp_path, tmp_path / "run.log", Selection(("first", "nap"), ("count",)), said.append)
    for line in ["2024-06-01T00:00:00Z [info] [DAG TEST] starting task_id=first map_index=-1\n",
                 "2024-06-01T00:00:01Z [info] created shop.first (1 rows)\n",
                 "2024-06-01T00:00:02Z [info] [DAG TEST] end task task_id=first map_index=-1\n"]:
        report.log_line(line)
    report.task_ended({"task_id": "first", "state": "success", "duration_s": 1.5, "error": None})
    report.log_line("2024-06-01T00:00:03Z [info] [DAG TEST] starting task_id=nap map_index=-1\n")
    path = report.finish({"state": "failed", "tasks": {"first": "success", "nap": "failed"}, "interrupted": "SIGINT"},
                         "failed", "SIGINT")
    results = json.loads(path.read_text())
    assert path == tmp_path / "runs" / "x" / "run_results.json"
    assert (results["state"], results["interrupted"], results["not_selected"]) == ("failed", "SIGINT", ["count"])
    assert [(t["task_id"], t["state"], t["duration_s"]) for t in results["tasks"]] == [
        ("first", "success", 1.5), ("nap", "failed", None)]
    first_log = (tmp_path / results["tasks"][0]["log"]).read_text()
    assert first_log == "2024-06-01T00:00:01Z [info] created shop.first (1 rows)\n"
    assert said[:2] == ["  [1/2] -> first", "  [1/2] <- first  success  1.50s"]
    assert "1 success, 1 failed; 1 not selected; " in "\n".join(said)
    assert results["tasks"][1]["log"] == "runs/x/logs/nap.log"  # stopped midway: its log so far
    assert capsys.readouterr().err.startswith("\nnap failed: see its log")


@pytest.mark.slow
def test_on_a_terminal_the_states_are_in_colour(shop):
    import select
    import subprocess
    import sys

    leader, follower = os.openpty()
    env = {k: v for k, v in clean_env().items() if k != "NO_COLOR"}
    proc = subprocess.Popen([sys.executable, "-m", "dop_core.cli.main", "run", "shop", "--date", "2024-06-03",
                             "--select", "+orders"], cwd=shop, env=env, stdin=subprocess.DEVNULL, stdout=follower,
                            stderr=follower)
    os.close(follower)
    shown = b""
    while True:  # read as it comes: a full terminal buffer would stop the run
        ready, _, _ = select.select([leader], [], [], 300)
        assert ready, shown.decode(errors="replace")
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the run ended and closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert proc.wait(timeout=60) == 0, shown.decode(errors="replace")
    text = shown.decode()
    assert re.search(r"<- orders  \x1b\[32msuccess\x1b\[0m  \d+\.\d\ds", text), text
