"""BigQuery scripting interpreted on a real DuckDB: each construct gives the rows BigQuery documents."""

from __future__ import annotations

import pytest

from dop_core.builtin.duckdb.engine import DuckDBEngine
from dop_core.builtin.duckdb.target import DuckDBTarget
from dop_core.config.identifiers import Relation
from dop_core.config.models import Target
from dop_core.contract.engine import Argument
from dop_core.errors import EngineError
from dop_core.sql.dialects import SqlError
from dop_core.testing import SCRIPT_CASES, ScriptCase, check_script_case


@pytest.fixture
def engine(tmp_path):
    target = Target("local", "duckdb", {}, DuckDBTarget(path="wh.duckdb", lock_timeout=5), root=tmp_path)
    with DuckDBEngine(target) as eng:
        yield eng


@pytest.mark.parametrize("case", SCRIPT_CASES, ids=[c.name for c in SCRIPT_CASES])
def test_bigquery_scripting_semantics(engine, case: ScriptCase):
    check_script_case(engine, case)


def rows(engine, sql):
    return [tuple(r) for r in engine.query(sql).rows]


def test_an_uncaught_error_names_its_line_and_the_calls_that_led_to_it(engine):
    engine.create_schema("s")
    engine.create_procedure(Relation("s", "inner_proc"), [], "SELECT 1;\nRAISE USING MESSAGE = 'no data for today';",
                            "bigquery")
    engine.create_procedure(Relation("s", "outer_proc"), [], "CALL s.inner_proc();", "bigquery")
    with pytest.raises(EngineError) as info:
        engine.call("DECLARE x INT64;\nCALL s.outer_proc();", "bigquery")
    assert str(info.value) == ("no data for today (line 2, column 1 of procedure s.inner_proc, called at line 1, "
                               "column 1 of procedure s.outer_proc, called at line 2, column 1)")
    with pytest.raises(EngineError, match=r"^Conversion Error: .*\(line 3, column 3\)$"):
        engine.call("DECLARE x INT64;\nIF TRUE THEN\n  SET x = CAST('x' AS INT64);\nEND IF;", "bigquery")


def test_what_cannot_run_locally_is_never_caught_by_a_handler(engine):
    """A handler catches what fails on the warehouse, not what DOP cannot run: that would be a silently
    different result."""
    script = ("BEGIN\n  SET @@time_zone = 'Europe/London';\nEXCEPTION WHEN ERROR THEN\n  SELECT 1;\nEND;")
    with pytest.raises(SqlError, match=r"SET @@time_zone: DOP does not run .* \(line 2, column 3\)"):
        engine.call(script, "bigquery")
    with pytest.raises(SqlError, match=r"@@error\.message is only set inside an EXCEPTION"):
        engine.call("SELECT @@error.message;", "bigquery")


def test_variables_keep_their_types_and_values_reach_sql_as_literals_never_as_text(engine):
    engine.create_schema("s")
    engine.call("""
        DECLARE d DATE DEFAULT DATE '2024-02-29';
        DECLARE ts TIMESTAMP DEFAULT TIMESTAMP '2024-02-29 10:00:00+00';
        DECLARE dtm DATETIME DEFAULT DATETIME '2024-02-29 10:00:00';
        DECLARE amount NUMERIC DEFAULT 1.10;
        DECLARE ratio FLOAT64 DEFAULT 0.5;
        DECLARE flag BOOL DEFAULT TRUE;
        DECLARE label STRING DEFAULT "it's; DROP TABLE s.t; -- \\\\ $$";
        DECLARE tags ARRAY<STRING> DEFAULT ['a', 'b'];
        DECLARE pair STRUCT<x INT64, y STRING> DEFAULT STRUCT(1 AS x, 'one' AS y);
        DECLARE nothing DATE;
        CREATE TABLE s.t AS SELECT d, ts, dtm, amount, ratio, flag, label, tags, pair.y AS y, nothing,
          DATE_ADD(d, INTERVAL 1 DAY) AS next_day;
    """, "bigquery")
    assert rows(engine, "SELECT typeof(d), typeof(ts), typeof(dtm), typeof(ratio), typeof(flag), typeof(tags), "
                        "typeof(nothing) FROM s.t") == [
        ("DATE", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP", "DOUBLE", "BOOLEAN", "VARCHAR[]", "DATE")]
    assert rows(engine, "SELECT d::VARCHAR, next_day::VARCHAR, CAST(amount * 100 AS BIGINT), label, tags, y FROM s.t") == [
        ("2024-02-29", "2024-03-01", 110, "it's; DROP TABLE s.t; -- \\ $$", ["a", "b"], "one")]


def test_a_procedure_sees_its_arguments_not_its_callers_variables(engine):
    engine.create_schema("s")
    engine.create_procedure(Relation("s", "peek"), [], "SELECT secret;", "bigquery")
    with pytest.raises(EngineError, match="secret"):
        engine.call("DECLARE secret STRING DEFAULT 'x';\nCALL s.peek();", "bigquery")


def test_the_error_stack_trace_is_an_array_of_frames(engine):
    engine.create_schema("s")
    engine.create_procedure(Relation("s", "fail"), [], "\n  RAISE USING MESSAGE = 'deep';", "bigquery")
    engine.call("""BEGIN
  CALL s.fail();
EXCEPTION WHEN ERROR THEN
  CREATE TABLE s.trace AS SELECT f.line, f.column, f.filename, f.location
    FROM UNNEST(@@error.stack_trace) AS f;
END;""", "bigquery")
    assert rows(engine, "SELECT * FROM s.trace") == [(2, 3, None, "s.fail"), (2, 3, None, None)]


def test_the_example_of_the_scripting_page_runs_as_documented(engine):
    import pathlib
    import re

    page = (pathlib.Path(__file__).parents[2] / "docs" / "scripting.md").read_text()
    body, invocation = re.findall(r"```sql\n(.*?)```", page, re.S)[:2]
    engine.create_schema("retail")
    engine.execute("CREATE TABLE retail.daily_revenue AS SELECT * FROM (VALUES (DATE '2024-06-01', 'north', 100.0), "
                   "(DATE '2024-06-01', 'south', 10.0), (DATE '2024-06-02', 'north', 10.0)) AS t(order_date, store, "
                   "revenue)")
    engine.execute("CREATE TABLE retail.quiet_days (d DATE)")
    engine.create_procedure(Relation("retail", "sp_flag_big_days"),
                            [Argument("run_date", "DATE"), Argument("flagged", "INT64", "OUT")], body, "bigquery")
    for day in ("2024-06-01", "2024-06-02"):
        engine.call(invocation.replace("{{ ds }}", day), "bigquery")
    assert rows(engine, "SELECT order_date::VARCHAR, store FROM retail.big_days") == [("2024-06-01", "north")]
    assert rows(engine, "SELECT d::VARCHAR FROM retail.quiet_days") == [("2024-06-02",)]


def test_in_a_duckdb_dialect_project_a_procedure_is_its_statements_with_the_arguments_bound(engine):
    engine.create_schema("s")
    engine.execute("CREATE TABLE s.t (x INTEGER, label VARCHAR)")
    engine.create_procedure(Relation("s", "add"), [Argument("x", "INTEGER"), Argument("label", "VARCHAR")],
                            "INSERT INTO s.t VALUES (x, label);\nINSERT INTO s.t SELECT x * 2, label || '!'", "duckdb")
    engine.call("CALL s.add(21, 'it''s');", "duckdb")
    assert rows(engine, "SELECT * FROM s.t ORDER BY x") == [(21, "it's"), (42, "it's!")]


def test_a_procedure_that_does_not_parse_is_refused_at_its_line_and_nothing_is_stored(engine):
    engine.create_schema("s")
    body = "-- refresh\n\nDECLARE n INT64;\nLOOP\n  SET n = n + 1\nEND LOOP;"
    with pytest.raises(SqlError) as info:
        engine.create_procedure(Relation("s", "p"), [], body, "bigquery")
    assert (info.value.line, info.value.column) == (6, 1)
    assert info.value.reason == "expected ; after the statement, found 'END'"
    with pytest.raises(EngineError, match="no such procedure"):
        engine.call("CALL s.p();", "bigquery")


def test_a_transaction_may_create_and_drop_temporary_tables_only_as_on_bigquery(engine):
    engine.create_schema("s")
    engine.call("BEGIN TRANSACTION;\nCREATE TEMP TABLE t AS SELECT 1 AS x;\nDROP TABLE t;\nCOMMIT TRANSACTION;",
                "bigquery")
    with pytest.raises(EngineError, match=r"may create or drop temporary tables only.*\(line 2, column 1\)"):
        engine.call("BEGIN TRANSACTION;\nCREATE TABLE s.t (x INT64);\nCOMMIT TRANSACTION;", "bigquery")
    assert not engine.table_exists(Relation("s", "t"))
