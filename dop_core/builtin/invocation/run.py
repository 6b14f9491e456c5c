"""``invocation/stored_procedure``: the SQL file's statements run in order (typically ``CALL ...``)."""

from __future__ import annotations

from dop_core.contract.contexts import RunContext


def run(ctx: RunContext) -> str:
    ctx.engine.call(ctx.sql, ctx.dialect)
    return f"ran {ctx.sql_file}"
