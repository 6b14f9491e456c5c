"""`dop run` of a DAG with Spark tasks on the local target: real Airflow, real DuckDB, real Spark local mode.

One run serves every test here (a Spark job takes tens of seconds to start on a busy machine): the DAG
has a successful chain (native -> Spark SQL -> PySpark -> assertion) and a Spark SQL task with a mistake.
"""

from __future__ import annotations

import pathlib

import pytest
from conftest import write_shop

from dop_core.testing import ProjectFactory, run_dop

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def shop_run(java: str, tmp_path_factory: pytest.TempPathFactory):
    factory = ProjectFactory(tmp_path_factory.mktemp("spark") / "project")
    write_shop(factory)
    result = run_dop("run", "shop", "--date", "2024-03-01", cwd=factory.root, timeout=900)
    return factory.root, result


def _query(root: pathlib.Path, sql: str) -> list[tuple]:
    import duckdb

    con = duckdb.connect(str(root / ".dop" / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _states(output: str) -> dict[str, str]:
    states = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1] in ("success", "failed", "upstream_failed", "skipped"):
            states[parts[0]] = parts[1]
    return states


def test_each_task_ends_as_expected(shop_run):
    _, result = shop_run
    assert _states(result.stdout) == {
        "create_shop": "success",
        "orders": "success",
        "customer_totals": "success",
        "customer_tiers": "success",
        "check_tiers": "success",
        "keep_me": "success",
        "broken_totals": "failed",
    }, result.stdout + result.stderr
    assert result.returncode == 1  # the DAG run failed: broken_totals failed


def test_spark_sql_and_pyspark_results_land_in_the_warehouse(shop_run):
    root, _ = shop_run
    # Spark SQL aggregate (templated with ds), read back by the PySpark task, tiered by a Python UDF
    # using a DAG param, checked by the native assertion: the final table holds exactly these rows.
    rows = _query(
        root,
        "SELECT customer, CAST(total AS DOUBLE), tier, run_ds, dag_id FROM shop.tiered_customers ORDER BY customer",
    )
    assert rows == [
        ("alice", 110.0, "gold", "2024-03-01", "dop__shop"),
        ("bob", 25.0, "silver", "2024-03-01", "dop__shop"),
        ("carol", 5.0, "bronze", "2024-03-01", "dop__shop"),
    ]
    totals = _query(root, "SELECT customer, orders, CAST(day AS VARCHAR) FROM shop.customer_totals ORDER BY 1")
    assert totals == [("alice", 2, "2024-03-01"), ("bob", 1, "2024-03-01"), ("carol", 1, "2024-03-01")]


def test_a_spark_error_fails_its_task_with_sparks_message(shop_run):
    _, result = shop_run
    # `dop run` prints the failed task's log: Spark's own error names the bad column, suggests the right one
    assert "----- log of failed task broken_totals -----" in result.stderr
    assert "the Spark job failed: AnalysisException: [UNRESOLVED_COLUMN.WITH_SUGGESTION]" in result.stderr
    assert "`amount_typo` cannot be resolved" in result.stderr
    assert "task 'broken_totals' [spark/sql] (sql/broken_totals.sql)" in result.stderr
    # pyspark's duplicate JSON report of the same error is silenced
    assert "SQLQueryContextLogger" not in result.stderr


def test_a_failed_job_leaves_its_output_table_as_it_was(shop_run):
    root, _ = shop_run
    assert _query(root, "SELECT marker FROM shop.keep_me") == [("old",)]


def test_job_files_are_kept_only_for_the_failed_job(shop_run):
    root, _ = shop_run
    spark_dir = root / ".dop" / "spark" / "dop__shop"
    assert [p.name for p in (spark_dir / "customer_totals").iterdir()] == []
    kept = list((spark_dir / "broken_totals").iterdir())
    assert len(kept) == 1
    assert (kept[0] / "spec.json").is_file()
    assert (kept[0] / "inputs" / "shop.orders" / "data.parquet").is_file()
