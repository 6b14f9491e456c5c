"""A whole DOP DAG run with ``dop run --target bq`` against the BigQuery emulator, checked with the client."""

from __future__ import annotations

import datetime as dt

import pytest

from dop_core.testing import run_dop

pytestmark = [pytest.mark.bigquery, pytest.mark.slow]

D = dt.date


def test_dop_run_on_a_bigquery_target(bq_emulator, bq_rows, sales_project):
    targets = (
        f"  local: {{engine: duckdb}}\n"
        f"  bq: {{engine: bigquery, project: test-project, location: US, api_endpoint: '{bq_emulator}', "
        f"job_timeout: 60, labels: {{team: data}}}}\n"
    )
    project = sales_project(
        targets,
        "order_date,store,amount\n"
        "2024-06-01, North ,10\n2024-06-01,north,25\n2024-06-01,South,5\n"
        "2024-06-02,North,40\n2024-06-02,South,60\n",
    )
    first = run_dop("run", "sales", "--date", "2024-06-02", "--target", "bq", cwd=project.root)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "on target bq" in first.stdout
    assert bq_rows("SELECT order_date, store, revenue FROM sales.daily_revenue ORDER BY 1, 2") == [
        {"order_date": D(2024, 6, 1), "store": "north", "revenue": 35},
        {"order_date": D(2024, 6, 1), "store": "south", "revenue": 5},
        {"order_date": D(2024, 6, 2), "store": "north", "revenue": 40},
        {"order_date": D(2024, 6, 2), "store": "south", "revenue": 60},
    ]
    assert bq_rows("SELECT store, revenue FROM sales.top_stores ORDER BY store") == [
        {"store": "north", "revenue": 75},
        {"store": "south", "revenue": 65},
    ]
    assert bq_rows("SELECT order_date, store FROM sales.big_days ORDER BY store") == [
        {"order_date": D(2024, 6, 2), "store": "north"},
        {"order_date": D(2024, 6, 2), "store": "south"},
    ]

    # Later data for both days arrives; an incremental run for 2024-06-02 replaces only that partition.
    project.write(
        "orchestration/sales/data/raw_orders.csv",
        "order_date,store,amount\n2024-06-01,North,1000\n2024-06-02,North,7\n",
    )
    second = run_dop("run", "sales", "--date", "2024-06-02", "--target", "bq", cwd=project.root)
    assert second.returncode == 0, second.stdout + second.stderr
    assert bq_rows("SELECT order_date, store, revenue FROM sales.daily_revenue ORDER BY 1, 2") == [
        {"order_date": D(2024, 6, 1), "store": "north", "revenue": 35},
        {"order_date": D(2024, 6, 1), "store": "south", "revenue": 5},
        {"order_date": D(2024, 6, 2), "store": "north", "revenue": 7},
    ]
    assert bq_rows("SELECT COUNT(*) AS n FROM sales.big_days") == [{"n": 0}]
