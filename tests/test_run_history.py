"""Runs made by `dop run` in the Airflow history the UI of `dop airflow` reads: the DAG run starts and ends when it
really ran (not at its logical date), and Airflow's own log reader reads each task's log from the project's Airflow
home (no "Could not read served logs")."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import sqlite3
import subprocess
import sys

import pytest

from dop_core.testing import ProjectFactory, run_dop

CONFIG = """\
    schedule_interval: "@daily"
    schema: shop
    tasks:
      - identifier: create_schema_shop
        kind: {action: materialization, target: schema}
      - identifier: orders
        kind: {action: materialization, target: table}
        dependencies: [create_schema_shop]
"""
SQL = {"orders": "SELECT x AS order_id FROM UNNEST(GENERATE_ARRAY(1, 4)) AS x"}

READ_LOG = """
import json
from airflow.models.taskinstance import TaskInstance
from airflow.utils.log.log_reader import TaskLogReader
from airflow.utils.session import create_session
from sqlalchemy import select

with create_session() as session:
    ti = session.scalar(select(TaskInstance).where(TaskInstance.dag_id == "dop__shop",
                                                   TaskInstance.task_id == "orders"))
    logs, _ = TaskLogReader().read_log_chunks(ti, ti.try_number, {})
    print("LOG " + json.dumps([getattr(x, "event", None) or str(x) for x in logs]))
"""


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    factory = ProjectFactory(tmp_path_factory.mktemp("history") / "shop", "name: shop\n")
    factory.dag("shop", CONFIG, SQL)
    return factory.root


@pytest.mark.slow
def test_a_dop_run_has_real_times_and_logs_the_ui_reads(shop):
    before = dt.datetime.now(dt.UTC)
    result = run_dop("run", "shop", "--date", "2024-06-01", cwd=shop)
    assert result.returncode == 0, result.stdout + result.stderr
    after = dt.datetime.now(dt.UTC)
    with sqlite3.connect(shop / ".dop" / "airflow" / "airflow.db") as con:
        logical, start, end = con.execute(
            "SELECT logical_date, start_date, end_date FROM dag_run WHERE dag_id = 'dop__shop'").fetchone()
    start, end = (dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC) for value in (start, end))
    assert logical.startswith("2024-06-01")
    assert before - dt.timedelta(seconds=5) <= start <= end <= after, (start, end)  # seconds, not 911 days

    from dop_core.cli.airflow_home import airflow_env
    from dop_core.config.project import load_project

    read = subprocess.run([sys.executable, "-c", READ_LOG], env=airflow_env(load_project(str(shop))), cwd=shop,
                          capture_output=True, text=True, timeout=300, check=False)
    assert read.returncode == 0, read.stdout + read.stderr
    log = "\n".join(json.loads(next(line for line in read.stdout.splitlines() if line.startswith("LOG "))[4:]))
    assert "Could not read served logs" not in log and "served" not in log.lower(), log
    assert "shop.orders (4 rows)" in log, log
