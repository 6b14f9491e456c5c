"""Rules for BigQuery's window functions: window frames."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dop_core.sql.inference import is_type
from dop_core.sql.rules import rule


def _offset_bound(bound: Any) -> bool:
    """Whether a frame bound is ``<offset> PRECEDING/FOLLOWING`` (not UNBOUNDED or CURRENT ROW)."""
    return isinstance(bound, exp.Expression) and not isinstance(bound, exp.Var)


@rule("duckdb")
def range_frames_do_not_overflow(tree: Any, target: str) -> Any:
    """A ``RANGE BETWEEN <n> PRECEDING AND <m> FOLLOWING`` frame over an INT64 ordering key includes every
    row whose key is within the offsets, also where ``key + n`` is past INT64's range (BigQuery's frame
    then reaches the end of the partition). DuckDB computes ``key + n`` in the key's type and fails with an
    overflow; the ordering key is widened to HUGEINT (the order is the same) so the bounds cannot
    overflow."""
    for window in tree.find_all(exp.Window):
        spec, order = window.args.get("spec"), window.args.get("order")
        if spec is None or order is None or (spec.args.get("kind") or "").upper() != "RANGE":
            continue
        if not (_offset_bound(spec.args.get("start")) or _offset_bound(spec.args.get("end"))):
            continue
        keys = order.expressions
        if len(keys) == 1 and is_type(keys[0].this, "BIGINT"):
            key = keys[0].this
            key.replace(exp.Cast(this=key.copy(), to=exp.DataType.build("HUGEINT")))
    return tree
