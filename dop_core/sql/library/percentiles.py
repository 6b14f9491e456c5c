"""BigQuery's ``PERCENTILE_CONT``, computed from the values of the window's partition.

GoogleSQL (its public reference implementation) sorts NaN before every number, takes the values at index
``floor(p * (n - 1))`` and the next, weighted by the exact fraction, and interpolates as
``left * (1 - f) + right * f`` (for FLOAT64 in extended precision, so values near FLOAT64's limits do not
overflow; for NUMERIC exactly, rounded half away from zero). With ``RESPECT NULLS`` the NULLs sort first:
a percentile among them is NULL, one between the last NULL and the first value is that value.
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Callable
from fractions import Fraction
from typing import TypeVar

from dop_core.sql.library import BigQueryError, duckdb_macro, duckdb_python

V = TypeVar("V")


def _percentile_cont(values: list[V | None] | None, percentile: Fraction, respect: bool,
                     interpolate: Callable[[V, V, Fraction], V], nan: Callable[[V], bool]) -> V | None:
    if not 0 <= percentile <= 1:
        raise BigQueryError(f"Percentile argument must be in [0, 1]; got {float(percentile)!r}")
    present = [v for v in values or () if v is not None]
    if not present:
        return None
    nulls = len(values or ()) - len(present) if respect else 0
    ordered = sorted(present, key=lambda v: (not nan(v), 0 if nan(v) else v))
    position = percentile * (len(present) - 1 + nulls)
    index, fraction = math.floor(position), position - math.floor(position)
    if index >= nulls:
        left = ordered[index - nulls]
        return interpolate(left, ordered[index - nulls + 1], fraction) if fraction else left
    return ordered[0] if index == nulls - 1 and fraction else None


def _interpolate_float(left: float, right: float, fraction: Fraction) -> float:
    if math.isfinite(left) and math.isfinite(right):
        return float(Fraction(left) * (1 - fraction) + Fraction(right) * fraction)
    return left * float(1 - fraction) + right * float(fraction)


@duckdb_python("percentile_cont_text", ["DOUBLE[]", "DOUBLE", "BOOLEAN"], "VARCHAR", nulls=True)
def percentile_cont_text(values: list[float | None] | None, percentile: float | None, respect: bool) -> str | None:
    """``percentile_cont``'s value as text (a NaN returned by a Python function would become NULL)."""
    if percentile is None or math.isnan(percentile):
        raise BigQueryError(f"Percentile argument must be in [0, 1]; got {percentile}")
    result = _percentile_cont(values, Fraction(percentile), respect, _interpolate_float, math.isnan)
    return None if result is None else repr(result)


duckdb_macro("percentile_cont", """``PERCENTILE_CONT(value, percentile [IGNORE|RESPECT NULLS])`` of FLOAT64 from the
partition's values: NaN sorts first, the values at ``floor(p * (n - 1))`` and the next interpolated as
``left * (1 - f) + right * f`` without overflowing; NULLs ignored, or with ``respect`` sorted first (a percentile
among them is NULL); a percentile outside [0, 1] is an error.""",
             "(l, p, respect) AS CAST(dop_bq_percentile_cont_text(l, p, respect) AS DOUBLE)")

_NUMERIC_SCALE = decimal.Decimal("1e-9")


def _interpolate_numeric(left: decimal.Decimal, right: decimal.Decimal, fraction: Fraction) -> decimal.Decimal:
    context = decimal.Context(prec=100)
    weight = decimal.Decimal(fraction.numerator) / decimal.Decimal(fraction.denominator)  # a NUMERIC fraction
    exact = context.add(context.multiply(left, context.subtract(1, weight)), context.multiply(right, weight))
    return exact.quantize(_NUMERIC_SCALE, rounding=decimal.ROUND_HALF_UP, context=context)


@duckdb_python("numeric_percentile_cont", ["DECIMAL(38, 9)[]", "DECIMAL(38, 9)", "BOOLEAN"], "DECIMAL(38, 9)",
               nulls=True)
def numeric_percentile_cont(values: list[decimal.Decimal | None] | None, percentile: decimal.Decimal | None,
                            respect: bool) -> decimal.Decimal | None:
    """``PERCENTILE_CONT`` of NUMERIC: as ``percentile_cont``, the interpolation exact and rounded half away
    from zero to 9 decimals."""
    if percentile is None:
        raise BigQueryError("Percentile argument must be in [0, 1]; got NULL")
    return _percentile_cont(values, Fraction(percentile), respect, _interpolate_numeric, lambda v: False)

