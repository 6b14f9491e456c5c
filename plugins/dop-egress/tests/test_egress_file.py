"""The ``file`` destination: local files and fsspec URLs, written whole or not at all."""

from __future__ import annotations

import pathlib
import textwrap

import pytest
from dop_egress.file import export
from dop_egress.options import FileOptions

from dop_core import DopError

ORDERS_COLUMNS = ["id", "customer", "amount", "ordered_on"]


def _files(folder: pathlib.Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_parquet_and_csv_files_hold_exactly_the_tables_rows(warehouse) -> None:
    parquet = warehouse.request("exports/2024-01-02/orders.parquet", FileOptions())
    result = export(parquet)
    written = warehouse.root / "exports/2024-01-02/orders.parquet"
    assert result.where == str(written)
    assert result.rows == 1000
    assert result.bytes == written.stat().st_size > 0
    expected = warehouse.orders()
    assert sorted(warehouse.rows(f"SELECT * FROM read_parquet('{written}')")) == expected

    csv = warehouse.request("exports/orders.csv", FileOptions(), fmt="csv")
    assert export(csv).rows == 1000
    text = (warehouse.root / "exports/orders.csv").read_text()
    assert text.splitlines()[0] == ",".join(ORDERS_COLUMNS)
    back = warehouse.rows(f"SELECT * FROM read_csv('{warehouse.root / 'exports/orders.csv'}')")
    assert sorted(back) == expected
    assert _files(warehouse.root / "exports") == [
        "2024-01-02/orders.parquet",
        "orders.csv",
    ]  # no temp file left


def test_query_result_as_gzipped_jsonl_and_semicolon_csv_without_header(warehouse) -> None:
    from dop_core import FileFormat

    sql = "SELECT id, amount FROM shop.orders WHERE ordered_on = DATE '2024-01-05' ORDER BY id"
    jsonl = warehouse.request("out/day.jsonl.gz", FileOptions(), fmt="jsonl", sql=sql, dialect="bigquery")
    assert jsonl.format == FileFormat("jsonl", compression="gzip")
    result = export(jsonl)
    assert result.rows == 34  # ids 4, 34, ..., 994
    import gzip
    import json

    lines = gzip.decompress((warehouse.root / "out/day.jsonl.gz").read_bytes()).decode().splitlines()
    assert [json.loads(line) for line in lines][:2] == [{"id": 4, "amount": 5.0}, {"id": 34, "amount": 42.5}]

    csv = warehouse.request(
        "out/day.csv",
        FileOptions(),
        sql=sql,
        dialect="bigquery",
        format=FileFormat("csv", header=False, delimiter=";"),
    )
    export(csv)
    assert (warehouse.root / "out/day.csv").read_text().splitlines()[:2] == ["4;5.0", "34;42.5"]


def test_a_retry_gives_the_same_file_and_the_marker_is_written_after_it(warehouse) -> None:
    request = warehouse.request("exports/orders.csv", FileOptions(), fmt="csv", success_marker=True)
    first = export(request)
    content = (warehouse.root / "exports/orders.csv").read_bytes()
    second = export(request)
    assert (warehouse.root / "exports/orders.csv").read_bytes() == content
    assert (first.rows, first.bytes) == (second.rows, second.bytes)
    assert second.files == (
        str(warehouse.root / "exports/orders.csv"),
        str(warehouse.root / "exports/_SUCCESS"),
    )
    assert (warehouse.root / "exports/_SUCCESS").read_bytes() == b""
    assert _files(warehouse.root / "exports") == ["_SUCCESS", "orders.csv"]


def test_overwrite_policies(warehouse) -> None:
    path = warehouse.root / "exports/orders.parquet"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"old")
    with pytest.raises(
        DopError, match=r"orders.parquet already exists and the task's overwrite policy is 'fail'"
    ):
        export(warehouse.request("exports/orders.parquet", FileOptions(), overwrite="fail"))
    skipped = export(warehouse.request("exports/orders.parquet", FileOptions(), overwrite="skip"))
    assert skipped.skipped and skipped.summary().startswith("skipped:")
    assert path.read_bytes() == b"old"
    export(warehouse.request("exports/orders.parquet", FileOptions(), overwrite="replace"))
    assert path.read_bytes()[:4] == b"PAR1"


def test_a_query_failing_midway_leaves_the_previous_file_and_no_temporary_file(warehouse) -> None:
    """DuckDB starts writing, then the query raises at row 150,000: nothing may be published."""
    out = warehouse.root / "exports"
    out.mkdir()
    (out / "big.csv").write_text("the previous export\n")
    sql = (
        "SELECT i, repeat('x', 50) AS pad, "
        "CASE WHEN i < 150000 THEN i ELSE error('boom at row ' || i) END AS v "
        "FROM range(200000) t(i)"
    )
    with pytest.raises(Exception, match="boom at row"):
        export(warehouse.request("exports/big.csv", FileOptions(), fmt="csv", sql=sql))
    assert (out / "big.csv").read_text() == "the previous export\n"
    assert _files(out) == ["big.csv"]


def test_a_failed_rename_removes_the_temporary_file(warehouse) -> None:
    """The final name is taken by a folder, so the rename into place fails (a real OS error)."""
    taken = warehouse.root / "exports/orders.parquet"
    (taken / "inside").mkdir(parents=True)
    with pytest.raises(OSError):
        export(warehouse.request("exports/orders.parquet", FileOptions(), overwrite="replace"))
    assert _files(warehouse.root / "exports") == []
    assert taken.is_dir()


def test_a_local_path_outside_the_project_is_refused_when_the_task_runs(warehouse) -> None:
    """A templated path is checked when rendered: ../ climbing out of the project writes nothing."""
    with pytest.raises(DopError, match=r"egress path \.\./outside\.csv resolves to .*outside the project folder"):
        export(warehouse.request("../outside.csv", FileOptions(), fmt="csv"))
    assert not (warehouse.root.parent / "outside.csv").exists()


def test_fsspec_url_is_uploaded_under_a_temporary_key_then_moved(warehouse) -> None:
    import fsspec

    fs = fsspec.filesystem("memory")
    try:
        result = export(
            warehouse.request(
                "memory://bucket/exports/orders.csv", FileOptions(), fmt="csv", success_marker=True
            )
        )
        assert result.where == "memory://bucket/exports/orders.csv"
        assert sorted(fs.ls("/bucket/exports", detail=False)) == [
            "/bucket/exports/_SUCCESS",
            "/bucket/exports/orders.csv",
        ]
        data = fs.cat_file("/bucket/exports/orders.csv")
        assert data.decode().count("\n") == 1001
        assert len(data) == result.bytes
    finally:
        fs.rm("/bucket", recursive=True)


@pytest.mark.slow
def test_dop_run_exports_a_table_as_parquet_and_csv(dop_project) -> None:
    """End to end: `dop run` builds the table, then egress tasks write the files; they hold its rows."""
    from dop_core.testing import run_dop

    dop_project.dag(
        "shop",
        textwrap.dedent("""\
        schema: shop
        tasks:
          - identifier: shop
            kind: {action: materialization, target: schema}
          - identifier: orders
            kind: {action: materialization, target: table}
            dependencies: [shop]
          - identifier: orders_parquet
            kind: {action: egress, target: file}
            dependencies: [orders]
            options:
              source: shop.orders
              path: exports/{{ ds }}/orders.parquet
              success_marker: true
          - identifier: orders_csv
            kind: {action: egress, target: file}
            dependencies: [orders]
            options:
              path: "{{ params.out }}/orders_{{ ds_nodash }}.csv"
              delimiter: ";"
        params:
          out: exports/csv
          limit: 100
        """),
        sql={
            "orders": "SELECT id, CONCAT('customer ', CAST(MOD(id, 7) AS STRING)) AS customer, "
            "CAST(id * 1.25 AS FLOAT64) AS amount "
            "FROM UNNEST(GENERATE_ARRAY(1, 500)) AS id",
            "orders_csv": "SELECT * FROM shop.orders WHERE id <= {{ params.limit }}",
        },
    )
    done = run_dop("run", "shop", "--date", "2024-03-01", cwd=dop_project.root)
    assert done.returncode == 0, done.stdout + done.stderr
    import duckdb

    con = duckdb.connect(str(dop_project.root / ".dop/warehouse.duckdb"), read_only=True)
    try:
        table = sorted(tuple(r) for r in con.execute("SELECT * FROM shop.orders").fetchall())
        parquet = dop_project.root / "exports/2024-03-01/orders.parquet"
        assert (
            sorted(tuple(r) for r in con.execute(f"SELECT * FROM read_parquet('{parquet}')").fetchall())
            == table
        )
        csv = dop_project.root / "exports/csv/orders_20240301.csv"
        back = con.execute(f"SELECT * FROM read_csv('{csv}', delim=';')").fetchall()
        assert sorted(tuple(r) for r in back) == [r for r in table if r[0] <= 100]
    finally:
        con.close()
    assert (dop_project.root / "exports/2024-03-01/_SUCCESS").is_file()
    log = next((dop_project.root / ".dop/logs/runs/dop__shop").glob("2024-03-01*.log")).read_text()
    assert (
        "exported 500 rows (" in log and f"{parquet.stat().st_size:,} bytes) as parquet to {parquet}" in log
    )
    assert "exported 100 rows (" in log and f"{csv.stat().st_size:,} bytes) as csv to {csv}" in log
