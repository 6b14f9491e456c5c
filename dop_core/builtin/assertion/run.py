"""``assertion/assertion``: fail unless every row the query returns has ``success`` true (a readable
report of every row in the task's log); ``assertion/assertion_sensor``: wait until they all do."""

from __future__ import annotations

from typing import Any

from dop_core.contract.condition import AssertionFailed, DopAssertionSensor, run_assertion
from dop_core.contract.contexts import RunContext, SqlTestRun, TaskBuild
from dop_core.secrets import redact


def run(ctx: RunContext) -> str:
    passed, report = run_assertion(ctx.engine, ctx.query(), ctx.task_id)
    report = redact(report)
    ctx.log.info("%s", report)
    if not passed:
        raise AssertionFailed(f"{report}\n(task {ctx.task_id!r}, {ctx.sql_file})")
    return report.splitlines()[0]


def sensor(build: TaskBuild) -> Any:
    return DopAssertionSensor(kind="assertion/assertion_sensor", target=build.target, dialect=build.project.dialect,
                              sql=build.sql_template or "",
                              sql_file=build.sql_template, **build.options.sensor_kwargs(), **build.operator_kwargs())


def test(run: SqlTestRun) -> tuple[list[str], list[tuple[Any, ...]]]:
    """``dop test``: the assertion's rows (each with its success and description)."""
    result = run.engine.query(run.sql)
    return result.columns, result.rows
