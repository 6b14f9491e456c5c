"""BigQuery's aggregate functions DuckDB lacks, computed exactly from the aggregated values.

The translation aggregates with DuckDB's own ``ARRAY_AGG`` (or ``histogram``), in a window when the
BigQuery function has one, and these functions turn the result into BigQuery's: the ``HLL_COUNT`` sketches
(exact: a sketch holds the distinct values), ``APPROX_TOP_COUNT``/``APPROX_TOP_SUM`` (exact counts and sums),
NUMERIC division with BigQuery's rounding.
"""

from __future__ import annotations

import decimal
import json
from collections.abc import Callable
from typing import TypeVar

from dop_core.sql.library import BigQueryError, duckdb_macro, duckdb_python, hll_sketches

T = TypeVar("T")

_SKETCH = "dop_hll:"

duckdb_macro("hll_init", """``HLL_COUNT.INIT(value)`` over the aggregated values: a sketch (BYTES) of their distinct
non-NULL values, NULL when there is none. Locally the sketch is exact: ``dop_hll:<kind>:<JSON list>``.""",
             "(l) AS CASE WHEN len(list_distinct(l)) = 0 THEN NULL ELSE encode('" + _SKETCH + "' || "
             "CASE WHEN typeof(l) = 'BLOB[]' THEN 'bytes' WHEN typeof(l) = 'VARCHAR[]' THEN 'string' "
             "WHEN typeof(l) LIKE 'DECIMAL%' OR typeof(l) = 'DOUBLE[]' THEN 'numeric' ELSE 'int64' END || ':' || "
             "CAST(to_json(list_sort(list_distinct(l))) AS VARCHAR)) END")


def _sketch_values(sketch: bytes, function: str) -> tuple[str, set[str]]:
    try:
        text = bytes(sketch).decode()
        if not text.startswith(_SKETCH):
            raise ValueError(text)
        kind, _, values = text[len(_SKETCH):].partition(":")
        return kind, {json.dumps(v, sort_keys=True) for v in json.loads(values)}
    except ValueError:
        raise BigQueryError(f"Invalid or incompatible sketch in {function}") from None


def _union(sketches: list[bytes] | None, function: str) -> tuple[str | None, set[str]] | hll_sketches.Sketch | None:
    """The union of the sketches: a local one as its kind and values, or BigQuery's own sketch (from
    BigQuery, merged as BigQuery merges them); None when every sketch is NULL. Local and BigQuery sketches,
    or sketches of different types, do not mix: an error."""
    kind, union, bigquery = None, set(), None
    for sketch in sketches or ():
        if sketch is None:
            continue
        if not bytes(sketch).startswith(_SKETCH.encode()) and kind is None:
            bigquery = _merge_bigquery(bigquery, sketch, function)
            continue
        this_kind, values = _sketch_values(sketch, function)
        if bigquery is not None or (kind is not None and this_kind != kind):
            raise BigQueryError(f"Invalid or incompatible sketch in {function}")
        kind = this_kind
        union |= values
    return bigquery if bigquery is not None else (kind, union) if kind is not None else None


def _merge_bigquery(union: hll_sketches.Sketch | None, sketch: bytes, function: str) -> hll_sketches.Sketch:
    try:
        parsed = hll_sketches.parse(bytes(sketch))
    except hll_sketches.SketchError:
        raise BigQueryError(f"Invalid or incompatible sketch in {function}") from None
    if union is None:
        return parsed
    try:
        union.merge(parsed)
    except hll_sketches.SketchError as exc:
        raise BigQueryError(f"Invalid or incompatible sketch in {function}: {exc}") from None
    return union


def _bigquery(function: str, action: Callable[[], T]) -> T:
    """``action()`` on a BigQuery sketch, its local limits as the function's error."""
    try:
        return action()
    except hll_sketches.SketchError as exc:
        raise BigQueryError(f"{function}: {exc}") from None


@duckdb_python("hll_merge", ["BLOB[]"], "BIGINT", nulls=True)
def hll_merge(sketches: list[bytes] | None) -> int:
    """``HLL_COUNT.MERGE(sketch)`` over the aggregated sketches: the number of distinct values in their
    union, 0 when there is none; sketches of different types, or bytes that are no sketch, are an error.
    BigQuery's own sketches (sparse, of one precision) merge as on BigQuery and are counted as HLL++
    counts a sparse sketch."""
    union = _union(sketches, "HLL_COUNT.MERGE")
    if isinstance(union, hll_sketches.Sketch):
        return _bigquery("HLL_COUNT.MERGE", union.count)
    return len(union[1]) if union is not None else 0


@duckdb_python("hll_merge_partial", ["BLOB[]"], "BLOB", nulls=True)
def hll_merge_partial(sketches: list[bytes] | None) -> bytes | None:
    """``HLL_COUNT.MERGE_PARTIAL(sketch)``: the sketch of the union of the aggregated sketches, NULL when
    there is none. BigQuery's own sketches (sparse, of one precision) give BigQuery's merged sketch."""
    union = _union(sketches, "HLL_COUNT.MERGE_PARTIAL")
    if union is None:
        return None
    if isinstance(union, hll_sketches.Sketch):
        return _bigquery("HLL_COUNT.MERGE_PARTIAL", union.to_bytes)
    kind, values = union
    ordered = sorted((json.loads(v) for v in values), key=lambda v: json.dumps(v, sort_keys=True))
    return f"{_SKETCH}{kind}:{json.dumps(ordered)}".encode()


@duckdb_python("hll_extract", ["BLOB"], "BIGINT", nulls=True)
def hll_extract(sketch: bytes | None) -> int:
    """``HLL_COUNT.EXTRACT(sketch)``: the number of distinct values of a sketch, 0 for NULL (a sparse
    sketch of BigQuery's own counted as HLL++ counts it)."""
    if sketch is None:
        return 0
    try:
        union = _union([sketch], "HLL_COUNT.EXTRACT")
    except BigQueryError:
        raise BigQueryError("Invalid sketch in HLL_COUNT.EXTRACT") from None
    if isinstance(union, hll_sketches.Sketch):
        return _bigquery("HLL_COUNT.EXTRACT", union.count)
    return len(union[1]) if union is not None else 0


def _count_checked(function: str, body: str) -> str:
    """``body`` (a result for ``n`` values) after BigQuery's checks of ``n``."""
    prefix = f"The second argument to {function} function"
    return (f"CASE WHEN n IS NULL THEN dop_bq_error('{prefix} must not be NULL') "
            f"WHEN n <= 0 THEN dop_bq_error('{prefix} must be positive') "
            f"WHEN n > 100000 THEN dop_bq_error('{prefix} cannot be greater than 100000') ELSE {body} END")


duckdb_macro("top_count", """``APPROX_TOP_COUNT(value, n)`` from ``histogram(value)`` and the number of NULLs: the n
most frequent values (NULL counts as a value) with their counts, most frequent first
(``ARRAY<STRUCT<value, count>>``), NULL over no rows; exact locally. ``n`` must be 1 to 100000.""",
             "(h, nulls, n) AS " + _count_checked("APPROX_TOP_COUNT", (
                 "CASE WHEN coalesce(cardinality(h), 0) + nulls = 0 THEN NULL ELSE "
                 "list_transform(list_slice(list_sort(list_concat("
                 "list_transform(map_entries(h), lambda e: {'count': e.value, 'value': e.key}), "
                 "CASE WHEN nulls > 0 THEN [{'count': nulls, 'value': NULL}] ELSE [] END), 'DESC'), 1, n), "
                 "lambda e: {'value': e.value, 'count': CAST(e.count AS BIGINT)}) END")))

duckdb_macro("top_sum", """``APPROX_TOP_SUM(value, weight, n)`` from the aggregated ``{value, weight}`` pairs: the n
values with the largest sums of their (non-NULL) weights, largest first (``ARRAY<STRUCT<value, sum>>``), NULL
over no rows; exact locally. A negative or NaN weight is an error; ``n`` must be 1 to 100000.""",
             "(l, n) AS " + _count_checked("APPROX_TOP_SUM", (
                 "CASE WHEN l IS NULL OR len(l) = 0 THEN NULL "
                 "WHEN list_bool_or(list_transform(l, lambda e: e.weight < 0 OR isnan(CAST(e.weight AS DOUBLE)))) "
                 "THEN dop_bq_error('APPROX_TOP_SUM does not support negative or NaN weights in the second argument') "
                 "ELSE list_transform(list_slice(list_sort(list_transform(list_distinct(list_transform(l, "
                 "lambda e: {'value': e.value})), lambda d: {'sum': list_sum(list_transform(list_filter(l, lambda e: "
                 "e.value IS NOT DISTINCT FROM d.value), lambda e: e.weight)), 'value': d.value}), 'DESC'), 1, n), "
                 "lambda e: {'value': e.value, 'sum': e.sum}) END")))


@duckdb_python("numeric_divide", ["DECIMAL(38, 9)", "DECIMAL(38, 9)"], "DECIMAL(38, 9)")
def numeric_divide(dividend: decimal.Decimal, divisor: decimal.Decimal) -> decimal.Decimal:
    """NUMERIC division: the exact quotient rounded half away from zero to 9 decimals (``x / y`` and
    ``AVG`` of NUMERIC); division by zero is an error."""
    if divisor == 0:
        raise BigQueryError(f"division by zero: {dividend} / {divisor}")
    context = decimal.Context(prec=80, rounding=decimal.ROUND_HALF_UP)
    return context.divide(dividend, divisor).quantize(decimal.Decimal("1e-9"), context=context)


duckdb_macro("numeric_sum", """``SUM`` of NUMERIC from the sum of the values' integer parts (a BIGNUM) and the sum of
their fractions: exact, an error only when the sum is past NUMERIC's range.""",
             "(integers, fractions) AS CAST(CAST(integers AS VARCHAR) AS DECIMAL(38, 9)) + fractions")


@duckdb_python("numeric_average", ["VARCHAR", "DECIMAL(38, 9)", "BIGINT"], "DECIMAL(38, 9)")
def numeric_average(integers: str, fractions: decimal.Decimal, count: int) -> decimal.Decimal:
    """``AVG`` of NUMERIC from the sum of the values' integer parts (as text), the sum of their fractions and
    their count: the exact quotient rounded half away from zero to 9 decimals (the sum may be past
    NUMERIC's range where the average is not)."""
    context = decimal.Context(prec=100, rounding=decimal.ROUND_HALF_UP)
    total = context.add(decimal.Decimal(integers), fractions)
    return numeric_divide(total, decimal.Decimal(count))


_SAMPLE = {"var_samp": True, "var_pop": False, "stddev_samp": True, "stddev_pop": False}


@duckdb_python("numeric_variance", ["DECIMAL(38, 9)[]", "VARCHAR"], "DOUBLE", nulls=True)
def numeric_variance(values: list[decimal.Decimal | None] | None, kind: str) -> float | None:
    """``VAR_SAMP``, ``VAR_POP``, ``STDDEV_SAMP`` or ``STDDEV_POP`` (``kind``) of the aggregated NUMERIC values
    computed exactly, then rounded to FLOAT64 (DuckDB's, in DOUBLE, loses the digits that differ between
    large values); NULLs are left out; NULL for no value (one, for the sample forms)."""
    numbers = [v for v in values or () if v is not None]
    sample = _SAMPLE[kind]
    if len(numbers) < (2 if sample else 1):
        return None
    context = decimal.Context(prec=120)
    mean = context.divide(sum(numbers, decimal.Decimal(0)), len(numbers))
    squares = sum((context.power(context.subtract(x, mean), 2) for x in numbers), decimal.Decimal(0))
    variance = context.divide(squares, len(numbers) - (1 if sample else 0))
    return float(context.sqrt(variance) if kind.startswith("stddev") else variance)


@duckdb_python("numeric_covariance_text", ["STRUCT(y DECIMAL(38, 9), x DECIMAL(38, 9))[]", "VARCHAR"], "VARCHAR",
               nulls=True)
def numeric_covariance_text(pairs: list[dict[str, decimal.Decimal | None]] | None, kind: str) -> str | None:
    """``numeric_covariance``'s value as text (a NaN returned by a Python function would become NULL)."""
    points = [(p["y"], p["x"]) for p in pairs or () if p is not None and p["y"] is not None and p["x"] is not None]
    if len(points) < (1 if kind == "covar_pop" else 2):
        return None
    context = decimal.Context(prec=120)
    count = len(points)
    mean_y = context.divide(sum((y for y, _ in points), decimal.Decimal(0)), count)
    mean_x = context.divide(sum((x for _, x in points), decimal.Decimal(0)), count)
    products = sum((context.multiply(y - mean_y, x - mean_x) for y, x in points), decimal.Decimal(0))
    if kind != "corr":
        return repr(float(context.divide(products, count - (1 if kind == "covar_samp" else 0))))
    squares_y = sum((context.power(y - mean_y, 2) for y, _ in points), decimal.Decimal(0))
    squares_x = sum((context.power(x - mean_x, 2) for _, x in points), decimal.Decimal(0))
    denominator = context.sqrt(context.multiply(squares_y, squares_x))
    return "nan" if denominator == 0 else repr(float(context.divide(products, denominator)))


duckdb_macro("numeric_covariance", """``CORR``, ``COVAR_POP`` or ``COVAR_SAMP`` (``kind``) of the aggregated
``{y, x}`` NUMERIC pairs computed exactly, then rounded to FLOAT64 (DuckDB's, in DOUBLE, gave -1.6e-17 for a zero
correlation); pairs with a NULL are left out; NULL for too few pairs; a correlation without variance is NaN.""",
             "(l, kind) AS CAST(dop_bq_numeric_covariance_text(l, kind) AS DOUBLE)")
