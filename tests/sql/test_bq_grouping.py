"""GROUPING SETS, ROLLUP and CUBE on DuckDB as BigQuery resolves them (BigQuery reference: "Query syntax",
GROUP BY GROUPING SETS / ROLLUP / CUBE, and the GROUPING function): a key left out of a grouping set is
NULL in that set's rows, so which select expressions are keys decides the result."""

from __future__ import annotations

ITEMS = "WITH items AS (SELECT 1 AS n, 'x' AS s UNION ALL SELECT 1, 'y' UNION ALL SELECT 5, 'y')\n"


def test_an_expression_of_grouped_columns_is_computed_from_them(bq):
    # n + 1 is a key of its own, but n is grouped too: BigQuery computes the select's n + 1 from n,
    # so it has n's value in set (n) and is NULL in set (n + 1), where n is NULL
    rows = bq(ITEMS + "SELECT n, n + 1, COUNT(*) AS c FROM items GROUP BY GROUPING SETS (n, n + 1) "
                      "ORDER BY n, c")
    assert rows == [(None, None, 1), (None, None, 2), (1, 2, 2), (5, 6, 1)]
    # where its columns are not grouped, an expression equal to a key is the key
    rows = bq(ITEMS + "SELECT n + 1 AS m, s, COUNT(*) FROM items GROUP BY ROLLUP (n + 1, s) ORDER BY 1, 2")
    assert rows == [(None, None, 3), (2, None, 2), (2, "x", 1), (2, "y", 1), (6, None, 1), (6, "y", 1)]


def test_a_key_named_by_position_or_alias_is_the_select_item_itself(bq):
    # set (1) groups by the select item n + 1 AS m, set (m) the same; in set (n) that item is left out
    rows = bq(ITEMS + "SELECT n, n + 1 AS m, COUNT(*) FROM items GROUP BY GROUPING SETS (n, 2) "
                      "ORDER BY 1, 2")
    assert rows == [(None, 2, 2), (None, 6, 1), (1, None, 2), (5, None, 1)]
    # a constant named by its position is a key as well: NULL in the sets that leave it out
    # (set (1) is set (n) again)
    rows = bq(ITEMS + "SELECT n, 7, GROUPING(n) FROM items GROUP BY GROUPING SETS (n, 2, 1) ORDER BY 1, 2")
    assert rows == [(None, 7, 1), (1, None, 0), (1, None, 0), (5, None, 0), (5, None, 0)]


def test_rollup_and_cube_inside_grouping_sets_and_grouping_of_an_alias(bq):
    rows = bq(ITEMS + "SELECT n AS k, s, GROUPING(k) AS gk, COUNT(*) FROM items "
                      "GROUP BY GROUPING SETS (ROLLUP ((n), s), CUBE (s)) ORDER BY 1, 2, 3")
    assert rows == [(None, None, 1, 3), (None, None, 1, 3), (None, "x", 1, 1), (None, "y", 1, 2),
                    (1, None, 0, 2), (1, "x", 0, 1), (1, "y", 0, 1), (5, None, 0, 1), (5, "y", 0, 1)]
