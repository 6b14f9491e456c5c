"""BigQuery's SAFE. prefix on DuckDB (BigQuery reference: "Function calls", SAFE. prefix)."""

from __future__ import annotations


def test_safe_call_of_a_subquery_argument(bq):
    # BigQuery: SAFE.ARRAY_FIRST of an empty array is NULL instead of the error, whatever computes the array
    sql = """WITH t AS (SELECT value FROM UNNEST([1, 2, 3, 4]) AS value)
             SELECT SAFE.ARRAY_FIRST(ARRAY(SELECT value FROM t WHERE FALSE)), SAFE.ARRAY_LAST(ARRAY(SELECT value FROM t))"""
    assert bq(sql) == [(None, 4)]
