"""`dop run` with real dbt-core + dbt-duckdb (from the virtualenv DOP builds) on the local warehouse."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from typing import Any

import pytest
from dbt_shop import SEEDED

from dop_core.testing import clean_env, run_dop

pytestmark = pytest.mark.slow

EXPANDED_DAILY = SEEDED + """\
  - identifier: dbt_run
    kind: {action: dbt, target: run}
    dependencies: [orders]
    options:
      project: shop
      version: "1.11"
      expand: {tests: false}  # a test task per model is covered by test_build; each dbt start costs ~15 s here
  - identifier: dbt_docs
    kind: {action: dbt, target: docs generate}
    dependencies: [dbt_run]
    options: {project: shop}
  - identifier: assert_revenue
    kind: {action: assertion, target: assertion}
    dependencies: [dbt_run]
"""

WEEKLY = """\
schema: shop
tasks:
  - identifier: rebuild
    kind: {action: dbt, target: build}
    options: {project: shop}
"""


def _duckdb(root: Any, sql: str) -> list[tuple[Any, ...]]:
    import duckdb

    with duckdb.connect(str(root / ".dop/warehouse.duckdb"), read_only=True) as con:
        return [tuple(r) for r in con.execute(sql).fetchall()]


def _dbt_server_serving(root: Any) -> None:
    """Wait until a dbt server serves the tests' dbt virtualenv: one served the run just done, or the one that
    run started (its first dbt command) is ready."""
    if "was forked by the dbt server" in (root / ".dop/logs/runs/dop__daily/2024-06-02.log").read_text():
        return
    log = root / ".dop/logs/dbt-server.log"
    deadline = time.monotonic() + 120
    while "serving dbt.cli.main:cli" not in (log.read_text() if log.exists() else ""):
        assert time.monotonic() < deadline, log.read_text() if log.exists() else "no dbt server started"
        time.sleep(0.1)


def _env() -> dict[str, str]:
    return {"DOP_DBT_VENV_ROOT": os.environ["DOP_DBT_VENV_ROOT"]}


def _dop_dbt(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in clean_env().items() if not k.startswith("AIRFLOW")}
    return subprocess.run([sys.executable, "-m", "dop_dbt", *args], env={**env, **_env()}, capture_output=True,
                          text=True, timeout=600, check=False)


def test_dop_run_with_dbt_models_per_task_on_the_native_warehouse(dop_project: Any) -> None:
    from dbt_shop import write_shop

    dop_project.write("dop_project.yml", "name: shop_project\nplugins:\n  dbt:\n    docs_destination: site/dbt-docs\n")
    write_shop(dop_project, daily=EXPANDED_DAILY)
    dop_project.dag("weekly", WEEKLY)  # a second DAG on the same dbt project: the same pool
    root = dop_project.root
    parse = _dop_dbt("parse", "shop", "--project", str(root))
    assert parse.returncode == 0, parse.stdout + parse.stderr
    assert (root / "dbt/shop/target/manifest.json").is_file()

    result = run_dop("run", "daily", "--date", "2024-06-02", "--project", str(root), env=_env())
    assert result.returncode == 0, result.stdout + result.stderr
    for task in ("dbt_run.stg_orders", "dbt_run.daily_revenue", "dbt_docs", "assert_revenue"):
        assert f"  {task}" in result.stdout and "success" in result.stdout.split(f"  {task}")[-1].splitlines()[0]

    # the native seed and the dbt models are tables of one DuckDB file
    tables = _duckdb(root, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'shop' "
                           "ORDER BY 1")
    assert tables == [("daily_revenue",), ("dbt_run_results",), ("orders",), ("stg_orders",)]
    assert _duckdb(root, "SELECT order_date::VARCHAR, revenue, loaded_for FROM shop.daily_revenue ORDER BY 1") == [
        ("2024-06-01", 15.0, "2024-06-02"), ("2024-06-02", 7.0, "2024-06-02")]  # loaded_for: var('ds')
    results = _duckdb(root, "SELECT task_id, unique_id, status FROM shop.dbt_run_results "
                            "WHERE task_id LIKE 'dbt_run.%' ORDER BY task_id, unique_id")
    assert [(t, u.split(".")[2], s) for t, u, s in results] == [
        ("dbt_run.daily_revenue", "daily_revenue", "success"), ("dbt_run.stg_orders", "stg_orders", "success")]

    # the dbt project's one-slot pool exists in the project's Airflow database
    with sqlite3.connect(root / ".dop/airflow/airflow.db") as db:
        pools = db.execute("SELECT pool, slots FROM slot_pool WHERE pool LIKE 'dop_dbt%'").fetchall()
    assert pools == [("dop_dbt__shop_project__shop", 1)]
    with sqlite3.connect(root / ".dop/airflow/airflow.db") as db:
        db.execute("DELETE FROM slot_pool WHERE pool = 'dop_dbt__shop_project__shop'")
    printed = _dop_dbt("pools", "--project", str(root))
    assert printed.stdout.startswith("airflow pools set dop_dbt__shop_project__shop 1 ")
    created = _dop_dbt("pools", "--create", "--project", str(root))
    assert "created Airflow pool dop_dbt__shop_project__shop (1 slot)" in created.stdout, created.stderr
    with sqlite3.connect(root / ".dop/airflow/airflow.db") as db:
        assert db.execute("SELECT slots FROM slot_pool WHERE pool LIKE 'dop_dbt%'").fetchall() == [(1,)]
    assert (root / "site/dbt-docs/index.html").is_file() and (root / "site/dbt-docs/catalog.json").is_file()
    catalog = json.loads((root / "site/dbt-docs/catalog.json").read_text())
    assert "model.shop.daily_revenue" in catalog["nodes"]

    # the second DAG on the same dbt project, as a DOP full refresh: dbt gets --full-refresh
    weekly = run_dop("run", "weekly", "--date", "2024-06-03", "--full-refresh", "--project", str(root), env=_env())
    assert weekly.returncode == 0, weekly.stdout + weekly.stderr
    log = (root / ".dop/logs/runs/dop__weekly/2024-06-03-full-refresh.log").read_text()
    command = next(line for line in log.splitlines() if "Running: " in line and " build " in line)
    assert '"full_refresh": true' in command  # in the vars
    assert " --full-refresh" in command.split("--vars", 1)[1]  # and as dbt's flag
    assert _duckdb(root, "SELECT DISTINCT loaded_for FROM shop.daily_revenue") == [("2024-06-03",)]



def test_a_second_run_of_a_date_keeps_dbts_partial_parse(dop_project: Any) -> None:
    from dbt_shop import DAILY, write_shop

    write_shop(dop_project, daily=DAILY.split("  - identifier: dbt_test")[0])  # the seed and `dbt run`
    root = dop_project.root
    msgpack = root / "dbt/shop/target/partial_parse.msgpack"
    first = run_dop("run", "daily", "--date", "2024-06-02", "--project", str(root), env=_env())
    assert first.returncode == 0, first.stdout + first.stderr
    before = (msgpack.stat().st_mtime_ns, msgpack.read_bytes())
    _dbt_server_serving(root)
    second = run_dop("run", "daily", "--date", "2024-06-02", "--project", str(root), env=_env())
    assert second.returncode == 0, second.stdout + second.stderr
    log = (root / ".dop/logs/runs/dop__daily/2024-06-02.log").read_text()
    assert "Running: " in log and "Unable to do partial parsing" not in log  # dbt's reason for a full re-parse
    # dbt forked by the dbt server the first run started (or one a test before started: they share the venv)
    assert re.search(r"dbt \(PID \d+\) was forked by the dbt server, dbt already imported", log), log
    assert "Done. PASS=2" in log  # dbt's own output, streamed into the task's log as before
    assert _duckdb(root, "SELECT COUNT(*) FROM shop.daily_revenue") == [(2,)]
    assert (msgpack.stat().st_mtime_ns, msgpack.read_bytes()) == before  # dbt found nothing to parse again
    dbt_log = (root / ".dop/logs/dbt/shop/dbt.log").read_text().split("Running with dbt=")[-1]
    assert "Partial parsing enabled, no changes found, skipping parsing" in dbt_log


FAILING_TEST = "select * from {{ ref('stg_orders') }} where amount < 5\n"

BUILD_DAILY = SEEDED + """\
  - identifier: dbt_build
    kind: {action: dbt, target: build}
    dependencies: [orders]
    options: {project: shop, arguments: [{option: --threads, value: 1}]}
  - identifier: assert_revenue
    kind: {action: assertion, target: assertion}
    dependencies: [dbt_build]
"""


def test_a_failing_dbt_test_fails_its_task_and_the_run(dop_project: Any) -> None:
    from dbt_shop import write_shop

    write_shop(dop_project, daily=BUILD_DAILY, extra={"dbt/shop/tests/no_small_orders.sql": FAILING_TEST})
    root = dop_project.root
    result = run_dop("run", "daily", "--date", "2024-06-02", "--project", str(root), env=_env())
    assert result.returncode == 1, result.stdout + result.stderr
    states = dict(line.split() for line in result.stdout.splitlines() if line.startswith("  ") and
                  len(line.split()) == 2 and "->" not in line)
    assert states == {"shop_schema": "success", "orders": "success", "dbt_build": "failed",
                      "assert_revenue": "upstream_failed"}
    assert "dbt build failed (exit 1): test.shop.no_small_orders" in result.stderr
    assert "FAIL" in result.stderr and "test.shop.no_small_orders" in result.stderr  # the summary, in the log
    run_results = json.loads((root / "dbt/shop/target/run_results.json").read_text())["results"]
    rows = _duckdb(root, "SELECT unique_id, status FROM shop.dbt_run_results WHERE task_id = 'dbt_build'")
    assert sorted(rows) == sorted((r["unique_id"], r["status"]) for r in run_results)
    assert len(rows) == 6 and ("test.shop.no_small_orders", "fail") in rows
    assert ("model.shop.daily_revenue", "skipped") in rows


SLOW_MODEL = "select count(*) as n from range(1000000000000) as t(x)\n"  # minutes of DuckDB's time

TIMED_OUT = SEEDED + """\
  - identifier: dbt_slow
    kind: {action: dbt, target: run}
    dependencies: [orders]
    retries: 0
    execution_timeout: 10s
    options: {project: shop, arguments: [{option: --select, value: slow}]}
"""


@pytest.mark.parametrize("server", ["1", "0"], ids=["dbt server", "no dbt server"])
def test_a_dbt_task_past_its_timeout_stops_dbt(dop_project: Any, server: str) -> None:
    import psutil
    from dbt_shop import write_shop

    write_shop(dop_project, daily=TIMED_OUT, extra={"dbt/shop/models/slow.sql": SLOW_MODEL})
    root = dop_project.root
    started = time.monotonic()
    result = run_dop("run", "daily", "--date", "2024-06-02", "--project", str(root), timeout=300,
                     env={**_env(), "DOP_DBT_SERVER": server})
    took = time.monotonic() - started
    assert result.returncode == 1, result.stdout + result.stderr
    assert "dbt_slow  failed" in result.stdout.replace("   ", "  "), result.stdout
    log = (root / ".dop/logs/runs/dop__daily/2024-06-02.log").read_text()
    assert "Process timed out" in log and "stopping dbt (PID" in log, log[-3000:]
    assert took < 60, f"the run took {took:.0f}s: dbt was waited for, not stopped"
    project = str(root / "dbt" / "shop")
    left = []
    for proc in psutil.process_iter(["cwd", "cmdline"]):
        with contextlib.suppress(psutil.Error):
            if proc.info["cwd"] == project:
                left.append((proc.pid, proc.info["cmdline"]))
    assert left == [], f"dbt left running: {left}"
