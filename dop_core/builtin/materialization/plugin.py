"""The built-in materialization task kinds: schema, table, view, udf, stored_procedure and seed.

Each is a native SQL kind: its module's ``run`` is what the task does on the target's engine; the
records below name it (and the options models) by import string, so registering them imports nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

from dop_core.contract.contexts import ValidationContext
from dop_core.contract.hookspecs import hookimpl
from dop_core.contract.records import TaskType
from dop_core.errors import Problem

_HERE = "dop_core.builtin.materialization."


def needs_schema(ctx: ValidationContext) -> Iterator[Problem]:
    assert ctx.task is not None
    if not (ctx.task.schema or ctx.dag.schema):
        yield ctx.problem(("identifier",), f"task {ctx.task.identifier!r} writes to the warehouse but has no schema",
                          "a `schema:` on the task or the DAG", "add `schema: <dataset>` to the DAG config")


def _sql_options(ctx: ValidationContext) -> Iterator[Problem]:
    """Under ``dop validate``: every option value that reaches SQL (types, column names) is what SQL may
    receive; the task checks them again before running (sqlglot is too heavy for Airflow's parsing)."""
    if not ctx.thorough:
        return
    for path, message, expected in ctx.options.sql_problems(ctx.project.dialect):
        yield ctx.problem(("options", *path), message, expected)


def with_sql_options(ctx: ValidationContext) -> Iterator[Problem]:
    yield from needs_schema(ctx)
    yield from _sql_options(ctx)


def seed(ctx: ValidationContext) -> Iterator[Problem]:
    from dop_core.builtin.materialization.seed import validate

    yield from with_sql_options(ctx)
    yield from validate(ctx)


@hookimpl
def dop_task_types() -> list[TaskType]:
    return [
        TaskType(action="materialization", target="schema", run=_HERE + "schema:run",
                 validate=_HERE + "plugin:needs_schema", inputs=(),
                 description="create the task's schema (BigQuery dataset) if missing"),
        TaskType(action="materialization", target="table", run=_HERE + "table:run", sql_file="required", sql="query",
                 incremental=True, writes=True, validate=_HERE + "plugin:needs_schema", inputs=(),
                 test=_HERE + "table:test",
                 description="materialise the query's result; incremental runs replace the partitions it returns"),
        TaskType(action="materialization", target="view", run=_HERE + "view:run", sql_file="required", sql="query",
                 writes=True, validate=_HERE + "plugin:needs_schema", inputs=(), test=_HERE + "view:test",
                 description="create or replace a view of the query"),
        TaskType(action="materialization", target="udf", run=_HERE + "udf:run", sql_file="required",
                 sql="expression", function=True, options=_HERE + "options:FunctionOptions",
                 validate=_HERE + "plugin:with_sql_options", inputs=(),
                 description="create or replace a SQL function whose body is the SQL file's expression"),
        TaskType(action="materialization", target="stored_procedure", run=_HERE + "procedure:run", sql_file="required",
                 sql="script", options=_HERE + "options:ProcedureOptions", validate=_HERE + "plugin:with_sql_options",
                 inputs=(), description="create or replace a stored procedure running the SQL file's statements"),
        TaskType(action="materialization", target="seed", run=_HERE + "seed:run", writes=True,
                 options=_HERE + "options:SeedOptions", validate=_HERE + "plugin:seed", inputs=_HERE + "seed:inputs",
                 description="load a CSV file shipped in the DAG folder into a table"),
    ]
