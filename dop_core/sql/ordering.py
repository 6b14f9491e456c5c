"""Rules for BigQuery's ordering of values (BigQuery reference: "Data types", "Orderable data types")."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dop_core.sql.inference import is_type
from dop_core.sql.rules import rule

_FLOAT = ("DOUBLE", "FLOAT")


@rule("duckdb", "postgres")
def nan_sorts_before_numbers(tree: Any, target: str) -> Any:
    """FLOAT64 values sort as ``NULL, NaN, -inf, ..., +inf`` ascending (the reverse descending): NaN comes
    before every number. DuckDB and PostgreSQL sort NaN after ``+inf``. Each ORDER BY key known to be
    FLOAT64 (in a query, a window or an aggregate; by expression, alias or position) is preceded by the
    key ``NOT (key = NaN)`` in the same direction and with the same NULL placement, so NaN rows come first
    ascending and last (before NULLs) descending. Not in a ``RANGE`` frame with offsets (one key only)."""
    for order in list(tree.find_all(exp.Order)):
        if _range_offsets(order.parent):
            continue  # a RANGE frame with offsets has one ORDER BY key
        keys: list[Any] = []
        for ordered in order.expressions:
            reference = _float_reference(ordered.this, order.parent) if isinstance(ordered, exp.Ordered) else None
            if reference is not None:
                not_nan = exp.Not(this=exp.Paren(this=exp.EQ(
                    this=reference, expression=exp.Cast(this=exp.Literal.string("NaN"),
                                                        to=exp.DataType.build("DOUBLE")))))
                keys.append(exp.Ordered(this=not_nan, desc=ordered.args.get("desc"),
                                        nulls_first=ordered.args.get("nulls_first")))
            keys.append(ordered)
        order.set("expressions", keys)
    return tree


def _range_offsets(window: Any) -> bool:
    spec = window.args.get("spec") if isinstance(window, exp.Window) else None
    return spec is not None and (spec.args.get("kind") or "").upper() == "RANGE" and any(
        isinstance(spec.args.get(side), exp.Expression) and not isinstance(spec.args.get(side), exp.Var)
        for side in ("start", "end"))


def _float_reference(key: Any, query: Any) -> Any:
    """An expression for ORDER BY key ``key`` of ``query`` to compare with NaN, when the key is FLOAT64."""
    selected = _selected(key, query)
    if selected is None:
        return key.copy() if is_type(key, *_FLOAT) else None
    if not (is_type(selected, *_FLOAT) or is_type(selected.unalias(), *_FLOAT)):
        return None
    if isinstance(selected, exp.Alias):
        return exp.column(selected.alias, quoted=True)
    if isinstance(selected, exp.Column):
        return exp.column(selected.name, quoted=True) if isinstance(query, exp.SetOperation) else selected.copy()
    return None if isinstance(query, exp.SetOperation) else selected.copy()


def _selected(key: Any, query: Any) -> Any:
    """The select-list expression ``key`` names by position or by alias (None for another key)."""
    first = query
    while isinstance(first, exp.SetOperation):
        first = first.this
    if not isinstance(first, exp.Select):
        return None
    selects = first.expressions
    if isinstance(key, exp.Literal) and key.is_int and 1 <= int(key.this) <= len(selects):
        return selects[int(key.this) - 1]
    if isinstance(key, exp.Column) and not key.table:
        for selected in selects:
            if isinstance(selected, exp.Alias) and selected.alias.lower() == key.name.lower():
                return selected
    return None
