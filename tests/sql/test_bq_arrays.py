"""BigQuery's arrays on DuckDB (BigQuery reference: "Array functions", "Work with arrays", UNNEST)."""

from __future__ import annotations

import json

import duckdb
import pytest


def test_offset_counts_from_zero_for_any_index_expression(bq):
    rows = bq("SELECT arr[OFFSET(i)], arr[ORDINAL(i + 1)] FROM (SELECT ['a', 'b'] AS arr), UNNEST([0, 1]) AS i "
              "ORDER BY i")
    assert rows == [("a", "a"), ("b", "b")]


def test_offset_out_of_bounds_is_an_error_and_safe_offset_is_null(bq):
    # BigQuery: "Array index 2 is out of bounds"; SAFE_OFFSET returns NULL; a negative index is not "from the end"
    with pytest.raises(duckdb.Error, match="out of bounds"):
        bq("SELECT [10, 11][OFFSET(2)]")
    assert bq("SELECT [10, 11][SAFE_OFFSET(-1)], [10, 11][SAFE_ORDINAL(3)], [10, 11][SAFE_OFFSET(1)]") == \
        [(None, None, 11)]


def test_unnest_with_offset_counts_from_zero(bq):
    rows = bq("SELECT x, pos FROM UNNEST(['a', 'b', 'c']) AS x WITH OFFSET AS pos ORDER BY pos")
    assert rows == [("a", 0), ("b", 1), ("c", 2)]


def test_unnest_with_offset_of_a_column_of_each_row(bq):
    rows = bq("SELECT t.k, x, offset FROM (SELECT 1 AS k, [5, 6] AS arr) AS t, UNNEST(t.arr) AS x WITH OFFSET "
              "ORDER BY offset")
    assert rows == [(1, 5, 0), (1, 6, 1)]


def test_array_agg_ignore_nulls_order_by_limit(bq):
    # BigQuery: IGNORE NULLS drops NULL inputs; LIMIT keeps the first n after ORDER BY
    sql = "SELECT ARRAY_AGG(x IGNORE NULLS ORDER BY x DESC LIMIT 2) FROM UNNEST([1, NULL, 3, 2]) AS x"
    assert bq(sql) == [([3, 2],)]
    assert bq("SELECT ARRAY_AGG(x RESPECT NULLS ORDER BY x LIMIT 2) FROM UNNEST([2, NULL, 1]) AS x") == [([None, 1],)]


def test_any_index_of_a_null_array_is_null(bq):
    # BigQuery: OFFSET(-1) of a NULL array is NULL, not an out-of-bounds error
    assert bq("SELECT arr[OFFSET(-1)] FROM (SELECT CAST(NULL AS ARRAY<INT64>) AS arr)") == [(None,)]


def test_field_access_through_an_array_of_structs_flattens(bq):
    # BigQuery: array_of_structs.field is the array of each element's field; NULL elements give NULL,
    # array fields are flattened (a NULL array adds nothing), a NULL array has no elements
    sql = "SELECT v FROM UNNEST([STRUCT(1 AS x), STRUCT(2), NULL, STRUCT(NULL AS x)].x) AS v WITH OFFSET o ORDER BY o"
    assert bq(sql) == [(1,), (2,), (None,), (None,)]
    sql = """SELECT v, o FROM UNNEST([STRUCT([STRUCT(2 AS y), STRUCT(1)] AS x),
                                      STRUCT(CAST(NULL AS ARRAY<STRUCT<y INT64>>)),
                                      STRUCT([STRUCT(4 AS y)])].x.y) AS v WITH OFFSET o ORDER BY o"""
    assert bq(sql) == [(2, 0), (1, 1), (4, 2)]
    assert bq("SELECT STRUCT([STRUCT('a' AS y)] AS x).x.y") == [(["a"],)]
    assert bq("SELECT COUNT(*) FROM UNNEST(CAST(NULL AS ARRAY<STRUCT<x INT64>>).x)") == [(0,)]
    assert bq("SELECT FLATTEN([STRUCT([1, 2] AS a), STRUCT(CAST(NULL AS ARRAY<INT64>)), STRUCT([3])].a), "
              "FLATTEN(ARRAY<STRUCT<a INT64>>[].a)") == [([1, 2, 3], [])]


def test_generated_arrays_refuse_a_zero_step(bq):
    # BigQuery: "Sequence step cannot be 0." for GENERATE_ARRAY and GENERATE_DATE_ARRAY
    with pytest.raises(duckdb.Error, match="step cannot be 0"):
        bq("SELECT GENERATE_ARRAY(1, 5, 0)")
    with pytest.raises(duckdb.Error, match="step cannot be 0"):
        bq("SELECT x FROM UNNEST([2, 0]) AS s, UNNEST(GENERATE_ARRAY(1, 3, s)) AS x")
    with pytest.raises(duckdb.Error, match="step cannot be 0"):
        bq("SELECT GENERATE_DATE_ARRAY('2016-01-01', '2016-01-03', INTERVAL 0 DAY)")
    assert bq("SELECT GENERATE_ARRAY(1, 5, 2), GENERATE_ARRAY(1, 5, NULL), "
              "ARRAY_LENGTH(GENERATE_DATE_ARRAY('2016-01-01', '2016-01-03', INTERVAL 1 DAY))") == [([1, 3, 5], None, 3)]


def test_generate_timestamp_array_refuses_a_zero_step(bq):
    with pytest.raises(duckdb.Error, match="step cannot be 0"):
        bq("SELECT GENERATE_TIMESTAMP_ARRAY('2016-01-01', '2016-01-02', INTERVAL 0 DAY)")
    assert bq("SELECT ARRAY_LENGTH(GENERATE_TIMESTAMP_ARRAY('2016-01-01', '2016-01-02', INTERVAL 12 HOUR))") == [(3,)]


def test_unnest_of_an_array_of_structs_has_a_column_per_field(bq, duck):
    # BigQuery: the fields of UNNEST(ARRAY<STRUCT>) are columns, also of a table's column and with OFFSET;
    # a tuple among structs takes the array's field names
    duck.execute("CREATE SCHEMA ds; CREATE TABLE ds.t AS SELECT 1 AS k, [{'x': 1, 'y': 'a'}, {'x': 2, 'y': 'b'}] AS arr")
    tables = {"ds.t": {"k": "INT64", "arr": "ARRAY<STRUCT<x INT64, y STRING>>"}}
    assert bq("SELECT k, x, y FROM ds.t, UNNEST(t.arr) ORDER BY x", tables) == [(1, 1, "a"), (1, 2, "b")]
    assert bq("SELECT * FROM ds.t, UNNEST(t.arr) WITH OFFSET AS o ORDER BY o", tables) == \
        [(1, [{"x": 1, "y": "a"}, {"x": 2, "y": "b"}], 1, "a", 0), (1, [{"x": 1, "y": "a"}, {"x": 2, "y": "b"}], 2, "b", 1)]
    assert bq("SELECT e.y, o FROM ds.t, UNNEST(t.arr) AS e WITH OFFSET o ORDER BY o", tables) == [("a", 0), ("b", 1)]
    assert bq("SELECT x, y, o FROM UNNEST([STRUCT(1 AS x, 'a' AS y), (2, 'b')]) WITH OFFSET o ORDER BY o") == \
        [(1, "a", 0), (2, "b", 1)]


def test_array_first_last_and_is_distinct(bq):
    # BigQuery: ARRAY_FIRST/ARRAY_LAST of an empty array is an error (SAFE.: NULL); in ARRAY_IS_DISTINCT two
    # NULLs repeat, and a NULL array gives NULL
    assert bq("SELECT ARRAY_FIRST([1, 2]), ARRAY_LAST([1, 2]), SAFE.ARRAY_FIRST(ARRAY<INT64>[]), "
              "ARRAY_IS_DISTINCT([1, NULL, NULL]), ARRAY_IS_DISTINCT([1, NULL]), ARRAY_IS_DISTINCT(NULL)") == \
        [(1, 2, None, False, True, None)]
    with pytest.raises(duckdb.Error, match="empty array"):
        bq("SELECT ARRAY_LAST(ARRAY<STRING>[])")


def test_string_agg_and_array_agg_with_limit(bq):
    # BigQuery: STRING_AGG(... LIMIT n) joins the first n non-NULL values; nothing left is NULL (ARRAY_AGG too)
    values = "UNNEST(['b', NULL, 'a', 'c', 'a']) AS s"
    assert bq(f"SELECT STRING_AGG(s, '; ' ORDER BY s LIMIT 2), STRING_AGG(s ORDER BY s DESC LIMIT 1), "
              f"STRING_AGG(s LIMIT 0), ARRAY_AGG(s ORDER BY s LIMIT 0), ARRAY_AGG(s ORDER BY s LIMIT 2) "
              f"FROM {values}") == [("a; a", "c", None, None, [None, "a"])]


def test_left_join_unnest_with_an_alias_is_null_without_elements(bq, duck):
    # BigQuery: the alias of UNNEST(array of structs) is the struct, NULL where the LEFT JOIN finds no element
    duck.execute("CREATE SCHEMA ds; CREATE TABLE ds.t AS SELECT * FROM (VALUES (1, [{'x': 5}]), (2, [])) AS v(k, arr)")
    tables = {"ds.t": {"k": "INT64", "arr": "ARRAY<STRUCT<x INT64>>"}}
    assert bq("SELECT k, s FROM ds.t LEFT JOIN UNNEST(t.arr) AS s ORDER BY k", tables) == [(1, {"x": 5}), (2, None)]


def test_structs_in_an_array_literal_take_the_first_elements_field_names(bq):
    # BigQuery: an array literal's element type comes from its elements; unnamed struct fields are set by
    # position, also in nested structs and in arrays of structs inside them
    assert bq("SELECT [STRUCT(STRUCT(5 AS y) AS x), STRUCT(STRUCT(6))][OFFSET(1)].x.y") == [(6,)]
    assert bq("SELECT v FROM UNNEST([STRUCT([STRUCT(5 AS y)] AS x), STRUCT([STRUCT(6)])].x.y) AS v "
              "ORDER BY v") == [(5,), (6,)]


def test_a_subscript_inside_an_array_path_indexes_each_element(bq):
    rows = "[STRUCT([1, 2, 3] AS a), STRUCT([4, 5] AS a)]"
    assert bq(f"SELECT FLATTEN({rows}.a[OFFSET(1)]), FLATTEN({rows}.a[OFFSET(1)])[OFFSET(0)], "
              f"FLATTEN({rows}.a[SAFE_OFFSET(2)])") == [([2, 5], 2, [3, None])]


def test_flatten_of_an_array_that_is_no_path_is_the_array(bq):
    assert bq("SELECT FLATTEN([STRUCT([1, 2, 3] AS a), STRUCT([4, 5] AS a)][OFFSET(1)].a), "
              "FLATTEN(STRUCT([STRUCT([1, 2] AS b)] AS a).a[OFFSET(0)].b)") == [([4, 5], [1, 2])]


def test_an_array_path_reads_members_of_json_fields(bq):
    rows = "[STRUCT(JSON '{\"f\": 1}' AS x, 2 AS y), (JSON '{\"f\": \"foo\"}', 22), (JSON '[{\"f\": 3}]', 33)]"
    assert [[json.loads(v) if v is not None else None for v in row[0]] for row in
            bq(f"SELECT FLATTEN({rows}.x.f)")] == [[1, "foo", None]]


def test_an_array_path_goes_on_through_array_concat(bq):
    assert bq("SELECT FLATTEN(ARRAY_CONCAT(FLATTEN([STRUCT([STRUCT(1 AS b)] AS a)].a), "
              "FLATTEN([STRUCT([STRUCT(2 AS b)] AS a)].a)).b)") == [([1, 2],)]
