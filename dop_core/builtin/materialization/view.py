"""``materialization/view``: a view of the task's query, created or replaced."""

from __future__ import annotations

from dop_core.builtin.materialization.outcome import Outcome
from dop_core.contract.contexts import RunContext


def run(ctx: RunContext) -> Outcome:
    assert ctx.relation is not None
    ctx.engine.create_view(ctx.relation, ctx.query())
    return Outcome("created view", str(ctx.relation))
