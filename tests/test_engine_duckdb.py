"""The DuckDB engine and the shared materialization logic, on a real DuckDB file."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import subprocess
import sys
import time

import pytest

from dop_core.builtin.duckdb.engine import DuckDBEngine
from dop_core.builtin.duckdb.target import DuckDBTarget
from dop_core.builtin.materialization.table import SchemaChanged, materialize_table
from dop_core.config.identifiers import Relation
from dop_core.config.models import IntegerRange, Partitioning, Target
from dop_core.contract.condition import AssertionFailed, run_assertion
from dop_core.contract.engine import Argument, Engine
from dop_core.contract.shape import PartitioningUnknown, partitioning_comment, partitioning_from_comment
from dop_core.errors import EngineError
from dop_core.testing import (
    HISTORY_QUERY,
    assert_history_protected,
    assert_nullability_protected,
    assert_same_shapes_pass,
    check_transactions,
    history_changes,
)

ORDERS = Relation("retail", "orders")
BY_DAY = Partitioning(field="d", data_type="date")


@pytest.fixture
def target(tmp_path):
    return Target("local", "duckdb", {}, DuckDBTarget(path="wh.duckdb", lock_timeout=5), root=tmp_path)


@pytest.fixture
def engine(target):
    with DuckDBEngine(target) as eng:
        eng.create_schema("retail")
        yield eng


def rows(engine, sql):
    return sorted(engine.query(sql).rows)


def days_query(*days_and_amounts):
    return " UNION ALL ".join(f"SELECT DATE '{d}' AS d, {a} AS amount" for d, a in days_and_amounts)


def test_first_run_creates_then_incremental_replaces_only_returned_partitions(engine):
    out = materialize_table(engine, ORDERS, days_query(("2024-06-01", 1), ("2024-06-02", 2)), BY_DAY, False)
    assert out.action == "created" and out.rows == 2
    out = materialize_table(engine, ORDERS, days_query(("2024-06-02", 20), ("2024-06-02", 21), ("2024-06-03", 3)),
                            BY_DAY, False)
    assert out.partitions == 2
    assert rows(engine, "SELECT d::VARCHAR, amount FROM retail.orders") == [
        ("2024-06-01", 1), ("2024-06-02", 20), ("2024-06-02", 21), ("2024-06-03", 3)]
    assert not engine.table_exists(engine.temp_relation(ORDERS))


def test_full_refresh_rebuilds_everything(engine):
    materialize_table(engine, ORDERS, days_query(("2024-06-01", 1), ("2024-06-02", 2)), BY_DAY, False)
    out = materialize_table(engine, ORDERS, days_query(("2024-07-01", 7)), BY_DAY, True)
    assert out.action == "full refresh of"
    assert rows(engine, "SELECT d::VARCHAR, amount FROM retail.orders") == [("2024-07-01", 7)]


def test_unpartitioned_incremental_replaces_all_rows(engine):
    materialize_table(engine, ORDERS, "SELECT 1 AS x UNION ALL SELECT 2", None, False)
    materialize_table(engine, ORDERS, "SELECT 3 AS x", None, False)
    assert rows(engine, "SELECT x FROM retail.orders") == [(3,)]


def test_changed_schema_fails_with_full_refresh_hint_and_keeps_the_table(engine):
    materialize_table(engine, ORDERS, days_query(("2024-06-01", 1)), BY_DAY, False)
    with pytest.raises(SchemaChanged) as info:
        materialize_table(engine, ORDERS, "SELECT DATE '2024-06-01' AS d, 1 AS amount, 'x' AS note", BY_DAY, False)
    message = str(info.value)
    assert "+ note VARCHAR (new column)" in message
    assert "full refresh" in message and "--full-refresh" in message
    assert rows(engine, "SELECT d::VARCHAR, amount FROM retail.orders") == [("2024-06-01", 1)]
    assert not engine.table_exists(engine.temp_relation(ORDERS))
    materialize_table(engine, ORDERS, "SELECT DATE '2024-06-01' AS d, 1 AS amount, 'x' AS note", BY_DAY, True)
    assert engine.columns(ORDERS)[-1] == ("note", "VARCHAR")


def test_type_change_is_a_schema_change(engine):
    materialize_table(engine, ORDERS, "SELECT 1 AS amount", None, False)
    with pytest.raises(SchemaChanged, match=r"~ amount: INTEGER -> VARCHAR"):
        materialize_table(engine, ORDERS, "SELECT 'one' AS amount", None, False)


def orders(engine):
    return rows(engine, "SELECT * FROM retail.orders")


@pytest.mark.parametrize("change", history_changes(), ids=lambda change: change.name)
def test_an_incremental_run_refuses_a_changed_partitioning_and_keeps_every_row(engine, change):
    assert_history_protected(engine, ORDERS, change, lambda: orders(engine))


def test_an_incremental_run_refuses_a_column_that_became_not_null(engine):
    assert_nullability_protected(
        engine, ORDERS, lambda: engine.execute("ALTER TABLE retail.orders ALTER COLUMN amount SET NOT NULL"),
        lambda: orders(engine))


def test_reruns_and_integer_spellings_the_project_types_alike_pass(engine):
    # DuckDB types `1` INTEGER and `CAST(1 AS INT64)` BIGINT: both are BigQuery's INT64
    assert_same_shapes_pass(engine, ORDERS, ["CAST(1 AS INT64)", "CAST(1 AS BIGINT)", "1"], lambda: orders(engine))


def test_integer_widths_differ_in_a_duckdb_dialect_project(engine):
    materialize_table(engine, ORDERS, "SELECT 1 AS amount", None, False, "duckdb")
    with pytest.raises(SchemaChanged, match=r"~ amount: INTEGER -> BIGINT"):
        materialize_table(engine, ORDERS, "SELECT CAST(1 AS INT64) AS amount", None, False, "duckdb")


def test_the_partitioning_is_recorded_in_the_table_comment(engine):
    materialize_table(engine, ORDERS, HISTORY_QUERY, BY_DAY, False)
    assert engine.query("SELECT comment FROM duckdb_tables() WHERE table_name = 'orders'").rows == [
        ('dop:{"partitioning": {"data_type": "date", "field": "d", "granularity": "day"}}',)]
    materialize_table(engine, ORDERS, HISTORY_QUERY, None, True)
    assert engine.query("SELECT comment FROM duckdb_tables() WHERE table_name = 'orders'").rows == [
        ('dop:{"partitioning": null}',)]


def test_a_table_without_a_record_is_adopted_only_by_a_partitioned_task(engine, caplog):
    engine.execute(f"CREATE TABLE retail.orders AS {HISTORY_QUERY}")  # as an older DOP built it: no record
    kept = orders(engine)
    with pytest.raises(SchemaChanged) as info:
        materialize_table(engine, ORDERS, HISTORY_QUERY, None, False)
    assert "no record of how it is partitioned" in str(info.value) and "full refresh" in str(info.value)
    assert orders(engine) == kept
    # partition replacement touches only the partitions the query returns: the task's partitioning is adopted
    out = materialize_table(engine, ORDERS, "SELECT DATE '2024-06-01' AS d, DATE '2024-07-01' AS e, 5 AS n, "
                            "9 AS amount", BY_DAY, False)
    assert (out.action, out.partitions) == ("updated", 1)
    assert "DOP adopts the task's partitioning" in caplog.text
    assert engine.table_shape(ORDERS).partitioning == BY_DAY
    with pytest.raises(SchemaChanged, match=r"- partitioning by d \(date, day\)"):
        materialize_table(engine, ORDERS, HISTORY_QUERY, None, False)


def test_a_failing_query_leaves_the_previous_table_intact(engine):
    materialize_table(engine, ORDERS, days_query(("2024-06-01", 1)), BY_DAY, False)
    failing = "SELECT DATE '2024-06-01' AS d, CAST('not a number' AS INTEGER) AS amount"
    for full_refresh in (False, True):
        with pytest.raises(Exception, match="Conversion Error"):
            materialize_table(engine, ORDERS, failing, BY_DAY, full_refresh)
        assert rows(engine, "SELECT d::VARCHAR, amount FROM retail.orders") == [("2024-06-01", 1)]


@pytest.mark.parametrize(("partitioning", "values", "expected"), [
    (Partitioning(field="t", data_type="timestamp", granularity="hour"),
     ["TIMESTAMP '2024-06-01 10:15:00'", "TIMESTAMP '2024-06-01 11:05:00'"],
     # the 10:00 hour is replaced whole: 10:15 goes, 10:45 comes, 11:00 is untouched
     {"2024-06-01 10:45:00": "new", "2024-06-01 11:05:00": "old"}),
    (Partitioning(field="t", data_type="int64", range=IntegerRange(0, 100, 10)),
     [5, 25], {7: "new", 25: "old"}),  # bucket [0, 10) is replaced, [20, 30) is untouched
])
def test_other_partition_types(engine, partitioning, values, expected):
    first = " UNION ALL ".join(f"SELECT {v} AS t, 'old' AS v" for v in values)
    materialize_table(engine, ORDERS, first, partitioning, False)
    newer = "SELECT TIMESTAMP '2024-06-01 10:45:00' AS t, 'new' AS v" if partitioning.data_type == "timestamp" \
        else "SELECT 7 AS t, 'new' AS v"
    assert materialize_table(engine, ORDERS, newer, partitioning, False).partitions == 1
    got = {(str(t) if partitioning.data_type == "timestamp" else t): v
           for t, v in engine.query("SELECT t, v FROM retail.orders").rows}
    assert got == expected


def test_udf_and_view(engine):
    engine.create_function(Relation("retail", "clean"), [Argument("s", "STRING")], "lower(trim(s))", None)
    engine.create_view(Relation("retail", "v"), "SELECT retail.clean('  ABC ') AS x")
    assert engine.query("SELECT x FROM retail.v").rows == [("abc",)]


def test_procedure_call_binds_typed_arguments(engine):
    body = ("CREATE TABLE IF NOT EXISTS retail.calls (d DATE, n INT64);\n"
            "INSERT INTO retail.calls SELECT run_date, times FROM UNNEST([1]) AS x;")
    engine.create_procedure(Relation("retail", "record"), [Argument("run_date", "DATE"), Argument("times", "INT64")],
                            body, "bigquery")
    engine.call("CALL retail.record(DATE '2024-06-01', 3); CALL retail.record(DATE_ADD(DATE '2024-06-01', "
                "INTERVAL 1 DAY), 4)", "bigquery")
    assert engine.query("SELECT d::VARCHAR, n, typeof(d) FROM retail.calls ORDER BY d").rows == [
        ("2024-06-01", 3, "DATE"), ("2024-06-02", 4, "DATE")]
    with pytest.raises(EngineError, match="expects 2 argument"):
        engine.call("CALL retail.record(DATE '2024-06-01')", "bigquery")
    with pytest.raises(EngineError, match="no such procedure"):
        engine.call("CALL retail.nope(1)", "bigquery")


def test_a_procedure_failing_after_its_delete_leaves_the_table_as_it_was(engine):
    """A procedure's statements run in one transaction: the DELETE is undone when a later statement fails."""
    engine.execute("CREATE TABLE retail.daily AS SELECT * FROM (VALUES (DATE '2024-06-01', 10), "
                   "(DATE '2024-06-02', 20)) AS t(d, amount)")
    body = ("DELETE FROM retail.daily WHERE d <= run_date;\n"
            "INSERT INTO retail.daily SELECT run_date, CAST('not a number' AS INT64);")
    engine.create_procedure(Relation("retail", "reload"), [Argument("run_date", "DATE")], body, "bigquery")
    with pytest.raises(Exception, match="not a number"):
        engine.call("CALL retail.reload(DATE '2024-06-02')", "bigquery")
    assert rows(engine, "SELECT d::VARCHAR, amount FROM retail.daily") == [("2024-06-01", 10), ("2024-06-02", 20)]
    # the engine is usable afterwards, and a body that succeeds commits all of its statements
    engine.create_procedure(Relation("retail", "reload"), [Argument("run_date", "DATE")],
                            "DELETE FROM retail.daily WHERE d <= run_date;\n"
                            "INSERT INTO retail.daily SELECT run_date, 99;", "bigquery")
    engine.call("CALL retail.reload(DATE '2024-06-01')", "bigquery")
    assert rows(engine, "SELECT d::VARCHAR, amount FROM retail.daily") == [("2024-06-01", 99), ("2024-06-02", 20)]


def test_a_transaction_is_all_or_nothing_and_goes_on_after_a_failed_statement_from_a_savepoint(engine):
    """DuckDB aborts a transaction when a statement fails and has no savepoints: rolling back to a savepoint
    rolls back and replays what the transaction wrote before it."""
    check_transactions(engine, "retail")


def test_assertion_report_lists_every_row(engine):
    passed, report = run_assertion(engine, "SELECT true AS success, 'fine' AS description, 3 AS n UNION ALL "
                                           "SELECT false, 'broken', 0", "checks")
    assert not passed
    assert "1 passed, 1 failed" in report
    assert "[PASS] fine (n=3)" in report and "[FAIL] broken (n=0)" in report
    with pytest.raises(EngineError, match="must return the columns success and description"):
        run_assertion(engine, "SELECT 1 AS ok", "bad")
    assert issubclass(AssertionFailed, EngineError)


def test_an_assertion_returning_no_row_fails(engine):
    # the original DOP passed it: an assertion that checks nothing hides a broken query
    passed, report = run_assertion(engine, "SELECT true AS success, 'x' AS description WHERE false", "empty")
    assert not passed
    assert report == ("assertion empty: failed, the query returned no rows; an assertion returns at least one row, "
                      "each with success and description")


def test_a_warehouse_path_that_is_a_folder_is_a_clear_error(tmp_path):
    (tmp_path / "warehouse").mkdir()
    folder = Target("local", "duckdb", {}, DuckDBTarget(path="warehouse"), root=tmp_path)
    with pytest.raises(EngineError, match=r"is .*/warehouse, a folder: set the target's `path` to a file"):
        DuckDBEngine(folder)


def test_seed_load_csv(engine, tmp_path):
    csv = tmp_path / "people.csv"
    csv.write_text("id;name;born\n1;Ada;1815-12-10\n2;Alan;1912-06-23\n")
    n = engine.load_csv(Relation("retail", "people"), str(csv), {"id": "BIGINT", "name": "VARCHAR", "born": "DATE"},
                        ";", True)
    assert n == 2
    assert engine.columns(Relation("retail", "people")) == [("id", "BIGINT"), ("name", "VARCHAR"), ("born", "DATE")]


def _hold_lock(path, seconds, started):
    target = Target("local", "duckdb", {}, DuckDBTarget(path=path), root=None)
    with DuckDBEngine(target):
        started.set()
        time.sleep(seconds)


def test_a_second_process_waits_for_the_warehouse(tmp_path, target):
    path = str(tmp_path / "wh.duckdb")
    started = multiprocessing.get_context("spawn").Event()
    holder = multiprocessing.get_context("spawn").Process(target=_hold_lock, args=(path, 2.0, started))
    holder.start()
    try:
        assert started.wait(30)
        t0 = time.monotonic()
        with DuckDBEngine(target) as eng:
            waited = time.monotonic() - t0
            eng.execute("SELECT 1")
        assert waited >= 1.0, "the second engine must wait for the first to release the warehouse"
    finally:
        holder.join(30)


def test_lock_timeout_is_a_clear_error(tmp_path):
    path = str(tmp_path / "wh.duckdb")
    started = multiprocessing.get_context("spawn").Event()
    holder = multiprocessing.get_context("spawn").Process(target=_hold_lock, args=(path, 4.0, started))
    holder.start()
    try:
        assert started.wait(30)
        impatient = Target("local", "duckdb", {}, DuckDBTarget(path=path, lock_timeout=0.5), root=None)
        with pytest.raises(EngineError, match="stayed busy"):
            DuckDBEngine(impatient)
    finally:
        holder.join(30)


def test_null_partition_values_are_a_partition_of_their_own(engine):
    first = "SELECT CAST(NULL AS DATE) AS d, 1 AS amount UNION ALL SELECT DATE '2024-06-01', 2"
    materialize_table(engine, ORDERS, first, BY_DAY, False)
    out = materialize_table(engine, ORDERS, "SELECT CAST(NULL AS DATE) AS d, 10 AS amount", BY_DAY, False)
    assert out.partitions == 1
    assert rows(engine, "SELECT coalesce(d::VARCHAR, 'null'), amount FROM retail.orders") == [
        ("2024-06-01", 2), ("null", 10)]


def test_udf_bodies_are_translated_as_expressions():
    from dop_core.sql.dialects import translate_expression

    body = translate_expression("IF(TRIM(str) = '', NULL, DATE_ADD(d, INTERVAL 1 DAY))", "bigquery", "duckdb")
    assert body == "CASE WHEN TRIM(str) = '' THEN NULL ELSE CAST(d + INTERVAL '1' DAY AS DATE) END"


@pytest.mark.parametrize("partitioning", [None, BY_DAY, Partitioning("t", "timestamp", "hour"),
                                          Partitioning("n", "int64", range=IntegerRange(0, 100, 10))])
def test_the_record_reads_back_and_any_other_comment_is_no_record(partitioning):
    assert partitioning_from_comment(partitioning_comment(partitioning)) == partitioning
    for comment in (None, "", "sales by day", "dop:not json", 'dop:{"partitioning": {"field": 1}}'):
        assert partitioning_from_comment(comment) is PartitioningUnknown.UNRECORDED


def test_an_engine_with_the_base_class_defaults_compares_columns_and_warns(target, caplog):
    class ColumnsOnly(DuckDBEngine):  # a third-party engine implementing neither method
        table_shape = Engine.table_shape
        record_partitioning = Engine.record_partitioning

    with ColumnsOnly(target) as engine:
        engine.create_schema("retail")
        materialize_table(engine, ORDERS, HISTORY_QUERY, BY_DAY, False)
        assert engine.query("SELECT comment FROM duckdb_tables() WHERE table_name = 'orders'").rows == [(None,)]
        out = materialize_table(engine, ORDERS, "SELECT DATE '2024-06-01' AS d, DATE '2024-07-01' AS e, 5 AS n, "
                                "7 AS amount", None, False)
        assert out.action == "replaced all rows of"
        assert "the ColumnsOnly engine does not report how tables are partitioned" in caplog.text
        with pytest.raises(SchemaChanged, match=r"\+ note VARCHAR \(new column\)"):
            materialize_table(engine, ORDERS, "SELECT DATE '2024-06-01' AS d, DATE '2024-07-01' AS e, 5 AS n, "
                              "7 AS amount, 'x' AS note", None, False)


def test_a_double_into_a_real_column_is_a_difference(engine):
    # both are BigQuery's FLOAT64, but a REAL column would silently round the new rows
    materialize_table(engine, ORDERS, "SELECT CAST(0.5 AS REAL) AS x", None, False)
    with pytest.raises(SchemaChanged, match=r"~ x: FLOAT -> DOUBLE"):
        materialize_table(engine, ORDERS, "SELECT CAST(0.1 AS DOUBLE) AS x", None, False)


RUN_COLUMNS = (("recorded_at", "TIMESTAMP"), ("node", "STRING"), ("seconds", "FLOAT64"), ("failures", "INT64"),
               ("message", "STRING"), ("ok", "BOOL"))
RUN_ROWS = [(dt.datetime(2024, 6, 2, 1, 2, 3, 456000, tzinfo=dt.UTC), "model.shop.o'rders", 0.5, 2, None, True),
            (dt.datetime(2024, 6, 2, 1, 2, 3), "test.shop.x", 1.25, None, "Got 1 result", False)]
APPEND_PROBE = """
import datetime as dt, json, pathlib, sys
from dop_core.builtin.duckdb.engine import DuckDBEngine
from dop_core.builtin.duckdb.target import DuckDBTarget
from dop_core.config.identifiers import Relation
from dop_core.config.models import Target

target = Target("local", "duckdb", {}, DuckDBTarget(path="wh.duckdb"), root=pathlib.Path(sys.argv[1]))
columns = json.loads(sys.argv[2])
with DuckDBEngine(target) as engine:
    n = engine.append_rows(Relation("audit", "runs"), columns, [(dt.datetime.now(dt.UTC), "n", 0.5, 1, None, True)])
print(json.dumps({"appended": n, "sqlglot": "sqlglot" in sys.modules}))
"""


def test_appended_rows_are_the_same_bound_or_as_translated_literals(engine):
    assert engine.append_rows(Relation("audit", "bound"), RUN_COLUMNS, RUN_ROWS) == 2  # DuckDB's: values bound
    assert Engine.append_rows(engine, Relation("audit", "literal"), RUN_COLUMNS, RUN_ROWS) == 2  # any engine's
    assert engine.append_rows(Relation("audit", "bound"), RUN_COLUMNS, []) == 0
    for table in ("bound", "literal"):
        assert engine.columns(Relation("audit", table)) == [
            ("recorded_at", "TIMESTAMP WITH TIME ZONE"), ("node", "VARCHAR"), ("seconds", "DOUBLE"),
            ("failures", "BIGINT"), ("message", "VARCHAR"), ("ok", "BOOLEAN")]
        assert rows(engine, f"SELECT strftime(recorded_at, '%Y-%m-%d %H:%M:%S.%f'), node, seconds, failures, "
                            f"message, ok FROM audit.{table}") == [
            ("2024-06-02 01:02:03.000000", "test.shop.x", 1.25, None, "Got 1 result", False),
            ("2024-06-02 01:02:03.456000", "model.shop.o'rders", 0.5, 2, None, True)]


def test_appending_to_a_table_that_exists_translates_no_sql(tmp_path):
    # a dbt task's run results, after dbt: no SQL translator to import (~0.3 s) for one INSERT
    def append() -> dict:
        result = subprocess.run([sys.executable, "-c", APPEND_PROBE, str(tmp_path), json.dumps(RUN_COLUMNS)],
                                capture_output=True, text=True, check=False, timeout=120)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    assert append()["appended"] == 1  # creates the table
    assert append() == {"appended": 1, "sqlglot": False}
