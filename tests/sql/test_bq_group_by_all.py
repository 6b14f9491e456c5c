"""BigQuery's GROUP BY ALL on DuckDB through DOP's translation."""

from __future__ import annotations

ROWS = "FROM UNNEST([STRUCT(1 AS k, 10 AS v), (1, 20), (2, 30)])"


def test_group_by_all_without_keys_is_one_group(bq):
    assert bq(f"SELECT 'a' AS x {ROWS} GROUP BY ALL") == [("a",)]
    assert bq(f"SELECT 'a' AS x {ROWS} GROUP BY ALL HAVING TRUE") == [("a",)]


def test_group_by_all_with_qualify_groups_by_the_non_aggregated_items(bq):
    assert bq(f"SELECT k, SUM(v) AS s, ROW_NUMBER() OVER (ORDER BY k DESC) AS r {ROWS} GROUP BY ALL QUALIFY r = 1") \
        == [(2, 30, 1)]
