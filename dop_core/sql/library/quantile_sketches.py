"""BigQuery's ``KLL_QUANTILES`` sketches, exact locally.

A local sketch holds every aggregated value with its weight (``dop_kll:<int64|float64>:<JSON [[value,
weight], ...]>``, sorted), so the quantiles drawn from it are exact: the value of rank ``max(1,
ceil(phi * n))`` of the n values (weights counted), which is within every error bound BigQuery's KLL
sketches document and is their answer where a sketch still holds its input whole (small inputs).
FLOAT64 values sort in BigQuery's order (NaN first). A sketch built by BigQuery cannot be read locally.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable
from fractions import Fraction
from typing import Any

from dop_core.sql.library import BigQueryError, duckdb_macro, duckdb_python

_SKETCH = "dop_kll:"
_MAX_QUANTILES = 100_000


def _encode(kind: str, counts: Counter[Any]) -> bytes:
    pairs = sorted(counts.items(), key=lambda item: _order(item[0]))
    return f"{_SKETCH}{kind}:{json.dumps([[value, weight] for value, weight in pairs])}".encode()


def _order(value: Any) -> tuple[bool, Any]:
    return (not (isinstance(value, float) and math.isnan(value)), 0 if isinstance(value, float)
            and math.isnan(value) else value)


def _decode(sketch: bytes, function: str) -> tuple[str, Counter[Any]]:
    try:
        text = bytes(sketch).decode()
        if not text.startswith(_SKETCH):
            raise ValueError(text)
        kind, _, pairs = text[len(_SKETCH):].partition(":")
        counts: Counter[Any] = Counter()
        for value, weight in json.loads(pairs):
            counts[float(value) if kind == "float64" else int(value)] += int(weight)
        if kind not in ("int64", "float64") or not counts:
            raise ValueError(kind)
        return kind, counts
    except (ValueError, TypeError):
        raise BigQueryError(f"Invalid KLL sketch in {function}") from None


def _init(kind: str, rows: list[dict[str, Any]] | None) -> bytes | None:
    counts: Counter[Any] = Counter()
    for row in rows or ():
        if row is None or row["v"] is None:
            continue
        weight = row["w"]
        if weight is None or not 1 <= weight <= 2_147_483_647:
            raise BigQueryError("The weight of KLL_QUANTILES.INIT must be between 1 and 2147483647")
        counts[row["v"]] += weight
    return _encode(kind, counts) if counts else None


@duckdb_python("kll_init_int64", ["STRUCT(v BIGINT, w BIGINT)[]"], "BLOB", nulls=True)
def kll_init_int64(rows: list[dict[str, Any]] | None) -> bytes | None:
    """``KLL_QUANTILES.INIT_INT64(value[, precision[, weight => w]])`` over the aggregated ``{v, w}`` pairs:
    an exact sketch (BYTES) of the non-NULL values with their weights (1 to 2147483647), NULL when there is
    none. Locally the sketch holds every value: ``dop_kll:int64:<JSON [[value, weight], ...]>``."""
    return _init("int64", rows)


@duckdb_python("kll_init_float64", ["STRUCT(v DOUBLE, w BIGINT)[]"], "BLOB", nulls=True)
def kll_init_float64(rows: list[dict[str, Any]] | None) -> bytes | None:
    """``KLL_QUANTILES.INIT_FLOAT64(value[, precision[, weight => w]])``: as ``kll_init_int64``, of FLOAT64
    values (NaN sorts first)."""
    return _init("float64", rows)


@duckdb_python("kll_merge_partial", ["BLOB[]"], "BLOB", nulls=True)
def kll_merge_partial(sketches: list[bytes] | None) -> bytes | None:
    """``KLL_QUANTILES.MERGE_PARTIAL(sketch)``: the sketch of every value of the aggregated sketches, NULL
    when there is none; sketches of different types, or bytes that are no sketch, are an error."""
    return _merged(sketches, "KLL_QUANTILES.MERGE_PARTIAL")


def _merged(sketches: Iterable[bytes | None] | None, function: str) -> bytes | None:
    kind: str | None = None
    union: Counter[Any] = Counter()
    for sketch in sketches or ():
        if sketch is None:
            continue
        this_kind, counts = _decode(sketch, function)
        if kind is not None and this_kind != kind:
            raise BigQueryError(f"Incompatible KLL sketches in {function}")
        kind = this_kind
        union.update(counts)
    return _encode(kind, union) if kind is not None else None


def _values(sketch: bytes, kind: str, function: str) -> tuple[list[Any], list[int]]:
    """The sketch's distinct values in BigQuery's order and the running count of values up to each."""
    this_kind, counts = _decode(sketch, function)
    if this_kind != kind:
        raise BigQueryError(f"{function} needs a sketch of {kind.upper()} values; this one holds "
                            f"{this_kind.upper()} values")
    values = sorted(counts, key=_order)
    running, total = [], 0
    for value in values:
        total += counts[value]
        running.append(total)
    return values, running


def _at_rank(values: list[Any], running: list[int], rank: int) -> Any:
    low, high = 0, len(running) - 1
    while low < high:  # the first value whose running count reaches the rank
        middle = (low + high) // 2
        if running[middle] >= rank:
            high = middle
        else:
            low = middle + 1
    return values[low]


def _quantiles(sketch: bytes, count: int, kind: str, function: str) -> list[Any]:
    if not 1 <= count <= _MAX_QUANTILES:
        raise BigQueryError(f"The number of quantiles of {function} must be between 1 and {_MAX_QUANTILES}")
    values, running = _values(sketch, kind, function)
    total = running[-1]
    return [_at_rank(values, running, max(1, math.ceil(Fraction(i * total, count)))) for i in range(count + 1)]


def _point(sketch: bytes, phi: float, kind: str, function: str) -> Any:
    if not 0 <= phi <= 1:
        raise BigQueryError(f"The quantile of {function} must be between 0 and 1")
    values, running = _values(sketch, kind, function)
    return _at_rank(values, running, max(1, math.ceil(Fraction(repr(phi)) * running[-1])))


@duckdb_python("kll_quantiles_int64", ["BLOB", "BIGINT"], "BIGINT[]")
def kll_quantiles_int64(sketch: bytes, count: int) -> list[int]:
    """``KLL_QUANTILES.EXTRACT_INT64(sketch, n)`` (and ``MERGE_INT64``'s result): the minimum, the n-1
    values dividing the sketch's values into n groups, and the maximum (exact locally); n is 1 to 100000;
    a sketch of FLOAT64 values is an error."""
    return _quantiles(sketch, count, "int64", "KLL_QUANTILES.EXTRACT_INT64")


@duckdb_python("kll_quantiles_float64_text", ["BLOB", "BIGINT"], "VARCHAR[]")
def kll_quantiles_float64_text(sketch: bytes, count: int) -> list[str]:
    """``kll_quantiles_float64``'s values as text (a NaN returned by a Python function would become NULL)."""
    return [repr(v) for v in _quantiles(sketch, count, "float64", "KLL_QUANTILES.EXTRACT_FLOAT64")]


duckdb_macro("kll_quantiles_float64", """``KLL_QUANTILES.EXTRACT_FLOAT64(sketch, n)``: as ``kll_quantiles_int64``, of
FLOAT64 values.""", "(s, n) AS CAST(dop_bq_kll_quantiles_float64_text(s, n) AS DOUBLE[])")


@duckdb_python("kll_point_int64", ["BLOB", "DOUBLE"], "BIGINT")
def kll_point_int64(sketch: bytes, phi: float) -> int:
    """``KLL_QUANTILES.EXTRACT_POINT_INT64(sketch, phi)`` (and ``MERGE_POINT_INT64``'s result): the value of
    rank ``max(1, ceil(phi * n))`` of the sketch's n values (exact locally); phi is 0 to 1."""
    return _point(sketch, phi, "int64", "KLL_QUANTILES.EXTRACT_POINT_INT64")


@duckdb_python("kll_point_float64_text", ["BLOB", "DOUBLE"], "VARCHAR")
def kll_point_float64_text(sketch: bytes, phi: float) -> str:
    """``kll_point_float64``'s value as text (a NaN returned by a Python function would become NULL)."""
    return repr(_point(sketch, phi, "float64", "KLL_QUANTILES.EXTRACT_POINT_FLOAT64"))


duckdb_macro("kll_point_float64", """``KLL_QUANTILES.EXTRACT_POINT_FLOAT64(sketch, phi)``: as ``kll_point_int64``, of
FLOAT64 values.""", "(s, phi) AS CAST(dop_bq_kll_point_float64_text(s, phi) AS DOUBLE)")
