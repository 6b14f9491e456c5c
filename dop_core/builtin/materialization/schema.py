"""``materialization/schema``: the task's schema (a BigQuery dataset), created if missing."""

from __future__ import annotations

from dop_core.contract.contexts import RunContext


def run(ctx: RunContext) -> str:
    assert ctx.relation is not None
    ctx.engine.create_schema(ctx.relation.schema, ctx.relation.database)
    return f"schema {ctx.relation.schema} is ready"
