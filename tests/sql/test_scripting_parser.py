"""Parsing a script: every mistake is an error at its line and column, in words, with no parser internals."""

from __future__ import annotations

import pytest

from dop_core.check.project import check_project
from dop_core.sql.dialects import SqlError
from dop_core.sql.scripting import nodes as n
from dop_core.sql.scripting.parser import parse_script


@pytest.mark.parametrize(("script", "line", "column", "message"), [
    ("SELECT 1;\nSELECT 1 +\n  FROM t;", 3, 3, "does not parse as bigquery"),
    ("DECLARE x INT64;\nSET y = 1;", 2, 5, "variable y is not declared"),
    ("SELECT 1;\nDECLARE x INT64;", 2, 1, "DECLARE must come before the other statements"),
    ("DECLARE x INT64;\nDECLARE x STRING;", 2, 9, "variable x is already declared"),
    ("BEGIN\n  DECLARE x INT64;\nEND;\nSET x = 1;", 4, 5, "variable x is not declared"),
    ("DECLARE x FLOAT32;", 1, 11, "'FLOAT32' is not a bigquery type"),
    ("DECLARE x;", 1, 1, "needs a type or a DEFAULT"),
    ("IF TRUE THEN\n  BREAK;\nEND IF;", 2, 3, "BREAK is only allowed inside a loop"),
    ("l1: BEGIN\n  CONTINUE l1;\nEND;", 2, 12, "l1 labels a block, and CONTINUE only continues a loop"),
    ("LOOP\n  LEAVE nowhere;\nEND LOOP;", 2, 9, "no block or loop labelled nowhere"),
    ("BEGIN\n  SELECT 1;\nEND l1;", 3, 5, "has no label l1 at its start"),
    ("l1: LOOP\n  LEAVE;\nEND LOOP l2;", 3, 10, "does not match the label l1"),
    ("l1: BEGIN\n  l1: LOOP\n  END LOOP;\nEND;", 2, 3, "label l1 is already used"),
    ("RAISE;", 1, 1, "only allowed in an EXCEPTION WHEN ERROR THEN handler"),
    ("SELECT 1;\nIF TRUE THEN\n  SELECT 1;\n", 2, 1, "this IF has no END IF: the script ends before it"),
    ("WHILE TRUE\n  SELECT 1;\nEND WHILE;", 2, 3, "Unexpected token (at 'SELECT')"),
    ("LOOP\n  LEAVE\nEND LOOP;", 3, 1, "expected ; after the statement, found 'END'"),
    ("SELECT 1\nSELECT 2;", 2, 1, "does not parse"),
    ("SELECT 'abc;\nSELECT 2;", 1, 8, "never closed"),
    ("CALL my_procedure(1);", 1, 6, "write schema.procedure"),
    ("END IF;", 1, 1, "END has no statement it belongs to here"),
    ("BEGIN\n  SELECT 1;\nEXCEPTION WHEN OTHERS THEN\n  SELECT 2;\nEND;", 3, 16, "expected ERROR"),
])
def test_a_mistake_is_an_error_at_its_line_and_column(script, line, column, message):
    with pytest.raises(SqlError) as info:
        parse_script(script)
    error = info.value
    assert (error.line, error.column) == (line, column), str(error)
    assert message in error.reason
    assert "\x1b[" not in str(error) and "<Token" not in str(error) and "<class" not in str(error)


def test_arguments_are_variables_of_the_procedure_body():
    parse_script("SET run_date = DATE '2024-01-01';", arguments=["run_date"])
    with pytest.raises(SqlError, match="variable run_date is not declared"):
        parse_script("SET run_date = DATE '2024-01-01';")


def test_the_statements_keep_their_place_and_text():
    text = "DECLARE x INT64 DEFAULT 1;\n\nlbl: WHILE x < 3 DO\n  SET x = x + 1;\nEND WHILE lbl;\nSELECT x"
    script = parse_script(text)
    declare, loop, select = script.statements
    assert isinstance(declare, n.Declare) and declare.names == ["x"]
    assert isinstance(loop, n.Loop) and loop.label == "lbl" and (loop.at.line, loop.at.column) == (3, 1)
    assert text[loop.at.start:loop.at.end] == "lbl: WHILE x < 3 DO\n  SET x = x + 1;\nEND WHILE lbl"
    assert isinstance(select, n.Sql) and select.text == "SELECT x" and select.at.line == 6


def test_in_another_dialect_a_script_is_sql_statements_and_calls():
    script = parse_script("SET threads = 2;\nCALL s.p(1);\nSELECT 1", "duckdb")
    assert [type(s) for s in script.statements] == [n.Sql, n.Call, n.Sql]


PROCEDURE_DAG = """
schema: s
tasks:
  - identifier: sp_refresh
    kind: {action: materialization, target: stored_procedure}
    options:
      arguments:
        - {name: run_date, type: DATE}
        - {name: rows_written, type: INT64, mode: OUT}
  - identifier: invoke_refresh
    kind: {action: invocation, target: stored_procedure}
    dependencies: [sp_refresh]
"""


def test_dop_validate_parses_procedures_and_invocations_as_scripts(dop_project, dop_plugin_manager):
    dop_project.dag("d", PROCEDURE_DAG, sql={
        "sp_refresh": "DECLARE n INT64 DEFAULT 0;\nWHILE n < 3 DO\n  SET n = n + 1;\nEND WHILE;\n"
                      "SET rows_written = n;\n",
        "invoke_refresh": "DECLARE written INT64;\nCALL s.sp_refresh(DATE '{{ ds }}', written);\n"
                          "IF written = 0 THEN\n  RAISE USING MESSAGE = 'nothing written';\nEND IF;\n"})
    report = check_project(dop_project.root)
    assert [str(p) for p in report.problems if p.severity == "error"] == []


def test_dop_validate_shows_a_scripting_mistake_at_its_line_of_the_sql_file(dop_project, dop_plugin_manager):
    dop_project.dag("d", PROCEDURE_DAG, sql={
        "sp_refresh": "DECLARE n INT64 DEFAULT 0;\nLOOP\n  SET n = n + 1;\n  IF n > 3 THEN LEAVE END IF;\nEND LOOP;\n",
        "invoke_refresh": "CALL s.sp_refresh(DATE '{{ ds }}', n);\nDECLARE x INT64;\n"})
    report = check_project(dop_project.root)
    folder = dop_project.root / "orchestration" / "d" / "sql"
    found = sorted((str(p.location), p.message) for p in report.problems if p.severity == "error")
    assert found == [
        (f"{folder / 'invoke_refresh.sql'}:2:1", "DECLARE must come before the other statements, at the start of "
                                                   "the script or of a BEGIN block (BigQuery refuses it here)"),
        (f"{folder / 'sp_refresh.sql'}:4:23", "expected ; after the statement, found 'END'"),
    ]


def test_an_argument_mode_other_than_in_out_inout_is_refused_at_its_place(dop_project, dop_plugin_manager):
    dop_project.dag("d", PROCEDURE_DAG.replace("mode: OUT", "mode: BOTH"), sql={
        "sp_refresh": "SET rows_written = 1;\n", "invoke_refresh": "SELECT 1;\n"})
    report = check_project(dop_project.root)
    errors = [p for p in report.problems if p.severity == "error"]
    assert [(p.location.line, p.location.column) for p in errors] == [(9, 51)]  # at BOTH
    assert "IN, OUT or INOUT" in str(errors[0])
