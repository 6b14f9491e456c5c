"""One SQL test on a fresh in-memory DuckDB, the way a run of the task would go.

The task's SQL is rendered for the test's date, params and mode (:mod:`dop_core.validate.render`),
checked and translated from the project's dialect exactly as the task's operator does, and run by
the same code: :func:`~dop_core.builtin.materialization.table.materialize_table` (creating the table, or in an
incremental run staging the result and replacing the partitions it returns), a view, or an
assertion's query. The given tables are created first, with the SQL functions (``materialization/udf``
tasks) of the DAG, so that the SQL reads what it reads in the warehouse.
"""

from __future__ import annotations

import datetime as dt
import functools
import time
from typing import Any

import attrs

from dop_core.config.identifiers import Relation
from dop_core.config.models import Target, TaskConfig
from dop_core.config.sqltest import TableRows, table_rows
from dop_core.contract.contexts import SqlTestRun
from dop_core.contract.engine import Engine
from dop_core.contract.records import TaskType
from dop_core.errors import ConfigError, DopError, Location, Problem, TaskFailed
from dop_core.jinja.render import Rendered
from dop_core.sqltest.collect import Case, Suite
from dop_core.sqltest.diff import RowDiff, compare
from dop_core.sqltest.tables import create_table, first_line, table_columns
from dop_core.validate.render import Renderer

#: the logical date of a test that names none, when its DAG has no start_date (the DAGs' own default)
DEFAULT_DATE = dt.date(1970, 1, 1)


@attrs.frozen
class Result:
    """The outcome of one test: ``passed``, ``failed`` (rows differ) or ``error`` (it could not run)."""

    case: Case
    status: str
    seconds: float
    diff: RowDiff | None = None
    #: what went wrong when the test could not run: located problems, or a message
    problems: tuple[Problem, ...] = ()
    message: str | None = None


class TestError(DopError):
    """A test that could not run; ``problems`` locate the cause when it is in a file."""

    def __init__(self, message: str, problems: tuple[Problem, ...] = ()):
        super().__init__(message)
        self.message = message
        self.problems = problems


def warm_up(dialect: str) -> None:
    """Import what every test uses: DuckDB, sqlglot with the project's dialect and DuckDB's, pendulum (the
    template context's dates)."""
    import duckdb  # noqa: F401
    import pendulum  # noqa: F401
    from sqlglot.dialects.dialect import Dialect

    Dialect.get_or_raise(dialect)
    Dialect.get_or_raise("duckdb")


def run_suite(suite: Suite, renderer: Renderer, dialect: str) -> list[Result]:
    return [run_case(case, renderer, dialect) for case in suite.cases]


def run_case(case: Case, renderer: Renderer, dialect: str) -> Result:
    start = time.perf_counter()
    try:
        diff = _run(case, renderer, dialect)
    except ConfigError as exc:
        return Result(case, "error", time.perf_counter() - start, problems=tuple(exc.problems))
    except TestError as exc:
        return Result(case, "error", time.perf_counter() - start, problems=exc.problems, message=exc.message)
    return Result(case, "passed" if diff.ok else "failed", time.perf_counter() - start, diff)


def in_memory_engine() -> Engine:
    from dop_core.builtin.duckdb.engine import DuckDBEngine
    from dop_core.builtin.duckdb.target import DuckDBTarget

    return DuckDBEngine(Target("dop test", "duckdb", {"path": ":memory:"}, DuckDBTarget(path=":memory:")))


def _run(case: Case, renderer: Renderer, dialect: str) -> RowDiff:
    test, task = case.test, case.task
    date = test.date or case.dag.start_date or DEFAULT_DATE
    existing = table_rows(test.existing)
    task_type = case.task_type
    assert task_type is not None and task_type.test is not None  # collect checked it
    incremental = not test.full_refresh and (existing is not None or not task_type.incremental)
    rendered = renderer.render(task, date, test.params, test.full_refresh, incremental)
    sql = _checked(rendered, dialect, renderer.task(task))
    with in_memory_engine() as engine:
        relation = _relation(case, task) if task_type.writes else None
        _load_given(case, engine, dialect, relation)
        _create_functions(case, engine, renderer, date, dialect)
        translated = _translated(engine, sql, dialect, rendered)
        columns, rows = _output(case, task_type, SqlTestRun(engine, translated, task, relation, test.full_refresh,
                                                            dialect), existing)
    return compare(test.expect, columns, rows, test.ordered)


def _checked(rendered: Rendered, dialect: str, task: Any) -> str:
    """The rendered SQL, once it parses and is one query (as the task's operator checks it)."""
    from dop_core.check.sql import located_parse_error
    from dop_core.sql.dialects import SqlError, check_query

    errors = list(located_parse_error(rendered, dialect, task))
    if errors:
        raise ConfigError(errors)
    try:
        check_query(rendered.text, dialect)
    except SqlError as exc:
        raise ConfigError([_sql_problem(rendered, exc)]) from None
    return rendered.text


def _translated(engine: Engine, sql: str, dialect: str, rendered: Rendered) -> str:
    from dop_core.sql.dialects import SqlError

    try:
        return engine.translate(sql, dialect)
    except SqlError as exc:
        raise ConfigError([_sql_problem(rendered, exc)]) from None


def _sql_problem(rendered: Rendered, exc: Any) -> Problem:
    """A SqlError (its line and column are in the rendered SQL) at the place of the SQL file it comes from."""
    location = Location(rendered.path)
    if exc.line is not None:
        lines = rendered.text.split("\n")
        offset = sum(len(text) + 1 for text in lines[:exc.line - 1]) + (exc.column or 1) - 1
        location = rendered.location(min(offset, max(len(rendered.text) - 1, 0)))
    return Problem(location, exc.reason, "SQL DOP can run on the engine (`dop validate` checks it too)",
                   "fix the SQL here (`dop compile DAG TASK` shows it as rendered and as translated)")


def _relation(case: Case, task: TaskConfig) -> Relation:
    schema = task.schema or case.dag.schema
    if not schema:
        raise TestError(f"task {task.identifier!r} has no schema: set `schema:` on the task or the DAG")
    return Relation(schema, task.identifier)


def given_relation(name: str) -> Relation:
    """The table a name written in the SQL means on the in-memory DuckDB: ``schema.table``
    (``project.dataset.table`` is ``dataset.table`` there, as on the local warehouse; a bare ``table`` is in
    DuckDB's ``main`` schema)."""
    parts = name.strip("`\"").split(".")
    if len(parts) == 1:
        return Relation("main", parts[0])
    return Relation.parse(name)


def _load_given(case: Case, engine: Engine, dialect: str, target: Relation | None) -> None:
    seen: dict[tuple[str, str], str] = {}
    for name, value in case.test.given.items():
        at = _rows_problem(case, ("given", name), value)
        try:
            relation = given_relation(name)
        except ValueError as exc:
            raise ConfigError([at(key=True, message=str(exc), expected="a table name as the SQL writes it: "
                                  "schema.table or project.schema.table")]) from None
        where = (relation.schema.lower(), relation.name.lower())
        if where in seen:
            raise ConfigError([at(key=True, message=f"{name!r} and {seen[where]!r} are one table, "
                                  f"{relation.schema}.{relation.name}, on DuckDB", fix="give its rows once")])
        seen[where] = name
        if target is not None and where == (target.schema.lower(), target.name.lower()):
            raise ConfigError([at(key=True, message=f"{name!r} is the table task {case.task.identifier!r} writes",
                                  fix="give its rows before the run under `existing:` (an incremental run)")])
        rows = table_rows(value)
        assert rows is not None
        create_table(engine, relation, table_columns(rows, dialect, at, engine.quote), rows, at)


@functools.lru_cache(maxsize=64)
def _translated_body(body: str, dialect: str, engine_dialect: str, single_catalog: bool) -> str:
    """A SQL function's body as the engine writes it (the same for every test that renders it alike)."""
    from dop_core.sql.dialects import translate_expression

    return translate_expression(body, dialect, engine_dialect, single_catalog)


def _rows_problem(case: Case, where: tuple[str, ...], written: Any) -> Any:
    """How to place a problem in the rows of one table of a test (at ``where``), written as a list of rows or
    as ``{columns, rows}``: ``at("rows", 2, "amount", message=...)``."""
    def at(*path: str | int, message: str, expected: str | None = None, fix: str | None = None,
           key: bool = False) -> Problem:
        if not isinstance(written, TableRows) and path[:1] == ("rows",):
            path = path[1:]  # a plain list: the rows are the value itself
        return case.problem(*where, *path, message=message, expected=expected, fix=fix, key=key)

    return at


def _create_functions(case: Case, engine: Engine, renderer: Renderer, date: dt.date, dialect: str) -> None:
    """Every SQL function (``materialization/udf`` task) of the DAG, as its task creates it."""
    from dop_core.builtin.materialization.options import as_arguments
    from dop_core.config.structure import MISSING, Structurer
    from dop_core.contract import registry as plugins
    from dop_core.sql.dialects import SqlError

    for task in case.dag.tasks:
        kind = plugins.get_registry().task_type(task.kind.action, task.kind.target)
        if not kind.function:
            continue
        model = kind.options_model
        assert case.dag.document is not None
        problems: list[Problem] = []
        options = Structurer(case.dag.document, problems).structure(task.options, model,
                                                                    ("tasks", task.position, "options"))
        if options is MISSING:
            raise ConfigError(problems)
        rendered = renderer.render(task, date, case.test.params, case.test.full_refresh, not case.test.full_refresh)
        relation = _relation(case, task)
        try:
            body = _translated_body(rendered.text.strip().rstrip(";"), dialect, engine.dialect, engine.single_catalog)
        except SqlError as exc:
            raise ConfigError([_sql_problem(rendered, exc)]) from None
        engine.create_schema(relation.schema)
        try:
            engine.create_function(relation, as_arguments(options.arguments), body.strip().rstrip(";"), options.returns,
                                   dialect)
        except Exception as exc:
            raise TestError(f"creating the SQL function {relation} (task {task.identifier!r}) failed: "
                            f"{first_line(exc)}") from None


def _output(case: Case, task_type: TaskType, run: SqlTestRun, existing: TableRows | None,
            ) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run the task's SQL as its kind does (the kind's ``test``); the rows compared with ``expect``."""
    try:
        if existing is not None:
            assert run.relation is not None
            run.engine.create_schema(run.relation.schema)
            _create_existing(case, run.engine, run.relation, existing, run.sql, run.dialect)
        return task_type.load("test")(run)
    except (ConfigError, TestError):
        raise
    except TaskFailed as exc:  # the kind's own account of what went wrong
        raise TestError(str(exc)) from None
    except Exception as exc:
        raise TestError(_run_failure(exc)) from None


def _create_existing(case: Case, engine: Engine, relation: Relation, rows: TableRows, sql: str, dialect: str) -> None:
    """The table before an incremental run: it was built by the query, so it has the columns of the query's result,
    in its order and types; the ``existing`` rows fill them (a column they leave out is NULL), and a type declared
    under ``columns:`` is kept as declared."""
    from dop_core.sql.dialects import SqlError, translate_type

    at = _rows_problem(case, ("existing",), case.test.existing)
    columns = {c.name.lower(): c for c in table_columns(rows, dialect, at, engine.quote)}
    written = bool(columns)  # else an empty table: the query's columns, no rows
    if written:
        create_table(engine, relation, list(columns.values()), rows, at)
    try:
        shape = [(str(r[0]), str(r[1])) for r in engine.query(f"DESCRIBE {sql}").rows]
    except Exception as exc:
        raise TestError(_run_failure(exc)) from None
    selected = []
    for name, reported in shape:
        column = columns.pop(name.lower(), None)
        try:
            typ: str | None = translate_type(reported, engine.dialect, engine.dialect)  # one plain type
        except SqlError:
            typ = None
        quoted = engine.quote(column.name if column else name)
        if column is not None and (typ is None or column.name in rows.columns):
            selected.append(quoted)
        elif typ is not None:
            selected.append(f"CAST({quoted if column else 'NULL'} AS {typ}) AS {quoted}")
    selected += [engine.quote(c.name) for c in columns.values()]  # not in the result: the run reports them
    table = engine.qualified(relation)
    source = f"FROM {table}" if written else "WHERE false"
    try:
        engine.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT {', '.join(selected)} {source}")
    except Exception as exc:
        raise ConfigError([at(message=f"the existing rows do not fit the columns of the query's result: "
                              f"{first_line(exc)}", expected="values of the types the query returns: " + ", ".join(
                                  f"{name} {typ}" for name, typ in shape),
                              fix="correct the values, or declare the columns' types under columns:")]) from None
    engine.record_partitioning(relation, case.task.partitioning)


def _run_failure(exc: Exception) -> str:
    text = first_line(exc)
    if "does not exist" in text and ("Table" in text or "Catalog" in text):
        text += ("\nGive the rows of every table the SQL reads under `given:` (by its name as the SQL writes it); "
                 "the SQL runs on an empty in-memory DuckDB.")
    return text
