"""BigQuery's array paths in FROM and array literals on DuckDB (BigQuery reference: "Query syntax", FROM clause,
correlated join and path expressions; "Data types", array type)."""

from __future__ import annotations

import pytest

from dop_core.sql import UnsupportedSqlError


def test_a_subquery_reads_an_outer_rows_array_by_its_path(bq):
    # BigQuery: FROM t.arr in a subquery unnests the array of the outer row t
    sql = """SELECT id, (SELECT SUM(v) FROM t.arr v), (SELECT COUNT(*) FROM t.arr)
             FROM (SELECT 1 AS id, [1, 2] AS arr UNION ALL SELECT 2, [5]) t ORDER BY id"""
    assert bq(sql) == [(1, 3, 2), (2, 5, 1)]


def test_an_array_of_arrays_is_an_error(bq):
    # BigQuery: "Cannot construct array with element type ARRAY<INT64> because nested arrays are not supported"
    with pytest.raises(UnsupportedSqlError, match="nested arrays are not supported"):
        bq("SELECT ARRAY_CONCAT_AGG(x) FROM (SELECT ARRAY[ARRAY[1]] AS x UNION ALL SELECT ARRAY[ARRAY[2]])")
    assert bq("SELECT [STRUCT([1] AS a)]") == [([{"a": [1]}],)]
