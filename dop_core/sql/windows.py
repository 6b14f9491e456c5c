"""Rules for BigQuery's window functions: window frames."""

from __future__ import annotations

import decimal
from typing import Any

from sqlglot import exp

from dop_core.sql import UnsupportedSqlError, library
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
    overflow. Over a NUMERIC key (DuckDB's DECIMAL(38, 9) overflows the same way) the key becomes its
    value in units of 10**-9 as a HUGEINT and the literal offsets are scaled alike; a non-literal offset
    is refused."""
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
        elif len(keys) == 1 and is_type(keys[0].this, "DECIMAL"):
            _numeric_range(keys[0].this, spec)
    return tree


#: NUMERIC's scale: a NUMERIC times 10**9 is an integer
_SCALE = 9
#: the largest scaled offset for which ``key +/- offset`` stays within HUGEINT for every NUMERIC key
_LARGEST_OFFSET = 2 ** 127 - 1 - 10 ** 38


def _numeric_range(key: Any, spec: Any) -> None:
    """A RANGE frame over a NUMERIC key as the same frame over the key's value in units of 10**-9 (a
    HUGEINT: ``key +/- offset`` then fits for every NUMERIC). The offsets must be literals."""
    offsets = {side: spec.args.get(side) for side in ("start", "end") if _offset_bound(spec.args.get(side))}
    scaled = {side: _scaled(offset) for side, offset in offsets.items()}
    if any(value is None or value > _LARGEST_OFFSET for value in scaled.values()):
        raise UnsupportedSqlError("a RANGE frame over NUMERIC with an offset that is not a literal within "
                                  "NUMERIC's range cannot be expressed on duckdb", construct="RANGE")
    for side, value in scaled.items():
        spec.set(side, exp.Literal.number(value))
    text = exp.Cast(this=exp.Cast(this=key.copy(), to=exp.DataType.build(f"DECIMAL(38, {_SCALE})")),
                    to=exp.DataType.build("VARCHAR"))
    digits = exp.Anonymous(this="replace", expressions=[text, exp.Literal.string("."), exp.Literal.string("")])
    key.replace(exp.Cast(this=digits, to=exp.DataType.build("HUGEINT")))


def _scaled(offset: Any) -> int | None:
    """A literal offset (``2``, ``1.5``, ``NUMERIC '2'``) times 10**9, when that is an integer."""
    if isinstance(offset, exp.Cast):
        offset = offset.this
    if not isinstance(offset, exp.Literal):
        return None
    try:
        value = decimal.Decimal(offset.this).scaleb(_SCALE)
    except decimal.InvalidOperation:
        return None
    return int(value) if value == value.to_integral_value() and value >= 0 else None


@rule("duckdb")
def infinite_range_offsets_are_checked(tree: Any, target: str) -> Any:
    """A RANGE frame offset of +infinity (``IEEE_DIVIDE(1, 0)``, ``CAST('inf' AS FLOAT64)``) is BigQuery's
    error where the partition has the infinite ordering key the offset would be added to (``-inf`` for
    ``FOLLOWING`` ascending and ``PRECEDING`` descending, ``+inf`` otherwise): ``-inf + inf`` has no value.
    DuckDB returned a frame. Each window function over such a frame (inline or a named window) checks its
    partition first."""
    named = {str(w.this.name).lower(): w for select in tree.find_all(exp.Select)
             for w in select.args.get("windows") or () if isinstance(w.this, exp.Identifier)}
    for window in list(tree.find_all(exp.Window)):
        if isinstance(window.this, exp.Identifier) or window.parent is None:
            continue  # a named window's definition, checked where it is used
        alias = window.args.get("alias")
        definition = named.get(str(alias.name).lower()) if isinstance(alias, exp.Identifier) else None
        spec = window.args.get("spec") or (definition.args.get("spec") if definition else None)
        order = window.args.get("order") or (definition.args.get("order") if definition else None)
        partition = window.args.get("partition_by") or (definition.args.get("partition_by") if definition else [])
        if spec is None or order is None or (spec.args.get("kind") or "").upper() != "RANGE" or \
                len(order.expressions) != 1:
            continue
        for side in ("start", "end"):
            if not _positive_infinity(spec.args.get(side)):
                continue
            following = str(spec.args.get(f"{side}_side") or "").upper() == "FOLLOWING"
            descending = bool(order.expressions[0].args.get("desc"))
            negative = following != descending
            key = order.expressions[0].this
            infinite = exp.Cast(this=exp.Literal.string("-inf" if negative else "inf"),
                                to=exp.DataType.build("DOUBLE"))
            present = exp.Window(this=exp.Anonymous(this="bool_or", expressions=[exp.EQ(
                this=key.copy(), expression=infinite)]), partition_by=[p.copy() for p in partition or ()],
                over="OVER")
            message = (f"Offset value cannot be positive infinity when there exists a "
                       f"{'negative' if negative else 'positive'} infinity order key for an offset "
                       f"{'FOLLOWING' if following else 'PRECEDING'} on a"
                       f"{' descending' if descending else 'n ascending'} partition")
            error = library.call(target, "error", exp.Literal.string(message))
            window.replace(exp.Case(ifs=[exp.If(this=present, true=error)], default=window.copy()))
            break
    return tree


def _positive_infinity(offset: Any) -> bool:
    """Whether a frame offset is the constant +infinity (``IEEE_DIVIDE(1, 0)``, ``CAST('inf' AS FLOAT64)``)."""
    while isinstance(offset, exp.Paren):
        offset = offset.this
    if isinstance(offset, exp.Anonymous) and offset.name.upper() == "IEEE_DIVIDE" and len(offset.expressions) == 2:
        numerator, denominator = offset.expressions
        return all(isinstance(e, exp.Literal) and not e.is_string for e in (numerator, denominator)) and \
            float(numerator.this) > 0 and float(denominator.this) == 0
    if isinstance(offset, exp.Cast) and isinstance(offset.this, exp.Literal) and offset.this.is_string:
        return offset.this.this.strip().lower() in ("inf", "+inf", "infinity", "+infinity")
    return False
