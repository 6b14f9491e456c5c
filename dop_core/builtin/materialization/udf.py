"""``materialization/udf``: a SQL function whose body is the SQL file's expression."""

from __future__ import annotations

from dop_core.builtin.materialization.options import as_arguments, check_sql_options
from dop_core.builtin.materialization.outcome import Outcome
from dop_core.contract.contexts import RunContext
from dop_core.sql.dialects import translate_expression


def run(ctx: RunContext) -> Outcome:
    assert ctx.relation is not None
    check_sql_options(ctx.options, ctx.dialect)
    engine = ctx.engine
    body = translate_expression(ctx.sql.strip().rstrip(";"), ctx.dialect, engine.dialect, engine.single_catalog)
    engine.create_function(ctx.relation, as_arguments(ctx.options.arguments), body.strip().rstrip(";"),
                           ctx.options.returns, ctx.dialect)
    return Outcome("created function", str(ctx.relation))
