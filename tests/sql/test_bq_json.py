"""BigQuery's JSON functions on DuckDB through DOP's translation: paths, TO_JSON, mutators, JSON_KEYS, lax."""

from __future__ import annotations

import json

import duckdb
import pytest

from dop_core.sql import UnsupportedSqlError
from dop_core.sql.dialects import translate


def values(rows):
    """The rows with each JSON text parsed (DuckDB returns JSON as its text)."""
    return [tuple(json.loads(v) if isinstance(v, str) else v for v in row) for row in rows]


def test_paths_reach_members_with_dots_quotes_backslashes_and_empty_names(bq):
    doc = """JSON '{"a": [1, {"b.c": [10, 20]}], "q\\\\"x\\\\\\\\y": 5, "": "empty"}'"""
    assert values(bq(f"SELECT JSON_EXTRACT({doc}, \"$[a][1]['b.c']\"), JSON_QUERY({doc}, '$.a[1].\"b.c\"')")) \
        == [([10, 20], [10, 20])]
    assert bq(f"SELECT JSON_EXTRACT_SCALAR({doc}, \"$[a][1]['b.c'][0]\")") == [("10",)]
    assert values(bq(f"SELECT ({doc}).`q\"x\\\\y`, ({doc})['q\"x\\\\y'], ({doc})['']")) == [(5, 5, "empty")]
    assert bq("SELECT j FROM (SELECT JSON '{\"k\": 1}' AS j) WHERE j[''] IS NOT NULL") == []


def test_to_json_is_a_json_value(bq_types, bq):
    assert bq_types("SELECT TO_JSON([1, 2, 3])") == ["JSON"]
    assert values(bq("SELECT TO_JSON(STRUCT([1, 2] AS f))")) == [({"f": [1, 2]},)]


def test_json_set_sets_each_path_left_to_right_creating_what_is_missing(bq):
    # an index past the end pads with nulls; an index into an object is ignored
    assert values(bq("SELECT JSON_SET(JSON '{\"a\": 10}', '$.b.c[2]', 'foo', '$[1]', 20, "
                     "'$.b.c[0]', STRUCT(1 AS a, 'foo' AS b))")) == \
        [({"a": 10, "b": {"c": [{"a": 1, "b": "foo"}, None, "foo"]}},)]
    assert values(bq("SELECT JSON_SET(JSON '{\"a\": 10}', '$.a', 'foo', '$.b', 20, create_if_missing => FALSE)")) \
        == [({"a": "foo"},)]
    # a path through a scalar changes nothing; a JSON null on the way becomes an object
    assert values(bq("SELECT JSON_SET(JSON '{\"a\": 1, \"n\": null}', '$.a.b', 2, '$.n.x', 3)")) == \
        [({"a": 1, "n": {"x": 3}},)]


def test_json_remove_removes_each_path_and_ignores_null_and_missing_ones(bq):
    doc = "JSON '[{\"a\": [10]}, null, {\"b\": 20, \"c\": \"foo\"}]'"
    assert values(bq(f"SELECT JSON_REMOVE({doc}, '$[1]', '$[0].b', '$[0].a[0]', '$[4].b', '$[1].c'), "
                     f"JSON_REMOVE({doc}, NULL)")) == \
        [([{"a": []}, {"b": 20}], [{"a": [10]}, None, {"b": 20, "c": "foo"}])]
    with pytest.raises(duckdb.Error, match="cannot be '\\$'"):
        bq(f"SELECT JSON_REMOVE({doc}, '$')")


def test_json_array_insert_and_append_spread_arrays_unless_told_not_to(bq):
    doc = "JSON '{\"a\": [10, null]}'"
    assert values(bq(f"SELECT JSON_ARRAY_INSERT({doc}, '$.a[1]', 'foo', '$.a[0]', 20), "
                     f"JSON_ARRAY_INSERT({doc}, '$.a[1]', [true, false]), "
                     f"JSON_ARRAY_INSERT({doc}, '$.a[1]', [10], '$.a[1][5]', true, insert_each_element => FALSE)")) \
        == [({"a": [20, 10, "foo", None]}, {"a": [10, True, False, None]},
             {"a": [10, [10, None, None, None, None, True], None]})]
    assert values(bq(f"SELECT JSON_ARRAY_APPEND({doc}, '$.a', 'foo', '$.a', 20), "
                     f"JSON_ARRAY_APPEND({doc}, '$.a', [true, false]), "
                     f"JSON_ARRAY_APPEND({doc}, '$.a', [true], append_each_element => FALSE), "
                     "JSON_ARRAY_APPEND(JSON '{\"n\": null, \"s\": 1}', '$.n', 1, '$.s', 2)")) == \
        [({"a": [10, None, "foo", 20]}, {"a": [10, None, True, False]}, {"a": [10, None, [True]]},
          {"n": [1], "s": 1})]


def test_a_positional_argument_after_a_named_one_is_an_error():
    with pytest.raises(UnsupportedSqlError, match="named arguments must be specified last"):
        translate("SELECT JSON_ARRAY_APPEND(JSON '[]', '$', append_each_element => FALSE, 10)", "bigquery", "duckdb")


def test_json_strip_nulls_options(bq):
    assert values(bq("SELECT JSON_STRIP_NULLS(JSON '{\"a\": [null], \"b\": null, \"c\": {}}', include_arrays => FALSE), "
                     "JSON_STRIP_NULLS(JSON '{\"a\": [null], \"b\": {}}', remove_empty => TRUE), "
                     "JSON_STRIP_NULLS(JSON '{\"a\": [null], \"b\": {}}', include_arrays => FALSE, remove_empty => TRUE), "
                     "JSON_STRIP_NULLS(JSON '{\"a\": [null, [], {}], \"b\": {}, \"c\": null}', '$.a')")) == \
        [({"a": [None], "c": {}}, None, {"a": [None]}, {"a": [[], {}], "b": {}, "c": None})]


def test_json_keys_by_depth_and_mode(bq):
    assert bq("SELECT JSON_KEYS(JSON '{\"b\": {\"c\": 1}, \"a\": [{\"d\": 1}], \"x.y\": 0}'), "
              "JSON_KEYS(JSON '{\"a\": {\"b\": 1}}', 1), "
              "JSON_KEYS(JSON '[{\"a\": {\"b\": 1}}]', 1, mode => 'strict'), "
              "JSON_KEYS(JSON '[{\"a\": {\"b\": 1}}]', 1, mode => 'lax'), "
              "JSON_KEYS(JSON '[[{\"a\": 1}]]', mode => 'lax'), "
              "JSON_KEYS(JSON '[[{\"a\": 1}]]', mode => 'lax recursive')") == \
        [(["\"x.y\"", "a", "b", "b.c"], ["a"], [], ["a"], [], ["a"])]
    with pytest.raises(duckdb.Error, match="max_depth must be positive"):
        bq("SELECT JSON_KEYS(JSON '{}', 0)")
    with pytest.raises(duckdb.Error, match="Invalid JSON mode specified"):
        bq("SELECT JSON_KEYS(JSON '{}', mode => 'loose')")


def test_json_query_in_lax_mode_returns_every_match_as_an_array(bq):
    doc = "JSON '{\"a\": [{\"b\": 1}, [{\"b\": 2}], [[{\"b\": 3}]]]}'"
    assert values(bq(f"SELECT JSON_QUERY(JSON '{{\"a\": 1}}', 'lax $.a'), JSON_QUERY({doc}, 'lax $.a.b'), "
                     f"JSON_QUERY({doc}, 'lax recursive $.a.b'), JSON_QUERY({doc}, 'lax $.x')")) == \
        [([1], [1], [1, 2, 3], [])]


def test_json_value_arrays_are_null_unless_an_array_of_scalars_is_at_the_path(bq):
    assert bq("SELECT JSON_EXTRACT_STRING_ARRAY('{\"a\": {\"b\": \"bar\"}}', '$.a'), "
              "JSON_VALUE_ARRAY(JSON '{\"a\": [1, [2]]}', '$.a'), "
              "JSON_VALUE_ARRAY(JSON '{\"a\": [1, \"x\", null]}', '$.a')") == [(None, None, ["1", "x", None])]


def test_json_object_keeps_the_first_value_of_a_repeated_key(bq):
    assert bq("SELECT TO_JSON_STRING(JSON_OBJECT('c', 1, 'a', 2, 'c', 3))") == [('{"a":2,"c":1}',)]


def test_json_object_of_arrays_refuses_null_keys_and_arrays_of_other_lengths(bq):
    assert values(bq("SELECT JSON_OBJECT(['b', 'a', 'b'], [1, 2, 3]), SAFE.JSON_OBJECT(CAST(NULL AS ARRAY<STRING>), [1])")) \
        == [({"a": 2, "b": 1}, None)]
    with pytest.raises(duckdb.Error, match="The number of keys and values must match"):
        bq("SELECT JSON_OBJECT(['a', NULL], [10])")
    with pytest.raises(duckdb.Error, match="A key cannot be NULL"):
        bq("SELECT JSON_OBJECT(['a', NULL], [10, 20])")


def test_to_json_string_pretty_prints_one_member_a_line(bq):
    assert bq("SELECT TO_JSON_STRING(STRUCT(STRUCT([1, 2] AS c, ARRAY<INT64>[] AS e) AS b, 2.50 AS x), true), "
              "TO_JSON_STRING(STRUCT(1 AS a), false)") == \
        [('{\n  "b": {\n    "c": [\n      1,\n      2\n    ],\n    "e": []\n  },\n  "x": 2.5\n}', '{"a":1}')]
