"""Rules for BigQuery's function-call forms: the ``SAFE.`` prefix."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dop_core.sql import UnsupportedSqlError
from dop_core.sql.rules import rule

#: meta key marking an aggregate or window function called with ``SAFE.``: rules that add a check (an
#: overflow) to it return NULL instead of raising
SAFE = "dop_safe"


@rule("duckdb", "postgres")
def safe_prefix(tree: Any, target: str) -> Any:
    """``SAFE.f(...)`` returns NULL where ``f(...)`` would raise an error. sqlglot passed ``SAFE.`` through
    (an unknown column "SAFE" on DuckDB); DuckDB's ``TRY(f(...))`` has exactly this meaning. PostgreSQL
    has no expression-level error catching, so there it is an error naming ``SAFE.``. An aggregate or
    window function (``SAFE.SUM(x)``, ``SAFE.RANK() OVER (...)``) cannot stand in ``TRY``: it is marked
    safe instead, and the rules that check its errors (``sum_of_int64_is_int64``) return NULL for it. An
    argument holding a subquery is computed outside ``TRY`` (which refuses subqueries)."""

    def fix(node: Any) -> Any:
        if isinstance(node, exp.Window) and _safe_window_call(node.this):
            call = node.this.expression
            function = exp.func(call.name, *call.expressions, dialect="bigquery") \
                if isinstance(call, exp.Anonymous) else call
            function.meta[SAFE] = True
            node.set("this", function)
            return node
        if isinstance(node, exp.SafeFunc):
            if isinstance(node.this, exp.AggFunc):
                node.this.meta[SAFE] = True
                return node.this
            if target != "duckdb":
                raise UnsupportedSqlError(f"SAFE.{node.this.sql('bigquery').split('(')[0]} (returning NULL on "
                                          f"error) cannot be expressed on {target}", construct="SAFE")
            return _tried(node.this.copy())
        return node

    return tree.transform(fix)


def _tried(call: Any) -> Any:
    """``TRY(call)``; an argument holding a subquery (which DuckDB's TRY refuses) is computed beside it:
    ``(SELECT TRY(f(_dop_safe_0)) FROM (SELECT (subquery) AS _dop_safe_0))``."""
    hoisted: list[Any] = []
    for argument in list(call.iter_expressions()):
        if argument.find(exp.Query):
            name = f"_dop_safe_{len(hoisted)}"
            hoisted.append(exp.alias_(argument.copy(), name))
            argument.replace(exp.column(name))
    tried = exp.func("TRY", call)
    return exp.Subquery(this=exp.select(tried).from_(exp.Subquery(this=exp.select(*hoisted)))) if hoisted else tried


def _safe_window_call(node: Any) -> bool:
    """Whether ``node`` is ``SAFE.f(...)`` as sqlglot parses it under OVER (a ``safe`` dot call)."""
    return isinstance(node, exp.Dot) and isinstance(node.this, exp.Identifier) and node.this.name.upper() == "SAFE" \
        and isinstance(node.expression, exp.Anonymous | exp.Func)
