"""Data-aware scheduling: DOP materializations declare the tables they write as Airflow assets, and
``schedule_interval: {assets: [schema.table]}`` schedules a DAG on them."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from dop_core.testing import run_dop

PRODUCER = """\
schedule_interval: "@daily"
schema: retail
tasks:
  - identifier: retail_schema
    kind: {action: materialization, target: schema}
  - identifier: daily_revenue
    kind: {action: materialization, target: table}
    dependencies: [retail_schema]
  - identifier: revenue_view
    kind: {action: materialization, target: view}
    dependencies: [daily_revenue]
  - identifier: revenue_is_positive
    kind: {action: assertion, target: assertion}
    dependencies: [daily_revenue]
"""

CONSUMER = """\
schedule_interval:
  assets: [retail.daily_revenue]
schema: reports
tasks:
  - identifier: reports_schema
    kind: {action: materialization, target: schema}
  - identifier: revenue_report
    kind: {action: materialization, target: table}
    dependencies: [reports_schema]
"""

URI = "x-dop://test_project/retail.daily_revenue"


@pytest.fixture
def project(dop_project):
    dop_project.dag("producer", PRODUCER, sql={
        "daily_revenue": "SELECT DATE '{{ ds }}' AS day, 100 AS revenue",
        "revenue_view": "SELECT * FROM retail.daily_revenue",
        "revenue_is_positive": "SELECT revenue > 0 AS success, 'revenue is positive' AS description "
                               "FROM retail.daily_revenue"})
    dop_project.dag("consumer", CONSUMER, sql={"revenue_report": "SELECT sum(revenue) AS total FROM retail.daily_revenue"})
    return dop_project


def test_materializations_declare_their_tables_and_a_dag_is_scheduled_on_them(project):
    from airflow.sdk import Asset

    dags = project.build()
    producer, consumer = dags["dop__producer"], dags["dop__consumer"]
    assert producer.get_task("daily_revenue").outlets == [Asset(URI)]
    assert producer.get_task("revenue_view").outlets == [Asset("x-dop://test_project/retail.revenue_view")]
    assert producer.get_task("retail_schema").outlets == []
    assert producer.get_task("revenue_is_positive").outlets == []
    assert list(consumer.timetable.asset_condition.objects) == [Asset(URI)]
    assert producer.timetable.asset_condition is None  # a cron schedule


def test_asset_schedule_is_validated_with_its_line(project):
    from dop_core.build.dags import build_one
    from dop_core.errors import ConfigError

    project.dag("consumer", CONSUMER.replace("assets: [retail.daily_revenue]", "asets: [retail.daily_revenue]"))
    with pytest.raises(ConfigError) as info:
        build_one(project.project(), "consumer")
    assert "consumer/config.yaml:2:3" in str(info.value)
    assert "{assets: [schema.table, ...]}" in str(info.value)


def test_parsing_an_asset_schedule_loads_no_provider_uri_normaliser(project):
    code = textwrap.dedent(f"""
        import json, sys
        from dop_core.build.dags import build_dags
        dags = build_dags({str(project.root)!r})
        # Asset("gs://...") or Asset("bigquery://...") would import these (the providers' URI normalisers)
        print(json.dumps(sorted(m for m in sys.modules
                                if m.startswith(("google.cloud.", "airflow.providers.google.assets")))))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def metadata(project, sql: str, *args: object) -> list[tuple]:
    with sqlite3.connect(f"file:{project.root / '.dop/airflow/airflow.db'}?mode=ro", uri=True, timeout=10) as con:
        return con.execute(sql, args).fetchall()


SCHEDULER_VIEW = """
import json
from airflow.models.dag import DagModel
from airflow.utils.session import create_session

with create_session() as session:
    query, triggered = DagModel.dags_needing_dagruns(session)
    ready = sorted(dm.dag_id for dm in query)
print(json.dumps({"ready": ready, "triggered": sorted(triggered)}))
"""


def scheduler_view(project) -> dict:
    """What Airflow's scheduler would start next: DagModel.dags_needing_dagruns, in the project's Airflow home."""
    from dop_core.cli.airflow_home import airflow_env

    out = subprocess.run([sys.executable, "-c", SCHEDULER_VIEW], env=airflow_env(project.project()),
                         capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_running_the_producer_records_an_asset_event_that_queues_the_consumer(project):
    first = run_dop("run", "producer", "--date", "2024-06-01", cwd=project.root)
    assert first.returncode == 0, first.stdout + first.stderr
    events = metadata(project, "SELECT a.uri, e.source_dag_id, e.source_task_id FROM asset_event e "
                               "JOIN asset a ON a.id = e.asset_id ORDER BY e.id")
    assert (URI, "dop__producer", "daily_revenue") in events
    assert ("x-dop://test_project/retail.revenue_view", "dop__producer", "revenue_view") in events
    # the tasks whose SQL reads the table declare it as an inlet: Airflow's asset graph shows who reads it
    inlets = metadata(project, "SELECT r.dag_id, r.task_id FROM task_inlet_asset_reference r JOIN asset a "
                               "ON a.id = r.asset_id WHERE a.uri = ? ORDER BY r.task_id", URI)
    assert inlets == [("dop__producer", "revenue_is_positive"), ("dop__producer", "revenue_view")]
    # DOP's local Airflow creates DAGs paused (as production Airflow usually does): nothing is queued yet
    assert metadata(project, "SELECT target_dag_id FROM asset_dag_run_queue") == []
    refs = metadata(project, "SELECT r.dag_id FROM dag_schedule_asset_reference r JOIN asset a ON a.id = r.asset_id "
                             "WHERE a.uri = ?", URI)
    assert refs == [("dop__consumer",)]

    from dop_core.cli.airflow_home import airflow_env

    unpause = subprocess.run([sys.executable, "-m", "airflow", "dags", "unpause", "dop__consumer"],
                             env=airflow_env(project.project()), capture_output=True, text=True, timeout=300)
    assert unpause.returncode == 0, unpause.stdout + unpause.stderr
    second = run_dop("run", "producer", "--date", "2024-06-02", cwd=project.root)
    assert second.returncode == 0, second.stdout + second.stderr
    queued = metadata(project, "SELECT q.target_dag_id, a.uri FROM asset_dag_run_queue q JOIN asset a "
                               "ON a.id = q.asset_id")
    assert queued == [("dop__consumer", URI)]
    view = scheduler_view(project)
    assert view["ready"] == ["dop__consumer"] and view["triggered"] == ["dop__consumer"]
