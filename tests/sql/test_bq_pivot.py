"""BigQuery's PIVOT on DuckDB (BigQuery reference: "Query syntax", PIVOT operator)."""

from __future__ import annotations

import pytest

from dop_core.sql import UnsupportedSqlError

_ROWS = "UNNEST([STRUCT(1 AS x, 100 AS y, 1000 AS z), (1, 101, 1001), (2, NULL, 1002), (2, NULL, 1003)])"


def test_pivot_values_may_repeat_and_null_takes_null_rows(bq):
    # BigQuery: a repeated pivot value gives its own columns from the same rows; NULL matches NULL
    sql = f"""SELECT * FROM (SELECT x, y, z FROM {_ROWS})
              PIVOT(SUM(z - 1000) AS s, COUNTIF(z < 1002) AS c FOR y IN (100, 101 AS b, NULL, NULL AS n))
              ORDER BY x"""
    assert bq(sql) == [(1, 0, 1, 1, 1, None, 0, None, 0), (2, None, 0, None, 0, 5, 0, 5, 0)]
    names = f"SELECT * FROM (SELECT x, y, z FROM {_ROWS}) PIVOT(SUM(z) AS s FOR y IN (100, 100 AS b)) ORDER BY x"
    assert bq(names) == [(1, 1000, 1000), (2, None, None)]


def test_pivot_of_a_subquery_value(bq):
    sql = f"SELECT * FROM (SELECT x, y FROM {_ROWS}) PIVOT(SUM((SELECT 2)) FOR x IN (1, 2)) ORDER BY y NULLS LAST"
    assert bq(sql) == [(100, 2, None), (101, 2, None), (None, None, 4)]


def test_pivot_repeating_a_value_of_a_random_aggregate_is_refused(bq):
    with pytest.raises(UnsupportedSqlError, match="non-deterministic"):
        bq(f"SELECT * FROM (SELECT x, y FROM {_ROWS}) PIVOT(SUM(RAND()) AS r FOR x IN (1 AS a, 1 AS b))")
