"""Rules for BigQuery functions PostgreSQL lacks, spelled with its own functions and operators."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dop_core.sql.inference import is_type
from dop_core.sql.rules import Over, rewrite_aggregates, rule


def _float(text: str) -> Any:
    return exp.Cast(this=exp.Literal.string(text), to=exp.DataType.build("DOUBLE"))


@rule("postgres")
def functions_postgresql_spells_otherwise(tree: Any, target: str) -> Any:
    """``IS_NAN(x)`` is ``x = 'NaN'``, ``IS_INF(x)`` is ``abs(x) = 'Infinity'`` (PostgreSQL's NaN equals
    itself); ``APPROX_COUNT_DISTINCT(x)`` is the exact ``COUNT(DISTINCT x)``; ``ANY_VALUE(x)`` is one of the
    group's values: ``MIN`` (``BOOL_OR`` for BOOL), which PostgreSQL 15 has where it lacks ``any_value``."""

    def change(node: Any, over: Over) -> Any:
        if isinstance(node, exp.IsNan):
            return exp.Paren(this=exp.EQ(this=node.this, expression=_float("NaN")))
        if isinstance(node, exp.IsInf):
            return exp.Paren(this=exp.EQ(this=exp.Abs(this=node.this), expression=_float("Infinity")))
        if isinstance(node, exp.ApproxDistinct):
            return over(exp.Count(this=exp.Distinct(expressions=[node.this])))
        if isinstance(node, exp.AnyValue):
            function = exp.LogicalOr if is_type(node.this, "BOOLEAN") else exp.Min
            return over(function(this=node.this))
        return node

    return rewrite_aggregates(tree, change)
