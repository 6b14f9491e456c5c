"""``materialization/view``: a view of the task's query, created or replaced."""

from __future__ import annotations

from typing import Any

from dop_core.builtin.materialization.outcome import Outcome
from dop_core.contract.contexts import RunContext, SqlTestRun


def run(ctx: RunContext) -> Outcome:
    assert ctx.relation is not None
    ctx.engine.create_view(ctx.relation, ctx.query())
    return Outcome("created view", str(ctx.relation))


def test(run: SqlTestRun) -> tuple[list[str], list[tuple[Any, ...]]]:
    """``dop test``: the view's rows."""
    assert run.relation is not None
    run.engine.create_schema(run.relation.schema)
    run.engine.create_view(run.relation, run.sql)
    return run.relation_rows()
