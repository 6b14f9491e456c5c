"""BigQuery's aggregate and window functions on DuckDB (BigQuery reference: "Aggregate functions",
"Approximate aggregate functions", "HyperLogLog++ functions", "Window function calls")."""

from __future__ import annotations

import decimal

import duckdb
import pytest


def test_countif_is_zero_over_no_rows_and_counts_distinct_true(bq, bq_types):
    # BigQuery: COUNTIF returns an INT64, 0 when no row qualifies
    assert bq("SELECT COUNTIF(x > 0), COUNTIF(DISTINCT x > 0) FROM UNNEST([1, 2]) AS x WHERE x < 0") == [(0, 0)]
    assert bq("SELECT COUNTIF(x > 0), COUNTIF(DISTINCT x > 0) FROM UNNEST([1, 2, -1]) AS x") == [(2, 1)]
    assert bq_types("SELECT COUNTIF(x > 0) FROM UNNEST([1]) AS x") == ["BIGINT"]


def test_sum_of_float64_past_its_range_is_an_error(bq):
    # BigQuery: SUM of FLOAT64 raises "double overflow" when finite values sum past FLOAT64's range;
    # an infinite value makes the sum infinite; SAFE.SUM returns NULL instead of the error
    with pytest.raises(duckdb.Error, match="double overflow"):
        bq("SELECT SUM(x) FROM UNNEST([1.7e308, 1.7e308]) AS x")
    with pytest.raises(duckdb.Error, match="double overflow"):
        bq("SELECT SUM(x) OVER (ORDER BY x) FROM UNNEST([1.7e308, 1.7e308]) AS x")
    assert bq("SELECT SAFE.SUM(x) FROM UNNEST([1.7e308, 1.7e308]) AS x") == [(None,)]
    assert bq("SELECT SUM(x) FROM UNNEST([IEEE_DIVIDE(1, 0), 1.0]) AS x") == [(float("inf"),)]
    assert bq("SELECT SUM(x) FROM UNNEST([1.5, 2.5]) AS x") == [(4.0,)]


def test_logical_aggregates_with_distinct(bq):
    assert bq("SELECT LOGICAL_OR(DISTINCT x), LOGICAL_AND(DISTINCT x) FROM UNNEST([true, false]) AS x") == \
        [(True, False)]


def test_sum_of_int64_is_int64_and_overflow_is_an_error(bq, bq_types):
    # BigQuery: SUM of INT64 returns INT64; "int64 overflow" when the sum does not fit
    assert bq_types("SELECT SUM(x) FROM UNNEST([1, 2]) AS x") == ["BIGINT"]
    assert bq("SELECT SUM(x) OVER (ORDER BY x) FROM UNNEST([1, 2]) AS x") == [(1,), (3,)]
    with pytest.raises(duckdb.Error, match="out of range"):
        bq("SELECT SUM(x) FROM UNNEST([9223372036854775807, 1]) AS x")


def test_avg_of_numeric_is_an_exact_numeric(bq, bq_types):
    # BigQuery: AVG(NUMERIC) is a NUMERIC, rounded half away from zero to 9 decimals
    assert bq("SELECT AVG(x) FROM UNNEST([NUMERIC '1', NUMERIC '2', NUMERIC '2']) AS x") == \
        [(decimal.Decimal("1.666666667"),)]
    assert bq_types("SELECT AVG(x) FROM UNNEST([NUMERIC '1']) AS x") == ["DECIMAL(38,9)"]


def test_float_literals_beside_numeric_are_numeric(bq_types):
    # BigQuery coerces a FLOAT64 literal to NUMERIC beside a NUMERIC value
    assert bq_types("SELECT [NUMERIC '1', 2.5], 1.5 UNION ALL SELECT [NUMERIC '3'], NUMERIC '2'") == \
        ["DECIMAL(38,9)[]", "DECIMAL(38,9)"]
    assert bq_types("SELECT 1.5 UNION ALL SELECT 2") == ["DOUBLE"]


def test_hll_count_sketches_count_distinct_values(bq):
    sql = """SELECT HLL_COUNT.MERGE(sketch), HLL_COUNT.EXTRACT(HLL_COUNT.MERGE_PARTIAL(sketch)) FROM (
               SELECT HLL_COUNT.INIT(x) AS sketch FROM UNNEST([1, 2, 3, NULL]) AS x
               UNION ALL SELECT HLL_COUNT.INIT(x, 15) FROM UNNEST([3, 4]) AS x)"""
    assert bq(sql) == [(4, 4)]
    assert bq("SELECT HLL_COUNT.INIT(x) FROM UNNEST([CAST(NULL AS INT64)]) AS x") == [(None,)]
    assert bq("SELECT HLL_COUNT.EXTRACT(NULL), HLL_COUNT.MERGE(CAST(NULL AS BYTES))") == [(0, 0)]
    with pytest.raises(duckdb.Error, match="incompatible sketch"):
        bq("SELECT HLL_COUNT.MERGE(x) FROM UNNEST([b'']) AS x")


def test_approx_top_count_and_sum_are_exact(bq):
    assert bq("SELECT APPROX_TOP_COUNT(x, 2) FROM UNNEST(['a', 'b', 'a', NULL, NULL, NULL]) AS x") == \
        [([{"value": None, "count": 3}, {"value": "a", "count": 2}],)]
    sql = "SELECT APPROX_TOP_SUM(x, w, 1) FROM (SELECT 'a' AS x, 2 AS w UNION ALL SELECT 'b', 5 UNION ALL SELECT 'a', 4)"
    assert bq(sql) == [([{"value": "a", "sum": 6}],)]


def test_approx_quantiles_are_exact_boundaries(bq):
    # BigQuery: n quantiles give n+1 boundaries, the minimum first and the maximum last
    sql = "SELECT APPROX_QUANTILES(x, 2) FROM UNNEST([NULL, 1, 1, 1, 4, 5, 6, 7, 8, 9, 10]) AS x"
    assert bq(sql) == [([1, 5, 10],)]
    assert bq("SELECT APPROX_QUANTILES(x, 2 RESPECT NULLS) FROM UNNEST([NULL, 1, 2]) AS x") == [([None, 1, 2],)]


def test_range_frames_past_int64_include_the_partition_end(bq):
    # BigQuery: RANGE BETWEEN 2 PRECEDING AND 2 FOLLOWING over INT64 keys near the limits does not overflow
    sql = """SELECT x, COUNT(*) OVER (ORDER BY x RANGE BETWEEN 2 PRECEDING AND 2 FOLLOWING) FROM t ORDER BY x"""
    rows = bq(sql.replace("FROM t", "FROM UNNEST([9223372036854775807, 9223372036854775806, -9223372036854775808])"
                                    " AS x"))
    assert rows == [(-9223372036854775808, 1), (9223372036854775806, 2), (9223372036854775807, 2)]


def test_range_frames_over_numeric_near_its_limits(bq):
    # BigQuery: RANGE offsets over NUMERIC keys near NUMERIC's limits do not overflow; 0.5 is a NUMERIC offset
    top, low = "NUMERIC '99999999999999999999999999999.999999999'", "NUMERIC '-99999999999999999999999999999.999999999'"
    sql = f"""SELECT x, COUNT(*) OVER (ORDER BY x RANGE BETWEEN 2 PRECEDING AND 0.5 FOLLOWING) FROM
              UNNEST([{top}, {top} - 1, {low}, NUMERIC '1.5', NUMERIC '2']) AS x ORDER BY x"""
    counts = [count for _, count in bq(sql)]
    assert counts == [1, 2, 2, 1, 2]  # low; 1.5 and 2 see each other; top - 1 alone; top sees top - 1
    with pytest.raises(Exception, match="RANGE frame over NUMERIC"):
        bq("SELECT COUNT(*) OVER (ORDER BY x RANGE BETWEEN y PRECEDING AND CURRENT ROW) "
           "FROM UNNEST([STRUCT(NUMERIC '1' AS x, NUMERIC '1' AS y)])")


def test_variance_of_numeric_keeps_the_digits_of_large_values(bq):
    # BigQuery: VAR_POP/STDDEV_SAMP of NUMERIC values that differ only in their last digits are not 0
    values = "UNNEST([NUMERIC '99999999999999999999.1', NUMERIC '99999999999999999999.2', NULL]) AS x"
    assert bq(f"SELECT VAR_POP(x), STDDEV_SAMP(x), VARIANCE(x), STDDEV_POP(x) FROM {values}") == \
        [(pytest.approx(0.0025), pytest.approx(0.0707106781186547), pytest.approx(0.005), pytest.approx(0.05))]
    assert bq("SELECT VAR_SAMP(x) FROM UNNEST([NUMERIC '1']) AS x") == [(None,)]
    rows = bq(f"SELECT VAR_POP(x) OVER (ORDER BY x ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING) FROM {values} ORDER BY x")
    assert rows == [(0.0,), (pytest.approx(0.0025),), (0.0,)]  # NULL sorts first; its frame holds one value


def test_corr_is_null_below_two_pairs(bq):
    # BigQuery: CORR of one (non-NULL) pair is NULL; over a window too
    assert bq("SELECT CORR(y, x) FROM UNNEST([STRUCT(1.0 AS y, 1.0 AS x), (NULL, 2.0)])") == [(None,)]
    assert bq("SELECT CORR(y, x) FROM UNNEST([STRUCT(1.0 AS y, 1.0 AS x), (2.0, 2.0)])") == [(pytest.approx(1.0),)]
    rows = bq("SELECT CORR(y, x) OVER (ORDER BY x) FROM UNNEST([STRUCT(1.0 AS y, 1.0 AS x), (2.0, 2.0)]) ORDER BY x")
    assert rows == [(None,), (pytest.approx(1.0),)]


def test_approx_top_count_and_sum_over_no_rows_and_their_checks(bq):
    # BigQuery: NULL over no rows; the count must be positive and not NULL; weights must not be negative
    assert bq("SELECT APPROX_TOP_COUNT(x, 3), APPROX_TOP_SUM(x, 1, 3) FROM UNNEST([1]) AS x WHERE x < 0") == \
        [(None, None)]
    for sql, message in [("APPROX_TOP_COUNT(x, 0)", "must be positive"), ("APPROX_TOP_COUNT(x, NULL)", "not be NULL"),
                         ("APPROX_TOP_SUM(x, -1, 2)", "negative or NaN weights")]:
        with pytest.raises(duckdb.Error, match=message):
            bq(f"SELECT {sql} FROM UNNEST([1]) AS x")


def test_an_aggregate_of_a_pivot_stays_one_aggregate(bq):
    # DuckDB's PIVOT takes one aggregate per value: CORR keeps its own form there (no NULL below two pairs);
    # ARRAY_AGG ... LIMIT is one aggregate
    sql = """SELECT * FROM (SELECT 1 AS k, 1.0 AS x, 2.0 AS y UNION ALL SELECT 1, 2.0, 4.0 UNION ALL SELECT 2, 1.0, 1.0)
             PIVOT(CORR(x, y) AS c FOR k IN (1, 2))"""
    (one, _), = bq(sql)
    assert one == pytest.approx(1.0)
    sql = """SELECT * FROM (SELECT 1 AS k, 5 AS y UNION ALL SELECT 1, NULL UNION ALL SELECT 2, 6)
             PIVOT(ARRAY_AGG(y IGNORE NULLS LIMIT 3) FOR k IN (1, 2))"""
    assert bq(sql) == [([5], [6])]
