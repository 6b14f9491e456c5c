"""BigQuery's statistical aggregates on DuckDB (BigQuery reference: "Statistical aggregate functions")."""

from __future__ import annotations

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
