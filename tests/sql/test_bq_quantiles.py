"""BigQuery's quantiles on DuckDB (BigQuery reference: "Navigation functions", PERCENTILE_CONT; GoogleSQL
sorts NaN before every number and interpolates ``left * (1 - f) + right * f``)."""

from __future__ import annotations

import decimal
import math

import duckdb
import pytest

from dop_core.sql import UnsupportedSqlError

_PERCENTILES = """SELECT PERCENTILE_CONT(x, 0{n}) OVER () AS min, PERCENTILE_CONT(x, 0.01{n}) OVER () AS p1,
                    PERCENTILE_CONT(x, 0.5{n}) OVER () AS median, PERCENTILE_CONT(x, 0.9{n}) OVER () AS p90,
                    PERCENTILE_CONT(x, 1{n}) OVER () AS max
                  FROM UNNEST([0, 3, NULL, 1, 2]) AS x LIMIT 1"""


def test_percentile_cont_ignores_or_respects_nulls(bq):
    # BigQuery's documented examples
    [ignored] = bq(_PERCENTILES.format(n=""))
    assert ignored == pytest.approx((0, 0.03, 1.5, 2.7, 3))
    assert bq(_PERCENTILES.format(n=" IGNORE NULLS")) == [ignored]
    [respected] = bq(_PERCENTILES.format(n=" RESPECT NULLS"))
    assert respected[0] is None and respected[1:] == pytest.approx((0, 1, 2.6, 3))


def test_percentile_cont_sorts_nan_first_and_does_not_overflow(bq):
    sql = """SELECT PERCENTILE_CONT(x, 0.25) OVER (), PERCENTILE_CONT(x, 0.75) OVER ()
             FROM UNNEST([2, IEEE_DIVIDE(0, 0), 1]) AS x LIMIT 1"""
    [(low, high)] = bq(sql)
    assert math.isnan(low) and high == 1.5
    assert bq("SELECT PERCENTILE_CONT(x, 0.5) OVER () FROM UNNEST([-1.7e308, 1.7e308]) AS x LIMIT 1") == [(0.0,)]


def test_percentile_cont_of_numeric_is_exact(bq):
    sql = """SELECT PERCENTILE_CONT(x, 0.5) OVER () FROM UNNEST([NUMERIC '0.000000001', NUMERIC '0.000000002']) AS x
             LIMIT 1"""
    assert bq(sql) == [(decimal.Decimal("0.000000002"),)]  # 0.0000000015 rounded half away from zero
    with pytest.raises(duckdb.Error, match=r"Percentile argument must be in \[0, 1\]"):
        bq("SELECT PERCENTILE_CONT(x, p) OVER () FROM UNNEST([1.0]) AS x, UNNEST([1.5]) AS p")


def test_approx_quantiles_count_may_be_a_constant_expression(bq):
    # BigQuery: the number of quantiles is a constant (a literal or a query parameter), at most 100000
    sql = "SELECT APPROX_QUANTILES(x, (2)), APPROX_QUANTILES(x, CAST(2 AS INT64)) FROM UNNEST([1, 2, 3, 3, 2, 1]) AS x"
    assert bq(sql) == [([1, 2, 3], [1, 2, 3])]
    with pytest.raises(UnsupportedSqlError, match="cannot be greater than 100000"):
        bq("SELECT APPROX_QUANTILES(x, (100000000)) FROM UNNEST([1]) AS x")
