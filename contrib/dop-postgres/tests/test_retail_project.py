"""The retail example project (every native task kind, BigQuery SQL) run by `dop run --target pg`.

The same project also runs on the DuckDB ``local`` target; every table and view must hold the same
rows on both. Then: an incremental run replaces exactly one partition, and a changed schema stops the
run with the full-refresh hint.
"""

from __future__ import annotations

import datetime as dt
import decimal
import pathlib
import shutil
import subprocess
import sys
from typing import Any

import pytest
from conftest import PASSWORD

from dop_core.testing import clean_env

REPO = pathlib.Path(__file__).resolve().parents[3]
RETAIL = REPO / "tests" / "projects" / "retail"
DAG = "daily_sales"

pytestmark = pytest.mark.slow


def _project(root: pathlib.Path, dsn: str) -> pathlib.Path:
    shutil.copytree(RETAIL, root, ignore=shutil.ignore_patterns(".dop", "__pycache__"))
    text = (root / "dop_project.yml").read_text()
    assert "targets:\n" in text
    (root / "dop_project.yml").write_text(
        text.replace("targets:\n", f'targets:\n  pg: {{engine: postgres, dsn: "{dsn}"}}\n', 1)
    )
    return root


def _start(root: pathlib.Path, *args: str) -> subprocess.Popen[str]:
    env = clean_env()
    return subprocess.Popen(
        [sys.executable, "-m", "dop_core.cli.main", "run", DAG, *args],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    out, _ = proc.communicate(timeout=600)
    return proc.returncode, out


def _run(root: pathlib.Path, *args: str) -> tuple[int, str]:
    return _finish(_start(root, *args))


def _value(v: Any) -> Any:
    if isinstance(v, decimal.Decimal | float):
        return round(float(v), 6)
    if isinstance(v, dt.datetime):
        return v.replace(tzinfo=None).isoformat()
    return v


def _rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted((tuple(_value(v) for v in row) for row in rows), key=repr)


def _duckdb_tables(root: pathlib.Path) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    import duckdb

    con = duckdb.connect(str(root / ".dop" / "warehouse.duckdb"), read_only=True)
    try:
        names = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'retail' ORDER BY 1"
            ).fetchall()
        ]
        out = {}
        for name in names:
            cur = con.execute(f'SELECT * FROM retail."{name}"')
            out[name] = ([d[0] for d in cur.description], _rows(cur.fetchall()))
        return out
    finally:
        con.close()


def _pg_tables(dsn: str) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    import psycopg

    with psycopg.connect(dsn) as con:
        names = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'retail' ORDER BY 1"
            ).fetchall()
        ]
        out = {}
        for name in names:
            cur = con.execute(f'SELECT * FROM retail."{name}"')
            out[name] = ([d.name for d in cur.description or ()], _rows(cur.fetchall()))
        return out


def _pg(dsn: str, sql: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as con:
        cur = con.execute(sql)
        return cur.fetchall() if cur.description else []


def test_retail_project_on_postgres_matches_duckdb(tmp_path: pathlib.Path, pg_database: str) -> None:
    local = _project(tmp_path / "local", pg_database)
    pg = _project(tmp_path / "pg", pg_database)
    # the two runs are independent (own .dop/ each): run them side by side
    local_run, pg_run = (
        _start(local, "--date", "2024-06-01"),
        _start(pg, "--date", "2024-06-01", "--target", "pg"),
    )
    (local_code, local_out), (pg_code, pg_out) = _finish(local_run), _finish(pg_run)
    assert local_code == 0, local_out
    assert pg_code == 0, pg_out
    assert "on target pg" in pg_out

    on_duckdb, on_postgres = _duckdb_tables(local), _pg_tables(pg_database)
    assert set(on_duckdb) == {"raw_orders", "daily_revenue", "store_totals", "view_top_stores", "big_days"}
    assert set(on_postgres) == set(on_duckdb)
    for name, (columns, rows) in on_duckdb.items():
        assert on_postgres[name][0] == columns, name
        assert on_postgres[name][1] == rows, name
        assert rows or name == "big_days", f"{name} is empty: the comparison would prove nothing"
    assert ("north", 30.0) in [r[1:3] for r in on_postgres["daily_revenue"][1] if r[0] == dt.date(2024, 6, 1)]
    assert _pg(
        pg_database,
        "SELECT routine_name, routine_type FROM information_schema.routines WHERE routine_schema = 'retail' ORDER BY 1",
    ) == [("udf_clean_store", "FUNCTION")]
    # the procedure is stored by DOP and interpreted, as on DuckDB (BigQuery scripting has no PL/pgSQL twin)
    assert _pg(pg_database, "SELECT schema_name, name FROM _dop.procedures") == [("retail", "sp_flag_big_days")]

    # no password in anything the run printed or logged
    assert PASSWORD not in pg_out
    for log in (pg / ".dop" / "logs").rglob("*"):
        if log.is_file():
            assert PASSWORD not in log.read_text(errors="replace"), log

    # an incremental run replaces exactly the run's partition: tamper with two days, only one comes back
    _pg(
        pg_database,
        "UPDATE retail.daily_revenue SET orders = -1 WHERE order_date IN ('2024-05-31', '2024-06-02')",
    )
    code, out = _run(pg, "--date", "2024-06-02", "--target", "pg")
    assert code == 0, out
    log = (pg / ".dop" / "logs" / "runs" / f"dop__{DAG}" / "2024-06-02.log").read_text()
    assert "updated retail.daily_revenue: replaced 1 partition(s)" in log
    orders = dict(_pg(pg_database, "SELECT order_date, MIN(orders) FROM retail.daily_revenue GROUP BY 1"))
    assert orders[dt.date(2024, 5, 31)] == -1  # untouched
    assert orders[dt.date(2024, 6, 2)] == 1  # replaced from the query
    assert orders[dt.date(2024, 6, 1)] >= 1

    # a query whose columns changed stops the run with the full-refresh hint; the table is unchanged
    sql = pg / "orchestration" / DAG / "sql" / "daily_revenue.sql"
    sql.write_text(sql.read_text().replace("COUNT(*) AS orders", "COUNT(*) AS orders,\n  MAX(order_id) AS last_order"))
    code, out = _run(pg, "--date", "2024-06-02", "--target", "pg")
    assert code != 0
    assert "no longer match table retail.daily_revenue" in out and "+ last_order" in out
    assert "Run with a full refresh" in out
    assert "last_order" not in [
        c
        for (c,) in _pg(
            pg_database,
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'daily_revenue'",
        )
    ]
