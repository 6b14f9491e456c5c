"""BigQuery's STRUCT comparisons on DuckDB: field by field, by position, with SQL's NULL logic."""

from __future__ import annotations


def test_structs_compare_by_position_whatever_the_field_names(bq):
    assert bq("SELECT STRUCT(3 AS a, 5.5 AS b) = STRUCT(3 AS c, 5.5 AS d), "
              "STRUCT(3 AS a, 5.5 AS b) != STRUCT(3 AS c, 5.5 AS d)") == [(True, False)]


def test_a_null_field_makes_the_comparison_null_unless_another_field_differs(bq):
    assert bq("SELECT (1, NULL) = (1, 2), (1, NULL) = (2, 2), (1, ('a', NULL)) = (1, ('a', 3)), "
              "(1, ('a', NULL)) != (1, ('b', 3))") == [(None, False, None, True)]


def test_in_of_structs_is_null_when_a_possible_match_has_a_null_field(bq):
    assert bq("SELECT (1, ('this', NULL)) IN UNNEST([(1, ('that', 3)), (1, ('this', 3))]), "
              "(1, ('this', NULL)) IN UNNEST([(1, ('that', 3)), (2, ('this', 3))]), "
              "(1, 2) IN ((1, 2), (3, 4)), (1, 2) IN UNNEST(ARRAY<STRUCT<a INT64, b INT64>>[])") == \
        [(None, False, True, False)]


def test_in_and_not_in_a_subquery_of_structs_with_other_field_names(bq):
    rows = "SELECT * FROM UNNEST([STRUCT(1 AS x), STRUCT(2), STRUCT(3)])"
    assert bq(f"SELECT x FROM ({rows}) WHERE STRUCT<a INT64, b INT64>(x, x) "
              "IN (SELECT STRUCT<c INT64, d INT64>(id, id) FROM UNNEST([1, 2]) AS id) ORDER BY x") == [(1,), (2,)]
    # (1, NULL) and (2, NULL) may equal (1, 1) and (2, 2): NOT IN is NULL; (3, NULL) differs from both
    assert bq(f"SELECT x FROM ({rows}) WHERE (x, NULL) NOT IN (SELECT (id, id) FROM UNNEST([1, 2]) AS id)") == [(3,)]


def test_case_and_nullif_of_a_struct_with_a_null_field(bq):
    assert bq("SELECT CASE s WHEN STRUCT(1, 2) THEN 1 WHEN STRUCT(NULL, 2) THEN 2 ELSE 3 END, "
              "NULLIF(s, (NULL, 2)) IS NULL FROM (SELECT STRUCT(NULL AS x, 2 AS y) AS s)") == [(3, False)]


def test_select_as_struct_of_star_is_a_struct_of_every_column(bq):
    assert bq("SELECT ARRAY(SELECT AS STRUCT * FROM UNNEST([STRUCT(1 AS a, 'x' AS b), (2, 'y')]) ORDER BY a DESC)") \
        == [([{"a": 2, "b": "y"}, {"a": 1, "b": "x"}],)]


def test_union_combines_structs_by_position_named_as_the_first_input(bq, duck):
    from dop_core.sql.dialects import translate

    sql = translate("SELECT STRUCT('abc' AS a, 3 AS b) AS s UNION ALL SELECT STRUCT('def' AS c, 5 AS d)",
                    "bigquery", "duckdb")
    assert sorted(duck.execute(sql).fetchall(), key=str) == [({"a": "abc", "b": 3},), ({"a": "def", "b": 5},)]


def test_union_of_structs_of_one_struct_field(bq):
    assert sorted(bq("SELECT STRUCT(STRUCT([1] AS c, TRUE AS d) AS b) AS a UNION ALL "
                     "SELECT STRUCT(STRUCT(ARRAY<INT64>[] AS e, FALSE AS f) AS g)"), key=str) == \
        [({"b": {"c": [1], "d": True}},), ({"b": {"c": [], "d": False}},)]


def test_a_union_keeps_a_null_struct_null(bq):
    assert sorted(bq("SELECT s FROM (SELECT STRUCT<a INT64>(1) AS s UNION ALL SELECT CAST(NULL AS STRUCT<b INT64>))"),
                  key=str) == [(None,), ({"a": 1},)]
