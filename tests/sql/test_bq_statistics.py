"""BigQuery's statistical aggregates on DuckDB (BigQuery reference: "Statistical aggregate functions")."""

from __future__ import annotations

import decimal

import duckdb
import pytest


def test_statistics_of_values_near_float64_limits_do_not_overflow(bq):
    # BigQuery accumulates in extended precision: only a result past FLOAT64's range is infinite
    sql = "SELECT STDDEV_SAMP(x), STDDEV_POP(x), VAR_POP(x) FROM UNNEST([1.0, 2.2e+304, -2.2e+304]) AS x"
    [(samp, pop, variance)] = bq(sql)
    assert samp == pytest.approx(2.2e304) and pop == pytest.approx(1.7962924780409973e304)
    assert variance == float("inf")
    pairs = "UNNEST([STRUCT(1.0 AS y, -1.0 AS x), (2.2e+154, -2.2e+154)])"
    [(corr, covar)] = bq(f"SELECT CORR(y, x), COVAR_POP(y, x) FROM {pairs}")
    assert corr == pytest.approx(-1) and covar == pytest.approx(-1.21e308)
    window = """SELECT STDDEV_POP(x) OVER (ORDER BY i) FROM UNNEST([8.98845e+307, 1.79769e+308]) AS x WITH OFFSET i
                ORDER BY i"""
    assert bq(window) == [(0.0,), (pytest.approx(4.494225e307),)]
    assert bq("SELECT STDDEV_POP(x) FROM UNNEST([1.0, 3.0]) AS x") == [(1.0,)]


_MAX = "NUMERIC '99999999999999999999999999999'"
_LARGE = f"[{_MAX}, {_MAX}, -{_MAX}, NUMERIC '-2.5']"  # the running sum passes NUMERIC's range, the sum does not


def test_numeric_sums_and_averages_do_not_overflow_midway(bq):
    # BigQuery: SUM/AVG of NUMERIC are exact; only a result past NUMERIC's range is an error
    assert bq(f"SELECT SUM(x), AVG(x) FROM UNNEST({_LARGE}) AS x") == \
        [(decimal.Decimal("99999999999999999999999999996.5"), decimal.Decimal("24999999999999999999999999999.125"))]
    assert bq("SELECT AVG(x) FROM UNNEST([NUMERIC '99999999999999999999999999999', NUMERIC '2']) AS x") == \
        [(decimal.Decimal("50000000000000000000000000000.5"),)]
    window = """SELECT AVG(x) OVER (ORDER BY x ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM
                UNNEST([NUMERIC '99999999999999999999999999999', NUMERIC '99999999999999999999999999998']) AS x ORDER BY x"""
    assert bq(window) == [(decimal.Decimal("99999999999999999999999999998"),),
                          (decimal.Decimal("99999999999999999999999999998.5"),)]
    with pytest.raises(duckdb.Error):
        bq("SELECT SUM(x) FROM UNNEST([NUMERIC '99999999999999999999999999999', NUMERIC '2']) AS x")


def test_float64_sum_passing_the_range_midway_is_the_sum(bq):
    # BigQuery accumulates FLOAT64 sums in extended precision: only a sum past FLOAT64's range is an error
    values = "UNNEST([1.79769e+308, 1.79769e+307, -1.79769e+308]) AS x"
    [(total,)] = bq(f"SELECT SUM(x) FROM {values}")
    assert total == pytest.approx(1.79769e307)
    rows = bq(f"SELECT SUM(x) OVER (ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM {values}")
    assert [r[0] for r in rows] == [pytest.approx(1.79769e307)] * 3
    with pytest.raises(duckdb.Error, match="double overflow"):
        bq("SELECT SUM(x) FROM UNNEST([1.7e308, 1.7e308]) AS x")


def test_numeric_correlations_are_exact(bq, duck):
    # y and x are uncorrelated: exactly 0 (DuckDB's DOUBLE arithmetic gave -1.6e-17)
    duck.execute("CREATE SCHEMA ds; CREATE TABLE ds.p AS SELECT y::DECIMAL(38, 9) AS y, x::DECIMAL(38, 9) AS x "
                 "FROM (VALUES (0, 0), (2, 1), (0, 2), (2, 3), (0, 4)) AS v(y, x)")
    tables = {"ds.p": {"y": "NUMERIC", "x": "NUMERIC"}}
    assert bq("SELECT CORR(y, x), COVAR_POP(y, x), COVAR_SAMP(y, x) FROM ds.p", tables) == [(0.0, 0.0, 0.0)]
    [(corr,)] = bq("SELECT CORR(y, x) FROM ds.p WHERE y = 0", tables)
    assert corr != corr  # no variance in y: NaN
    assert bq("SELECT CORR(y, x) OVER (ORDER BY x ROWS 1 PRECEDING) FROM ds.p ORDER BY x LIMIT 2", tables) == \
        [(None,), (1.0,)]
