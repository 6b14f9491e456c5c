"""Rules for BigQuery's aggregate functions (and the same functions over a window)."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dop_core.sql import UnsupportedSqlError, library
from dop_core.sql.functions import SAFE
from dop_core.sql.inference import TYPE, is_type, type_of
from dop_core.sql.rules import Over, rewrite, rewrite_aggregates, rule


def _value(argument: Any) -> Any:
    """The aggregated value under DISTINCT, ORDER BY and LIMIT."""
    while isinstance(argument, exp.Distinct | exp.Order | exp.Limit):
        argument = argument.expressions[0] if isinstance(argument, exp.Distinct) else argument.this
    return argument


@rule("duckdb", "postgres")
def countif_counts(tree: Any, target: str) -> Any:
    """``COUNTIF(condition)`` is an INT64 count, 0 over no rows; ``COUNTIF(DISTINCT condition)`` counts the
    distinct values that are TRUE (0 or 1). DuckDB's ``count_if`` returns NULL over no rows (a HUGEINT);
    both become ``COUNT(CASE WHEN condition THEN ... END)``."""

    def change(node: Any, over: Over) -> Any:
        if not isinstance(node, exp.CountIf):
            return node
        argument = node.this
        if isinstance(argument, exp.Distinct):
            condition = argument.expressions[0]
            counted = exp.Case(ifs=[exp.If(this=condition.copy(), true=condition.copy())])
            return over(exp.Count(this=exp.Distinct(expressions=[counted])))
        return over(exp.Count(this=exp.Case(ifs=[exp.If(this=argument, true=exp.Literal.number(1))])))

    return rewrite_aggregates(tree, change)


@rule("duckdb", "postgres")
def logical_aggregates_ignore_distinct(tree: Any, target: str) -> Any:
    """``LOGICAL_AND(DISTINCT x)`` and ``LOGICAL_OR(DISTINCT x)`` mean the same without DISTINCT; sqlglot
    wrote the DISTINCT inside a cast, which DuckDB cannot parse."""

    def change(node: Any) -> Any:
        if isinstance(node, exp.LogicalAnd | exp.LogicalOr) and isinstance(node.this, exp.Distinct):
            node.set("this", node.this.expressions[0])
        return node

    return rewrite(tree, change)


@rule("duckdb", "postgres")
def sum_of_int64_is_int64(tree: Any, target: str) -> Any:
    """``SUM`` of INT64 is an INT64, and a sum past INT64's range is an error ("int64 overflow"). DuckDB sums
    into a HUGEINT and PostgreSQL into a NUMERIC, so the sum is cast back to BIGINT, which raises when it
    does not fit; ``SAFE.SUM`` returns NULL instead (``TRY_CAST``). Applies where the argument is known
    to be INT64."""

    def change(node: Any, over: Over) -> Any:
        if isinstance(node, exp.Sum) and is_type(_value(node.this), "BIGINT"):
            cast = exp.TryCast if node.meta.get(SAFE) else exp.Cast
            return cast(this=over(node), to=exp.DataType.build("BIGINT"))
        return node

    return rewrite_aggregates(tree, change)


@rule("duckdb")
def sum_of_float64_overflow_is_an_error(tree: Any, target: str) -> Any:
    """``SUM`` of FLOAT64 values that are all finite but whose sum is past FLOAT64's range is an error
    ("double overflow"; ``SAFE.SUM``: NULL); DuckDB returns infinity. BigQuery accumulates in extended
    precision, so a running sum may pass FLOAT64's range on its way to a sum within it
    (``1.7e308 + 1.7e307 - 1.7e308``): where DuckDB's sum is infinite while every value is finite
    (``MAX(ABS(x))`` tells: an infinite value makes the sum infinite on BigQuery too), the sum of the
    values scaled by 2^-600 is scaled back, and raises only when that is past the range (with DISTINCT:
    raises). Also over a window. Applies where the argument is known to be FLOAT64."""

    def change(node: Any, over: Over) -> Any:
        if not isinstance(node, exp.Sum) or not is_type(_value(node.this), "DOUBLE"):
            return node
        total = over(node)
        largest = over(exp.Max(this=exp.Abs(this=_value(node.this).copy())))
        overflow = exp.and_(exp.Anonymous(this="isinf", expressions=[total.copy()]),
                            exp.not_(exp.Anonymous(this="isinf", expressions=[largest])))
        raised = exp.Null() if node.meta.get(SAFE) else library.call(target, "error",
                                                                     exp.Literal.string("double overflow"))
        if isinstance(node.this, exp.Distinct):
            return exp.Case(ifs=[exp.If(this=overflow, true=raised)], default=total)
        scaled = exp.Sum(this=exp.Mul(this=node.this.copy(), expression=_power_of_two(_DOWN)))
        rescaled = exp.Mul(this=over(scaled), expression=_power_of_two(_UP))
        within = exp.Case(ifs=[exp.If(this=exp.Anonymous(this="isinf", expressions=[rescaled.copy()]), true=raised)],
                          default=rescaled)
        return exp.Case(ifs=[exp.If(this=overflow, true=within)], default=total)

    return rewrite_aggregates(tree, change)


def _numeric_sum_parts(value: Any, over: Over) -> tuple[Any, Any]:
    """The exact sum of NUMERIC values as two aggregates that cannot overflow midway: the sum of their
    integer parts (a BIGNUM) and the sum of their fractions (a DECIMAL(38, 9): below the row count)."""
    whole = exp.Anonymous(this="trunc", expressions=[value.copy()])
    integers = exp.Cast(this=exp.Cast(this=whole, to=exp.DataType.build("HUGEINT", dialect="duckdb")),
                        to=exp.DataType.build("BIGNUM", dialect="duckdb"))
    fractions = exp.Sub(this=value.copy(), expression=whole.copy())
    return over(exp.Sum(this=integers)), over(exp.Sum(this=fractions))


@rule("duckdb")
def numeric_sums_do_not_overflow_midway(tree: Any, target: str) -> Any:
    """``SUM`` of NUMERIC (or BIGNUMERIC) is exact, and an error only when the sum itself is past NUMERIC's
    range; DuckDB's running sum overflowed its 38 digits midway (``1e28 + 9e28 + 9e28 - 9e28``). The
    integer parts are summed as a BIGNUM and the fractions apart (library ``numeric_sum``). Also over
    windows; not with DISTINCT or ``SAFE.``."""

    def change(node: Any, over: Over) -> Any:
        if not isinstance(node, exp.Sum) or isinstance(node.this, exp.Distinct | exp.Order) or node.meta.get(SAFE) \
                or not is_type(node.this, "DECIMAL", "BIGDECIMAL"):
            return node
        total = library.call(target, "numeric_sum", *_numeric_sum_parts(node.this, over))
        total.meta[TYPE] = type_of(node)  # still a NUMERIC for the rules after this one
        return total

    return rewrite_aggregates(tree, change)


@rule("duckdb")
def avg_of_numeric_is_numeric(tree: Any, target: str) -> Any:
    """``AVG`` of NUMERIC (or BIGNUMERIC) is a NUMERIC: the exact quotient rounded half away from zero. DuckDB
    averages decimals as DOUBLE; the average becomes the library's exact ``numeric_average`` of the sum's
    parts (which cannot overflow, as the sum of values near NUMERIC's limits would) and the count;
    ``AVG(DISTINCT x)``: ``numeric_divide(SUM, COUNT)``."""

    def change(node: Any, over: Over) -> Any:
        if not isinstance(node, exp.Avg) or not is_type(_value(node.this), "DECIMAL", "BIGDECIMAL"):
            return node
        argument = node.this
        count = over(exp.Count(this=argument.copy()))
        if isinstance(argument, exp.Distinct):
            return library.call(target, "numeric_divide", over(exp.Sum(this=argument.copy())), count)
        integers, fractions = _numeric_sum_parts(argument, over)
        average = library.call(target, "numeric_average", exp.Cast(this=integers, to=exp.DataType.build("VARCHAR")),
                               fractions, count)
        average.meta[TYPE] = type_of(_value(argument))
        return average

    return rewrite_aggregates(tree, change)


_VARIANCES = {exp.Variance: "var_samp", exp.VariancePop: "var_pop", exp.Stddev: "stddev_samp",
              exp.StddevSamp: "stddev_samp", exp.StddevPop: "stddev_pop"}


@rule("duckdb")
def numeric_variances_are_exact(tree: Any, target: str) -> Any:
    """``VAR_SAMP``/``VARIANCE``, ``VAR_POP``, ``STDDEV_SAMP``/``STDDEV`` and ``STDDEV_POP`` of NUMERIC are
    computed from the exact values (a FLOAT64 result): DuckDB converts the decimals to DOUBLE first, so
    large values that differ in their last digits give 0. The library's ``numeric_variance`` over the
    aggregated values (also over a window)."""

    def change(node: Any, over: Over) -> Any:
        kind = _VARIANCES.get(type(node))
        if kind is None or not is_type(_value(node.this), "DECIMAL"):
            return node
        return library.call(target, "numeric_variance", over(exp.ArrayAgg(this=node.this)),
                            exp.Literal.string(kind))

    return rewrite_aggregates(tree, change)


_COVARIANCES = {exp.Corr: "corr", exp.CovarPop: "covar_pop", exp.CovarSamp: "covar_samp"}


@rule("duckdb")
def numeric_covariances_are_exact(tree: Any, target: str) -> Any:
    """``CORR``, ``COVAR_POP`` and ``COVAR_SAMP`` of NUMERIC pairs are computed from the exact values (a
    FLOAT64 result): DuckDB converts to DOUBLE first (a zero correlation came out as -1.6e-17). The
    library's ``numeric_covariance`` over the aggregated pairs (also over a window)."""

    def change(node: Any, over: Over) -> Any:
        kind = _COVARIANCES.get(type(node))
        if kind is None or not (is_type(node.this, "DECIMAL", "BIGDECIMAL") and
                                is_type(node.expression, "DECIMAL", "BIGDECIMAL")):
            return node
        pair = exp.Struct(expressions=[exp.PropertyEQ(this=exp.to_identifier("y"), expression=node.this),
                                       exp.PropertyEQ(this=exp.to_identifier("x"), expression=node.expression)])
        return library.call(target, "numeric_covariance", over(exp.ArrayAgg(this=pair)), exp.Literal.string(kind))

    return rewrite_aggregates(tree, change)


#: powers of two scaling FLOAT64 values near FLOAT64's limits into a range where their squares do not overflow
_DOWN, _UP = 2.0 ** -600, 2.0 ** 600


def _power_of_two(value: float) -> Any:
    return exp.Cast(this=exp.Literal.string(repr(value)), to=exp.DataType.build("DOUBLE"))


def _may_be_float(node: Any) -> bool:
    typ = type_of(node)
    return typ is None or typ.this.name in ("DOUBLE", "FLOAT", "UNKNOWN", "NULL")


@rule("duckdb")
def float_statistics_do_not_overflow(tree: Any, target: str) -> Any:
    """``STDDEV*``, ``VAR*``, ``COVAR_*`` and ``CORR`` of finite FLOAT64 values near FLOAT64's limits are
    finite on BigQuery where the result is (it accumulates in extended precision); DuckDB's squares
    overflow to infinity or NaN. Where DuckDB's result is not finite while every value is, the statistic
    is computed over the values scaled by 2^-600 and scaled back (exact powers of two; a variance past
    FLOAT64's range is still infinity). Also over a window, and where the arguments' type is not known
    (values of other types never take the scaled branch: their statistics are finite)."""

    def change(node: Any, over: Over) -> Any:
        pair = isinstance(node, exp.Corr | exp.CovarPop | exp.CovarSamp)
        if not (pair or type(node) in _VARIANCES) or isinstance(node.this, exp.Distinct):
            return node
        arguments = [node.this, node.expression] if pair else [node.this]
        if not all(_may_be_float(a) for a in arguments):
            return node
        native = over(node)
        finite = [exp.Anonymous(this="isfinite", expressions=[over(exp.Max(this=exp.Abs(this=a.copy())))])
                  for a in arguments]
        scaled = node.copy()
        for key, argument in zip(("this", "expression"), arguments, strict=False):
            scaled.set(key, exp.Mul(this=argument.copy(), expression=_power_of_two(_DOWN)))
        result = over(scaled)
        squares = 0 if isinstance(node, exp.Corr) else 1 if isinstance(node, exp.Stddev | exp.StddevPop |
                                                                        exp.StddevSamp) else 2
        for _ in range(squares):
            result = exp.Mul(this=result, expression=_power_of_two(_UP))
        overflowed = exp.and_(exp.not_(exp.Anonymous(this="isfinite", expressions=[native.copy()])), *finite)
        return exp.Case(ifs=[exp.If(this=overflowed, true=result)], default=native)

    return rewrite_aggregates(tree, change)


@rule("duckdb")
def corr_needs_two_pairs(tree: Any, target: str) -> Any:
    """``CORR(y, x)`` is NULL over fewer than two pairs where neither value is NULL (DuckDB returns NaN for
    one pair); NaN stays for pairs without variance. The count of pairs decides (also over a window)."""

    def change(node: Any, over: Over) -> Any:
        if not isinstance(node, exp.Corr):
            return node
        both = exp.And(this=exp.Not(this=exp.Is(this=node.this.copy(), expression=exp.Null())),
                       expression=exp.Not(this=exp.Is(this=node.expression.copy(), expression=exp.Null())))
        pairs = over(exp.Count(this=exp.Case(ifs=[exp.If(this=both, true=exp.Literal.number(1))])))
        return exp.Case(ifs=[exp.If(this=exp.LT(this=pairs, expression=exp.Literal.number(2)), true=exp.Null())],
                        default=over(node))

    return rewrite_aggregates(tree, change)


@rule("duckdb")
def min_of_floats_is_nan_with_a_nan(tree: Any, target: str) -> Any:
    """``MIN`` of FLOAT64 values is NaN when one of them is NaN (as ``MAX`` is); DuckDB orders NaN above every
    number, so its ``MIN`` skipped it; its ``MAX`` is NaN then, and stands for it. Also over a window."""

    def change(node: Any, over: Over) -> Any:
        if not isinstance(node, exp.Min) or not is_type(_value(node.this), "DOUBLE", "FLOAT"):
            return node
        value = _value(node.this)
        nan = over(exp.Anonymous(this="bool_or", expressions=[exp.Anonymous(this="isnan", expressions=[value.copy()])]))
        return exp.Case(ifs=[exp.If(this=nan, true=over(exp.Max(this=node.this.copy())))], default=over(node))

    return rewrite_aggregates(tree, change)


@rule("duckdb")
def array_concat_agg_as_bigquery(tree: Any, target: str) -> Any:
    """``ARRAY_CONCAT_AGG(x [ORDER BY ...] [LIMIT n])`` concatenates the non-NULL arrays (the first n of them
    with LIMIT; none left is NULL), also over a window. sqlglot wrote ``FLATTEN(ARRAY_AGG(x))`` with the
    window on FLATTEN (an error) and refused LIMIT; the arrays are collected with ``ARRAY_AGG ... FILTER
    (WHERE x IS NOT NULL)`` (under the window), cut to n and flattened."""

    def change(node: Any, over: Over) -> Any:
        if not isinstance(node, exp.ArrayConcatAgg):
            return node
        argument, limit = node.this, None
        if isinstance(argument, exp.Limit):
            argument, limit = argument.this, argument.expression
        value = argument.this if isinstance(argument, exp.Order) else argument
        arrays = over(exp.Filter(this=exp.ArrayAgg(this=argument), expression=exp.Where(
            this=exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null())))))
        if limit is None:
            return exp.Anonymous(this="flatten", expressions=[arrays])
        kept = exp.Anonymous(this="list_slice", expressions=[arrays, exp.Literal.number(1), limit])
        empty = exp.EQ(this=exp.Anonymous(this="len", expressions=[kept.copy()]), expression=exp.Literal.number(0))
        return exp.Case(ifs=[exp.If(this=empty, true=exp.Null())],
                        default=exp.Anonymous(this="flatten", expressions=[kept]))

    return rewrite_aggregates(tree, change)


_STATISTICS = (exp.Stddev, exp.StddevPop, exp.StddevSamp, exp.Variance, exp.VariancePop, exp.Corr, exp.CovarPop,
               exp.CovarSamp)


@rule("postgres")
def statistics_are_float64(tree: Any, target: str) -> Any:
    """``STDDEV*``, ``VAR*``, ``CORR`` and ``COVAR_*`` return FLOAT64, and ``AVG`` of INT64 too; PostgreSQL
    returns NUMERIC for NUMERIC and integer arguments. The result (computed exactly in NUMERIC there) is cast
    to DOUBLE PRECISION, also over a window."""

    def change(node: Any, over: Over) -> Any:
        if isinstance(node, _STATISTICS) or (isinstance(node, exp.Avg) and is_type(_value(node.this), "BIGINT")):
            return exp.Cast(this=over(node), to=exp.DataType.build("DOUBLE"))
        return node

    return rewrite_aggregates(tree, change)


_HLL = {"INIT": "hll_init", "MERGE": "hll_merge", "MERGE_PARTIAL": "hll_merge_partial"}


@rule("duckdb")
def hll_count_functions(tree: Any, target: str) -> Any:
    """``HLL_COUNT.INIT``, ``.MERGE``, ``.MERGE_PARTIAL`` (aggregates, also over a window) and ``.EXTRACT``:
    BigQuery's HyperLogLog++ sketches, exact locally: a sketch holds the distinct values (library
    ``hll_*``), so counts are exact, as BigQuery's are for small cardinalities. The precision argument
    changes nothing locally. Sketches built by BigQuery (sparse, of one precision) merge locally into
    BigQuery's merged sketch and count as HLL++ counts them; the two kinds do not mix.
    ``SAFE.HLL_COUNT.EXTRACT`` returns NULL for an invalid sketch."""

    def change(node: Any, over: Over) -> Any:
        call = _sketch_call(node, "HLL_COUNT")
        if call is None:
            return node
        name, args, safe = call
        if name == "EXTRACT":
            extract = library.call(target, "hll_extract", *args[:1])
            return exp.func("TRY", extract) if safe else extract
        if name not in _HLL or not args or safe:
            shown = f"{'SAFE.' if safe else ''}HLL_COUNT.{name}"
            raise UnsupportedSqlError(f"{shown} cannot be expressed on {target}", construct="HLL_COUNT")
        return library.call(target, _HLL[name], over(exp.ArrayAgg(this=args[0])))

    return rewrite_aggregates(tree, change)


def _sketch_call(node: Any, family: str) -> tuple[str, list[Any], bool] | None:
    """``<family>.<name>(args)`` or ``SAFE.<family>.<name>(args)`` (``HLL_COUNT.MERGE(x)``) as (name, args,
    safe)."""
    if not isinstance(node, exp.Dot) or not isinstance(node.expression, exp.Anonymous):
        return None
    prefix = node.this
    safe = isinstance(prefix, exp.Dot) and isinstance(prefix.this, exp.Identifier) and \
        prefix.this.name.upper() == "SAFE"
    if safe:
        prefix = prefix.expression
    if isinstance(prefix, exp.Identifier) and prefix.name.upper() == family:
        return node.expression.name.upper(), list(node.expression.expressions), safe
    return None


@rule("duckdb")
def percentile_cont_as_bigquery(tree: Any, target: str) -> Any:
    """``PERCENTILE_CONT(value, p [IGNORE NULLS|RESPECT NULLS]) OVER (...)`` as GoogleSQL computes it: NaN
    sorts before every number, the two values around ``p * (n - 1)`` are interpolated as ``left * (1 - f) +
    right * f`` (DuckDB's ``left + (right - left) * f`` overflows near FLOAT64's limits and sorts NaN last),
    NUMERIC exactly (rounded half away from zero; DuckDB averaged as DOUBLE), and with ``RESPECT NULLS``
    the NULLs sort first (DuckDB's translation refused it). The library's ``percentile_cont`` over the
    partition's values."""

    def change(node: Any, over: Over) -> Any:
        respect = isinstance(node, exp.RespectNulls)
        inner = node.this if isinstance(node, exp.RespectNulls | exp.IgnoreNulls) else node
        if not isinstance(inner, exp.PercentileCont) or inner.expression is None:
            return node
        value, percentile = inner.this, inner.expression
        numeric = is_type(value, "DECIMAL", "BIGDECIMAL")
        kind = "DECIMAL(38, 9)" if numeric else "DOUBLE"
        values = over(exp.ArrayAgg(this=exp.Cast(this=value, to=exp.DataType.build(kind))))
        return library.call(target, "numeric_percentile_cont" if numeric else "percentile_cont", values,
                            exp.Cast(this=percentile, to=exp.DataType.build(kind)), exp.Boolean(this=respect))

    return rewrite_aggregates(tree, change)


_KLL_TYPES = {"INT64": "int64", "FLOAT64": "float64", "DOUBLE": "float64"}


@rule("duckdb")
def kll_quantiles_functions(tree: Any, target: str) -> Any:
    """``KLL_QUANTILES.INIT_INT64/FLOAT64`` (with a weight), ``.MERGE_PARTIAL``, ``.MERGE_INT64/FLOAT64``,
    ``.MERGE_POINT_INT64/FLOAT64`` (aggregates, also over a window), ``.EXTRACT_INT64/FLOAT64`` and
    ``.EXTRACT_POINT_INT64/FLOAT64``: BigQuery's KLL quantile sketches, exact locally (a sketch holds the
    values with their weights, library ``kll_*``), so each quantile is the exact one, within the error
    bound BigQuery documents. The precision argument changes nothing locally."""

    def change(node: Any, over: Over) -> Any:
        call = _sketch_call(node, "KLL_QUANTILES")
        if call is None:
            return node
        name, args, safe = call
        function, _, kind = name.rpartition("_") if name != "MERGE_PARTIAL" else (name, "", "")
        local = _KLL_TYPES.get(kind)
        if safe or not args or (name != "MERGE_PARTIAL" and local is None):
            raise UnsupportedSqlError(f"{'SAFE.' if safe else ''}KLL_QUANTILES.{name} cannot be expressed on "
                                      f"{target}", construct="KLL_QUANTILES")
        if function == "INIT":
            weight = next((a.expression for a in args if isinstance(a, exp.Kwarg) and a.this.name.upper() == "WEIGHT"),
                          exp.Literal.number(1))
            pair = exp.Struct(expressions=[exp.PropertyEQ(this=exp.to_identifier("v"), expression=args[0]),
                                           exp.PropertyEQ(this=exp.to_identifier("w"), expression=weight)])
            return library.call(target, f"kll_init_{local}", over(exp.ArrayAgg(this=pair)))
        if function in ("MERGE_PARTIAL", "MERGE", "MERGE_POINT"):
            sketch = library.call(target, "kll_merge_partial", over(exp.ArrayAgg(this=args[0])))
            if function == "MERGE_PARTIAL":
                return sketch
        elif function in ("EXTRACT", "EXTRACT_POINT"):
            sketch = args[0]
        else:
            raise UnsupportedSqlError(f"KLL_QUANTILES.{name} cannot be expressed on {target}",
                                      construct="KLL_QUANTILES")
        extract = "kll_point" if function.endswith("POINT") else "kll_quantiles"
        return library.call(target, f"{extract}_{local}", sketch, *args[1:2])

    return rewrite_aggregates(tree, change)


@rule("duckdb")
def approximate_aggregates_are_exact(tree: Any, target: str) -> Any:
    """``APPROX_TOP_COUNT(x, n)``, ``APPROX_TOP_SUM(x, weight, n)`` and ``APPROX_QUANTILES(x, n)`` are exact
    locally, with BigQuery's result shapes: ``ARRAY<STRUCT<value, count>>`` (most frequent first, NULL
    counted as a value), ``ARRAY<STRUCT<value, sum>>`` and the n+1 boundaries of n quantiles (minimum,
    ..., maximum: DuckDB's exact ``quantile_disc``; NULLs ignored unless ``RESPECT NULLS``, where they sort
    first). sqlglot refused APPROX_TOP_COUNT and wrote APPROX_QUANTILES as DuckDB's approximate
    ``approx_quantile``."""

    def change(node: Any, over: Over) -> Any:
        respect = isinstance(node, exp.RespectNulls)
        inner = node.this if isinstance(node, exp.RespectNulls | exp.IgnoreNulls) else node
        if isinstance(inner, exp.ApproxTopK):
            value = inner.this
            nulls = exp.Sub(this=over(exp.Count(this=exp.Star())), expression=over(exp.Count(this=value.copy())))
            return library.call(target, "top_count", over(exp.Anonymous(this="histogram", expressions=[value])),
                                nulls, inner.expression)
        if isinstance(inner, exp.ApproxTopSum):
            pair = exp.Struct(expressions=[exp.PropertyEQ(this=exp.to_identifier("value"), expression=inner.this),
                                           exp.PropertyEQ(this=exp.to_identifier("weight"),
                                                          expression=inner.expression)])
            return library.call(target, "top_sum", over(exp.ArrayAgg(this=pair)), inner.args["count"])
        if isinstance(inner, exp.ApproxQuantiles):
            return _quantiles(inner, respect, over)
        return node

    return rewrite_aggregates(tree, change)


def _quantiles(node: Any, respect: bool, over: Over) -> Any:
    count = node.expression
    while isinstance(count, exp.Paren | exp.Cast) and (isinstance(count, exp.Paren) or count.to.is_type(
            *exp.DataType.INTEGER_TYPES)):  # a query parameter's value, (3) or CAST(3 AS INT64)
        count = count.this
    if isinstance(count, exp.Literal) and count.is_int and int(count.this) > 100000:
        raise UnsupportedSqlError("The second argument to APPROX_QUANTILES function cannot be greater than 100000",
                                  construct="APPROX_QUANTILES")
    if not (isinstance(count, exp.Literal) and count.is_int and int(count.this) > 0):
        raise UnsupportedSqlError("APPROX_QUANTILES with a number of quantiles that is not a positive integer "
                                  "literal cannot be expressed locally", construct="APPROX_QUANTILES")
    buckets = int(count.this)
    fractions = exp.Array(expressions=[exp.Literal.number(repr(i / buckets)) for i in range(buckets + 1)])
    value = node.this
    if not respect:
        return over(exp.Anonymous(this="quantile_disc", expressions=[value, fractions]))
    # RESPECT NULLS: NULLs sort first; the quantile at q is the element floor(q * (n - 1)) (from 0)
    values = over(exp.ArrayAgg(this=value))
    position = exp.Add(this=exp.Cast(this=exp.Anonymous(this="floor", expressions=[exp.Mul(
        this=exp.column("_q"), expression=exp.Paren(this=exp.Sub(
            this=exp.Anonymous(this="len", expressions=[values.copy()]), expression=exp.Literal.number(1))))]),
        to=exp.DataType.build("BIGINT")), expression=exp.Literal.number(1))
    ordered = exp.Anonymous(this="list_sort", expressions=[values, exp.Literal.string("ASC"),
                                                            exp.Literal.string("NULLS FIRST")])
    return exp.Anonymous(this="list_transform", expressions=[fractions, exp.Lambda(
        this=exp.Anonymous(this="list_extract", expressions=[ordered, position]),
        expressions=[exp.to_identifier("_q")])])
