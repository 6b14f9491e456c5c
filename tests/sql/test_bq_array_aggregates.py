"""BigQuery's ARRAY_CONCAT_AGG on DuckDB (BigQuery reference: "Aggregate functions", ARRAY_CONCAT_AGG)."""

from __future__ import annotations

_ARRAYS = "(SELECT [1, 1, 1] AS x, 3 AS y UNION ALL SELECT NULL, 1 UNION ALL SELECT [2], 2 UNION ALL SELECT [], 0)"


def test_array_concat_agg_over_a_window_and_with_limit(bq):
    # BigQuery: NULL arrays are ignored; LIMIT n keeps the first n arrays (none left: NULL)
    assert bq(f"SELECT ARRAY_LENGTH(ARRAY_CONCAT_AGG(x) OVER ()) FROM {_ARRAYS} LIMIT 1") == [(4,)]
    sql = f"SELECT ARRAY_CONCAT_AGG(x ORDER BY y LIMIT 2), ARRAY_CONCAT_AGG(x ORDER BY y DESC LIMIT 1) FROM {_ARRAYS}"
    assert bq(sql) == [([2], [1, 1, 1])]
    assert bq(f"SELECT ARRAY_CONCAT_AGG(x LIMIT 0), ARRAY_CONCAT_AGG(x) FROM {_ARRAYS} WHERE x IS NULL") == [(None, None)]
