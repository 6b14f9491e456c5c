"""Hostile options and SQL: every option value that reaches SQL is validated by a grammar (SQL types by
sqlglot's parser, delimiters from a fixed set, identifiers matched whole) or bound, and the SQL of a table,
view, assertion or sql trigger is exactly one read-only query. Each is refused at `dop validate`, where it
is written, and again when the task runs; the warehouse is left as it was."""

from __future__ import annotations

import pytest

from dop_core.builtin.duckdb.engine import DuckDBEngine
from dop_core.builtin.duckdb.target import DuckDBTarget
from dop_core.check.project import check_project
from dop_core.config.identifiers import Relation, check_identifier
from dop_core.config.models import Target
from dop_core.contract.engine import Argument
from dop_core.sql.dialects import SqlError, check_query
from dop_core.validate.project import validate_project

KEEP = Relation("s", "keep")


@pytest.fixture
def engine(tmp_path):
    target = Target("local", "duckdb", {}, DuckDBTarget(path="wh.duckdb", lock_timeout=5), root=tmp_path)
    with DuckDBEngine(target) as eng:
        eng.create_schema("s")
        eng.execute("CREATE TABLE s.keep AS SELECT 1 AS x UNION ALL SELECT 2")
        yield eng


def kept(engine) -> int:
    return engine.row_count(KEEP)


# --- SQL types: sqlglot's parser, strictly ----------------------------------------------------------------

@pytest.mark.parametrize(("text", "dialect", "duckdb"), [
    ("INT64", "bigquery", "BIGINT"), ("STRING", "bigquery", "TEXT"), ("NUMERIC(10, 2)", "bigquery", "DECIMAL(10, 2)"),
    ("ARRAY<STRUCT<a INT64, b STRING>>", "bigquery", "STRUCT(a BIGINT, b TEXT)[]"), ("date", "bigquery", "DATE"),
    ("VARCHAR", "duckdb", "TEXT"), ("DOUBLE PRECISION", "postgres", "DOUBLE"), ("TIMESTAMP WITH TIME ZONE",
                                                                               "postgres", "TIMESTAMPTZ"),
])
def test_a_type_is_written_as_sqlglot_renders_it(text, dialect, duckdb):
    from dop_core.sql.dialects import translate_type

    assert translate_type(text, dialect, "duckdb") == duckdb


@pytest.mark.parametrize("text", [
    "INT64); DROP TABLE s.keep; --", "STRING) AS (1)); DROP TABLE x", "DATE'}); DROP TABLE s.keep; --",
    "INT64 -- a comment", "INT64 /* c */", "STRING NOT NULL", "INT64 DEFAULT 1", "STRING OPTIONS(description='x')",
    "STRING COLLATE 'und:ci'", "NUMERIC(1+1)", "NUMERIC(a)", "STRUCT<`a); DROP TABLE x; --` INT64>",
    "STRUCT<a INT64 OPTIONS(description='x')>", "ARRAY<INT64>>", "my_type", "s.my_type", "", "ANY TYPE",
])
def test_anything_but_one_plain_type_is_refused(text):
    from dop_core.sql.dialects import parse_type

    with pytest.raises(SqlError):
        parse_type(text, "bigquery")


def test_any_type_is_only_for_a_functions_arguments():
    from dop_core.sql.dialects import translate_type

    assert translate_type("any type", "bigquery", "duckdb", templated=True) == "ANY TYPE"
    with pytest.raises(SqlError, match="ANY TYPE is for the arguments of a SQL function"):
        translate_type("ANY TYPE", "bigquery", "duckdb")


# --- options that reach SQL: refused at `dop validate`, where they are written -----------------------------

SEED = """\
schema: s
tasks:
  - identifier: raw
    kind: {{action: materialization, target: seed}}
    options:
      delimiter: {delimiter}
      columns:
        {column}: {type}
"""
FUNCTIONS = """\
schema: s
tasks:
  - identifier: f
    kind: {{action: materialization, target: udf}}
    options:
      arguments:
        - {{name: x, type: {argument}}}
      returns: {returns}
  - identifier: p
    kind: {{action: materialization, target: stored_procedure}}
    options:
      arguments:
        - {{name: run_date, type: {procedure}}}
"""


def errors(root):
    report = validate_project(root)
    return [(p.location.line, p.location.column, p.message) for p in report.problems if p.severity == "error"]


@pytest.mark.parametrize(("fields", "where", "text"), [
    ({"delimiter": "\"'\""}, (6, 18), "\"'\" is not a field delimiter DOP accepts"),
    ({"delimiter": "\"');\""}, (6, 18), "is not a field delimiter DOP accepts"),
    ({"delimiter": "\",\\n\""}, (6, 18), "is not a field delimiter DOP accepts"),
    ({"type": "\"DATE'}); DROP TABLE s.keep; --\""}, (8, 14), "is not a bigquery type"),
    ({"type": "'INT64 NOT NULL'"}, (8, 14), "is not a bigquery type"),
    ({"column": "\"a'\""}, (8, 15), "is not a valid column name"),
])
def test_a_seed_option_that_would_reach_sql_is_refused_where_it_is(dop_project, dop_plugin_manager, fields, where,
                                                                  text):
    values = {"delimiter": "\";\"", "column": "day", "type": "DATE", **fields}
    dop_project.dag("d", SEED.format(**values), files={"data/raw.csv": "day\n2024-01-01\n"})
    found = errors(dop_project.root)
    assert len(found) == 1 and found[0][:2] == where and text in found[0][2], found


@pytest.mark.parametrize(("fields", "where"), [
    ({"returns": "\"STRING) AS (1)); DROP TABLE s.keep; --\""}, (8, 16)),
    ({"argument": "\"INT64>) AS (1); DROP TABLE s.keep; --\""}, (7, 27)),
    ({"argument": "'STRING OPTIONS(description=\"x\")'"}, (7, 27)),
    ({"procedure": "\"DATE) BEGIN DROP TABLE s.keep; END; --\""}, (13, 34)),
    ({"procedure": "ANY TYPE"}, (13, 34)),
])
def test_a_udf_or_procedure_type_that_is_not_one_type_is_refused_where_it_is(dop_project, dop_plugin_manager,
                                                                             fields, where):
    values = {"argument": "STRING", "returns": "STRING", "procedure": "DATE", **fields}
    dop_project.dag("d", FUNCTIONS.format(**values), sql={"f": "x", "p": "SELECT run_date"})
    found = errors(dop_project.root)
    assert len(found) == 1 and found[0][:2] == where, found


def test_the_template_types_are_fine(dop_project, dop_plugin_manager):
    dop_project.dag("d", FUNCTIONS.format(argument="ANY TYPE", returns="'ARRAY<STRUCT<a INT64, b NUMERIC(10, 2)>>'",
                                          procedure="DATE"), sql={"f": "x", "p": "SELECT run_date"})
    assert errors(dop_project.root) == []


# --- ... and again when the task runs: the warehouse is left as it was ----------------------------------------

def test_a_seed_never_pastes_its_options_into_sql(engine, tmp_path):
    csv = tmp_path / "raw.csv"
    csv.write_text("day;n\n2024-01-01;1\n")
    for delimiter in ("'); DROP TABLE s.keep; --", "\n"):
        with pytest.raises(ValueError, match="is not a field delimiter"):
            engine.load_csv(Relation("s", "raw"), str(csv), None, delimiter, True)
    with pytest.raises(SqlError):
        engine.load_csv(Relation("s", "raw"), str(csv), {"day": "DATE'}); DROP TABLE s.keep; --"}, ";", True)
    assert kept(engine) == 2
    # a path with quotes is a bound value, not SQL
    odd = tmp_path / "it's.csv"
    odd.write_text(csv.read_text())
    assert engine.load_csv(Relation("s", "raw"), str(odd), {"day": "DATE", "n": "INT64"}, ";", True) == 1
    assert engine.columns(Relation("s", "raw")) == [("day", "DATE"), ("n", "BIGINT")]


def test_a_function_return_type_is_never_pasted_into_sql(engine):
    with pytest.raises(SqlError):
        engine.create_function(Relation("s", "f"), [Argument("x", "STRING")], "x",
                               "VARCHAR)); DROP TABLE s.keep; SELECT ((1")
    assert kept(engine) == 2
    # the type is translated from the project's dialect: FLOAT64 is DuckDB's DOUBLE
    engine.create_function(Relation("s", "half"), [Argument("x", "INT64")], "x / 2", "FLOAT64")
    assert engine.query("SELECT s.half(3)").rows == [(1.5,)]


def _run(engine, kind, sql="", options=None, dialect="bigquery"):
    """Run ``sql`` as a task of ``kind`` (its record's ``run``, as the operator calls it) on ``engine``."""
    from dop_core.contract.contexts import RunContext
    from dop_core.contract.registry import get_registry

    run = get_registry().kind(kind).load("run")
    return run(RunContext(engine=engine, task_id="t", kind=kind, sql=sql, dialect=dialect,
                          target=Target("local", "duckdb", {}), options=options, relation=Relation("s", "t")))


def test_the_operator_checks_the_options_again(engine):
    from dop_core.builtin.materialization.options import ArgumentSpec, FunctionOptions, ProcedureOptions

    bad = [(FunctionOptions(returns="INT64; DROP TABLE s.keep"), "materialization/udf", "x"),
           (ProcedureOptions(arguments=[ArgumentSpec("d", "DATE); DROP TABLE s.keep; --")]),
            "materialization/stored_procedure", "SELECT d")]
    for options, kind, sql in bad:
        with pytest.raises(SqlError, match=r"options\.(returns|arguments\.0\.type): "):
            _run(engine, kind, sql, options)
    assert kept(engine) == 2


@pytest.mark.parametrize("body", ["1); DROP TABLE s.keep; SELECT (1", "1; DROP TABLE s.keep",
                                  "(WITH d AS (DELETE FROM s.keep RETURNING x) SELECT MAX(x) FROM d)"])
def test_a_function_body_is_one_expression_that_only_reads(engine, body):
    from dop_core.builtin.materialization.options import FunctionOptions

    with pytest.raises(SqlError, match="expression"):
        _run(engine, "materialization/udf", body, FunctionOptions(), dialect="duckdb")
    assert kept(engine) == 2


@pytest.mark.parametrize("sql", [
    "WITH d AS (DELETE FROM s.keep WHERE TRUE RETURNING *) SELECT * FROM d",
    "SELECT 1 AS x; DELETE FROM s.keep WHERE TRUE",
    "SELECT x FROM s.keep WHERE x IN (WITH d AS (DELETE FROM s.keep WHERE TRUE RETURNING x) SELECT x FROM d)",
])
@pytest.mark.parametrize("kind", ["materialization/table", "materialization/view", "assertion/assertion"])
def test_sql_that_writes_is_refused_when_the_task_runs(engine, kind, sql):
    with pytest.raises(SqlError, match=r"inside the query is not allowed|a second statement"):
        _run(engine, kind, sql)
    assert kept(engine) == 2


# --- read-only queries ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("sql", "dialect", "where", "text"), [
    ("WITH d AS (\n  DELETE FROM t WHERE TRUE RETURNING *)\nSELECT * FROM d", "bigquery", (2, 3), "DELETE inside"),
    ("WITH u AS (UPDATE t SET a = 1 RETURNING *) SELECT * FROM u", "postgres", (1, 12), "UPDATE inside"),
    ("WITH i AS (INSERT INTO t VALUES (1) RETURNING *) SELECT * FROM i", "postgres", (1, 12), "INSERT inside"),
    ("SELECT *\nINTO copy_of_t\nFROM t", "duckdb", (2, 1), "SELECT ... INTO inside"),
    ("SELECT * FROM t FOR UPDATE", "postgres", (1, 17), "a locking read"),
    ("SELECT 1;\n  DROP TABLE t", "bigquery", (2, 3), "a second statement"),
    ("COPY t TO '/tmp/t.csv'", "duckdb", (1, 1), "COPY is not a query"),
    ("ATTACH 'other.duckdb' AS o", "duckdb", (1, 1), "ATTACH is not a query"),
    ("PRAGMA enable_profiling", "duckdb", (1, 1), "PRAGMA is not a query"),
    ("CALL s.p()", "duckdb", (1, 1), "CALL is not a query"),
    ("INSTALL httpfs", "duckdb", (1, 1), "INSTALL is not a query"),
    ("LOAD httpfs", "duckdb", (1, 1), "LOAD is not a query"),
    ("SET threads = 1", "duckdb", (1, 1), "SET is not a query"),
    ("CHECKPOINT", "duckdb", (1, 1), "CHECKPOINT is not a query"),
    ("EXECUTE IMMEDIATE 'DELETE FROM t WHERE TRUE'", "bigquery", (1, 1), "EXECUTE is not a query"),
    ("EXPORT DATA OPTIONS (uri = 'gs://b/x*.csv') AS SELECT 1", "bigquery", (1, 1), "EXPORT is not a query"),
    ("CREATE TABLE x AS SELECT 1", "bigquery", (1, 1), "CREATE is not a query"),
    ("BEGIN TRANSACTION", "bigquery", (1, 1), "BEGIN TRANSACTION is not a query"),
])
def test_anything_but_one_read_only_query_is_refused_with_its_place(sql, dialect, where, text):
    with pytest.raises(SqlError) as caught:
        check_query(sql, dialect)
    assert (caught.value.line, caught.value.column) == where
    assert text in caught.value.reason and "exactly one read-only query" in caught.value.reason
    assert str(caught.value).startswith(f"line {where[0]}, column {where[1]}: ")


@pytest.mark.parametrize("sql", [
    "SELECT 1 AS x", "SELECT 1;", "WITH a AS (SELECT 1 AS x) SELECT * FROM a", "SELECT 1 UNION ALL SELECT 2",
    "(SELECT 1)", "SELECT 1 AS x -- ; DROP TABLE t", "SELECT 'DELETE FROM t' AS text, 1 AS `update`",
    "SELECT * FROM t WHERE d = DATE '2024-01-01' QUALIFY ROW_NUMBER() OVER (PARTITION BY k ORDER BY d) = 1",
])
def test_read_only_queries_pass(sql):
    check_query(sql, "bigquery")


def test_dop_validate_refuses_sql_that_writes_at_its_line(dop_project, dop_plugin_manager):
    dop_project.dag("d", """\
schema: s
triggers:
  - kind: sql
    options:
      sql: |-
        SELECT COUNT(*) > 0 FROM s.t
        ;DELETE FROM s.t WHERE TRUE
tasks:
  - {identifier: v, kind: {action: materialization, target: view}}
  - {identifier: a, kind: {action: assertion, target: assertion}}
  - {identifier: t, kind: {action: materialization, target: table}}
""", sql={"v": "-- a view\nWITH d AS (\n  DELETE FROM s.t WHERE TRUE RETURNING *)\nSELECT * FROM d\n",
          "a": "SELECT TRUE AS success, 'ok' AS description;\nCOPY s.t TO '/tmp/x.csv'\n",
          "t": "SELECT 1 AS x\n{% if is_incremental() %}\n;DELETE FROM s.t WHERE TRUE\n{% endif %}\n"})
    report = check_project(dop_project.root)
    folder = dop_project.root / "orchestration" / "d"
    found = sorted((str(p.location), p.message.split(":")[0]) for p in report.problems if p.severity == "error")
    assert found == [
        (f"{folder / 'config.yaml'}:5:12", "options.sql, line 2, column 2"),
        (f"{folder / 'sql' / 'a.sql'}:2:1", "a second statement"),
        (f"{folder / 'sql' / 't.sql'}:3:2", "a second statement"),  # only an incremental run has it
        (f"{folder / 'sql' / 'v.sql'}:3:3", "DELETE inside the query is not allowed"),
    ]


# --- identifiers are matched whole --------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["v\n", "v\r\n", "\nv", "v\x00", "v w"])
def test_an_identifier_with_a_newline_is_refused(name):
    with pytest.raises(ValueError, match="is not a valid"):
        check_identifier(name)
    with pytest.raises(ValueError, match="is not a valid"):
        Relation("s", name)


def test_a_config_identifier_with_a_trailing_newline_is_refused(dop_project, dop_plugin_manager):
    dop_project.dag("d", 'schema: "s\\n"\ntasks:\n  - identifier: "v\\n"\n'
                         "    kind: {action: materialization, target: schema}\n")
    assert [(line, col) for line, col, _ in errors(dop_project.root)] == [(1, 9), (3, 17)]


@pytest.mark.parametrize(("options", "where"), [
    ("{bucket: \"b-1\\n\", object: x}", "bucket"), ("{table: \"ds.t\\n\"}", "table"),
    ("{table: \"ds.t\", partition: \"20240101\\n\"}", "partition"),
])
def test_trigger_names_are_matched_whole(dop_project, dop_plugin_manager, options, where):
    kind = "gcs_object" if "bucket" in options else "bigquery_table"
    dop_project.dag("d", f"triggers:\n  - kind: {kind}\n    options: {options}\ntasks: []\n")
    (error,) = errors(dop_project.root)
    assert error[0] == 3, error


def test_an_egress_query_is_one_read_only_query_and_its_delimiter_one_character(engine, tmp_path):
    import pathlib

    from dop_core.contract.egress import ExportRequest, FileFormat
    from dop_core.errors import ConfigError
    from dop_core.testing import build_dag_from_yaml

    request = ExportRequest(task_id="e", target=engine.target, dialect="duckdb", path="out.csv",
                            format=FileFormat("csv"), options=None, project_root=pathlib.Path(tmp_path),
                            sql="SELECT x FROM s.keep) TO 'x.csv'; DELETE FROM s.keep WHERE TRUE; SELECT (1")
    with pytest.raises(SqlError):
        request.query(engine)
    assert kept(engine) == 2
    with pytest.raises(ConfigError, match="is not a field delimiter DOP accepts"):
        build_dag_from_yaml("schema: s\ntasks:\n  - identifier: e\n    kind: {action: egress, target: file}\n"
                            "    options: {path: out.csv, source: s.keep, delimiter: \"');\"}\n", tmp_path / "p")
