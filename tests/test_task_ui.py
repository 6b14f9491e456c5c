"""What the Airflow UI shows of DOP's tasks, proved on the serialized DAG (what the UI reads) and on the rendered
fields a `dop run` leaves in the Airflow database: the kind on each node (task ids unchanged), the SQL file and
options in the task's docs, the SQL as written and as sent to the engine, an optional full-refresh checkbox with a
description, and a description for every param."""

from __future__ import annotations

import json
import pathlib
import sqlite3

import pytest

from dop_core.testing import ProjectFactory, run_dop

CONFIG = """\
    schedule_interval: null
    schema: shop
    params:
      limit: 5
      region:
        default: eu
        description: The sales region.
    tasks:
      - identifier: create_schema_shop
        kind: {action: materialization, target: schema}
      - identifier: orders
        kind: {action: materialization, target: table}
        description: One row per order.
        partitioning: {field: d, data_type: date}
        dependencies: [create_schema_shop]
      - identifier: seeded
        kind: {action: materialization, target: seed}
        options:
          columns: {n: INT64}
        dependencies: [create_schema_shop]
      - identifier: orders_exist
        kind: {action: assertion, target: assertion}
        dependencies: [orders]
      - identifier: notify
        kind: {action: airflow_operator, target: airflow.providers.standard.operators.bash.BashOperator}
        options:
          arguments: {bash_command: "echo done"}
        dependencies: [orders_exist]
"""
SQL = {
    # BigQuery's GENERATE_ARRAY is not DuckDB's: the SQL as sent differs from the SQL as written
    "orders": "SELECT DATE '{{ ds }}' AS d, x AS order_id FROM UNNEST(GENERATE_ARRAY(1, {{ params.limit }})) AS x",
    "orders_exist": "SELECT COUNT(*) > 0 AS success, 'orders' AS description FROM shop.orders",
}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    factory = ProjectFactory(tmp_path_factory.mktemp("ui") / "shop", "name: shop\n")
    factory.dag("shop", CONFIG, SQL, files={"data/seeded.csv": "n\n1\n2\n"})
    return factory.root


def _serialized(root: pathlib.Path) -> dict:
    from airflow.serialization.serialized_objects import DagSerialization

    from dop_core.build.dags import build_dags

    return DagSerialization.to_dict(build_dags(root)["dop__shop"])["dag"]


def test_each_node_shows_its_kind_and_its_docs_the_sql_file_and_options(shop):
    tasks = {t["__var"]["task_id"]: t["__var"] for t in _serialized(shop)["tasks"]}
    assert {task_id: task.get("_operator_name") for task_id, task in tasks.items()} == {
        "create_schema_shop": "materialization/schema", "orders": "materialization/table",
        "seeded": "materialization/seed", "orders_exist": "assertion/assertion", "notify": None}
    assert tasks["notify"]["task_type"] == "BashOperator"  # an Airflow operator keeps its class name
    orders = tasks["orders"]["doc_md"]
    assert orders.startswith("One row per order.\n\n- **kind**: `materialization/table`\n"), orders
    assert "- **SQL file**: `sql/orders.sql`" in orders and "- **writes**: `shop.orders`" in orders
    assert '- **partitioning**: `{"field": "d", "data_type": "date", "granularity": "day"}`' in orders
    assert '    - `columns`: `{"n": "INT64"}`' in tasks["seeded"]["doc_md"]
    assert "- **schema**: `shop`" in tasks["create_schema_shop"]["doc_md"]
    assert tasks["orders"]["template_fields"] == ["sql", "sql_as_sent"]


def test_full_refresh_is_an_optional_checkbox_and_every_param_has_a_description(shop):
    params = {name: param for name, param in _serialized(shop)["params"]}
    full_refresh = params["full_refresh"]
    assert full_refresh["default"] is False
    assert full_refresh["schema"]["__var"]["type"] == ["boolean", "null"]  # null allowed: not required
    assert full_refresh["description"].startswith("Rebuild every table from scratch")
    assert params["region"]["description"] == "The sales region."
    assert params["limit"]["description"] == ("Param limit from orchestration/shop/config.yaml (default: 5); give it "
                                              "a description there (params.<name>.description).")


@pytest.mark.slow
def test_the_rendered_fields_hold_the_sql_as_written_and_as_sent(shop):
    from dop_core.sql.dialects import translate

    result = run_dop("run", "shop", "--date", "2024-06-01", cwd=shop)
    assert result.returncode == 0, result.stdout + result.stderr
    with sqlite3.connect(shop / ".dop" / "airflow" / "airflow.db") as con:
        rendered = {task_id: json.loads(fields) for task_id, fields in con.execute(
            "SELECT task_id, rendered_fields FROM rendered_task_instance_fields WHERE dag_id = 'dop__shop'")}
    written = rendered["orders"]["sql"]
    assert written == "SELECT DATE '2024-06-01' AS d, x AS order_id FROM UNNEST(GENERATE_ARRAY(1, 5)) AS x"
    sent = rendered["orders"]["sql_as_sent"]
    assert sent == translate(written, "bigquery", "duckdb", True) and "GENERATE_ARRAY" not in sent, sent
    assert rendered["orders_exist"]["sql_as_sent"] == translate(SQL["orders_exist"], "bigquery", "duckdb", True)
    assert rendered["create_schema_shop"]["sql_as_sent"] == ""  # no SQL: nothing sent
