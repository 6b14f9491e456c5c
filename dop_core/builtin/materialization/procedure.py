"""``materialization/stored_procedure``: a stored procedure running the SQL file's statements."""

from __future__ import annotations

from dop_core.builtin.materialization.options import as_arguments, check_sql_options
from dop_core.builtin.materialization.outcome import Outcome
from dop_core.contract.contexts import RunContext


def run(ctx: RunContext) -> Outcome:
    assert ctx.relation is not None
    check_sql_options(ctx.options, ctx.dialect)
    # not stripped in front: an error in the body names its line of the SQL file
    ctx.engine.create_procedure(ctx.relation, as_arguments(ctx.options.arguments), ctx.sql.rstrip(), ctx.dialect)
    return Outcome("created procedure", str(ctx.relation))
