"""Lineage at run time: with apache-airflow-providers-openlineage installed (the ``lineage`` tox env), every
native SQL task of a ``dop run`` emits OpenLineage events with the tables it reads (inputs), the table it
writes (output) and its SQL; the events are read back from the provider's file transport."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from airflow.providers.openlineage.extractors import OperatorLineage  # the env under test has the provider

from dop_core.testing import run_dop

SALES = """\
schema: sales
tasks:
  - identifier: sales_schema
    kind: {action: materialization, target: schema}
  - identifier: orders
    kind: {action: materialization, target: table}
    dependencies: [sales_schema]
  - identifier: big_orders
    kind: {action: materialization, target: view}
    dependencies: auto
  - identifier: totals
    kind: {action: materialization, target: table}
    dependencies: auto
  - identifier: check_totals
    kind: {action: assertion, target: assertion}
    dependencies: auto
"""
SQL = {
    "orders": "SELECT 1 AS id, 10 AS amount UNION ALL SELECT 2, 50",
    "big_orders": "SELECT * FROM sales.orders WHERE amount > 20",
    "totals": "WITH o AS (SELECT * FROM sales.orders)\nSELECT sum(o.amount) AS total, count(b.id) AS big\n"
              "FROM o LEFT JOIN sales.big_orders AS b USING (id)",
    "check_totals": "SELECT total > 0 AS success, 'positive' AS description FROM sales.totals",
}


@pytest.mark.slow
def test_a_run_emits_the_inputs_outputs_and_sql_of_every_native_task(dop_project, tmp_path):
    dop_project.dag("sales", SALES, sql=SQL)
    events_file = tmp_path / "openlineage.jsonl"
    transport = {"type": "file", "log_file_path": str(events_file), "append": True}
    result = run_dop("run", "sales", "--date", "2024-01-01", "--project", str(dop_project.root),
                     env={"AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(transport),
                          "DOP_PARSE_CACHE_DIR": str(tmp_path / "parse-cache")})
    assert result.returncode == 0, result.stdout + result.stderr
    events = [json.loads(line) for line in events_file.read_text().splitlines()]
    warehouse = f"duckdb://{dop_project.root / '.dop' / 'warehouse.duckdb'}"

    def seen(task, event_type):
        [event] = [e for e in events if e["job"]["name"] == f"dop__sales.{task}" and e["eventType"] == event_type]
        return (sorted(d["name"] for d in event["inputs"]), sorted(d["name"] for d in event["outputs"]),
                {d["namespace"] for d in event["inputs"] + event["outputs"]} <= {warehouse},
                event["job"]["facets"].get("sql", {}).get("query"))

    for event_type in ("START", "COMPLETE"):
        assert seen("orders", event_type) == ([], ["sales.orders"], True, SQL["orders"])
        assert seen("big_orders", event_type) == (["sales.orders"], ["sales.big_orders"], True, SQL["big_orders"])
        assert seen("totals", event_type) == (["sales.big_orders", "sales.orders"], ["sales.totals"], True,
                                              SQL["totals"])
        assert seen("check_totals", event_type) == (["sales.totals"], [], True, SQL["check_totals"])


def test_the_facets_name_bigquery_tables_by_project_and_mask_credentials(dop_project):
    from dop_core.build.dags import build_one
    from dop_core.jinja.render import render_task

    dop_project.write("dop_project.yml", "name: test_project\ndefault_target: prod\ntargets:\n"
                      "  prod: {engine: bigquery, project: my-gcp, location: EU}\n")
    dop_project.dag("sales", SALES, sql={
        **SQL, "check_totals": "SELECT TRUE AS success, 'x' AS description FROM other_project.sales.totals "
                               "JOIN sales.totals USING (total) WHERE 'postgresql://u:s3cret@h/db' != ''"})
    dag = build_one(dop_project.project(), "sales")
    for task in dag.tasks:
        if task.task_id not in ("check_totals", "totals"):
            continue
        assert task.get_openlineage_facets_on_start().inputs == []  # not rendered yet: no SQL to read
        task.sql = render_task(dag, task, dt.date(2024, 1, 1), False, True).text  # as Airflow renders it
        task.hide_credentials()
    lineage = dag.get_task("check_totals").get_openlineage_facets_on_complete(None)
    assert isinstance(lineage, OperatorLineage)
    assert [(d.namespace, d.name) for d in lineage.inputs] == [("bigquery", "other_project.sales.totals"),
                                                                ("bigquery", "my-gcp.sales.totals")]
    assert lineage.outputs == []
    assert "s3cret" not in lineage.job_facets["sql"].query
    totals = dag.get_task("totals").get_openlineage_facets_on_start()
    assert [(d.namespace, d.name) for d in totals.outputs] == [("bigquery", "my-gcp.sales.totals")]
