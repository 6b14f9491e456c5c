"""BigQuery's array paths in FROM on DuckDB (BigQuery reference: "Query syntax", FROM clause, correlated join
and path expressions)."""

from __future__ import annotations


def test_a_subquery_reads_an_outer_rows_array_by_its_path(bq):
    # BigQuery: FROM t.arr in a subquery unnests the array of the outer row t
    sql = """SELECT id, (SELECT SUM(v) FROM t.arr v), (SELECT COUNT(*) FROM t.arr)
             FROM (SELECT 1 AS id, [1, 2] AS arr UNION ALL SELECT 2, [5]) t ORDER BY id"""
    assert bq(sql) == [(1, 3, 2), (2, 5, 1)]
