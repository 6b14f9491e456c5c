"""BigQuery's set operations by name, date types, and what DOP refuses (BigQuery reference: "Query syntax")."""

from __future__ import annotations

import datetime as dt

import pytest

from dop_core.sql import UnsupportedSqlError
from dop_core.sql.dialects import translate


def test_full_corresponding_matches_columns_by_name_and_pads_with_null(bq):
    rows = bq("SELECT 1 AS a, 2 AS b FULL UNION ALL CORRESPONDING SELECT 3 AS c, 4 AS a")
    assert sorted(rows, key=str) == sorted([(1, 2, None), (4, None, 3)], key=str)


def test_inner_left_and_strict_corresponding(bq):
    assert bq("SELECT 1 AS a, 2 AS b UNION ALL CORRESPONDING SELECT 3 AS b ORDER BY b") == [(2,), (3,)]
    assert bq("SELECT 1 AS a, 2 AS b LEFT UNION ALL CORRESPONDING SELECT 3 AS b ORDER BY b") == [(1, 2), (None, 3)]
    assert bq("SELECT 1 AS a, 2 AS b UNION ALL BY NAME SELECT 3 AS b, 4 AS a ORDER BY a") == [(1, 2), (4, 3)]
    assert bq("SELECT 1 AS a, 2 AS b INTERSECT DISTINCT CORRESPONDING BY (b) SELECT 2 AS b") == [(2,)]


def test_strict_corresponding_with_different_names_is_an_error():
    with pytest.raises(UnsupportedSqlError, match="same column names"):
        translate("SELECT 1 AS a UNION ALL STRICT CORRESPONDING SELECT 2 AS b", "bigquery", "duckdb")


def test_corresponding_over_select_star_is_refused_at_its_line():
    sql = "SELECT 1 AS a\nUNION ALL CORRESPONDING\nSELECT * FROM t"
    with pytest.raises(UnsupportedSqlError) as caught:
        translate(sql, "bigquery", "duckdb")
    assert caught.value.line == 2 and "SELECT *" in str(caught.value)


def test_date_from_unix_date_and_date_add_return_dates(bq, bq_types):
    assert bq("SELECT DATE_FROM_UNIX_DATE(1)") == [(dt.date(1970, 1, 2),)]
    assert bq_types("SELECT DATE_FROM_UNIX_DATE(1), DATE_ADD(DATE '2024-01-31', INTERVAL 1 MONTH)") == ["DATE", "DATE"]


def test_what_the_engine_cannot_express_is_an_error_naming_it_and_its_line():
    # the engines have no lax JSONPath mode (they would return NULL): DOP refuses instead
    sql = "SELECT\n  JSON_VALUE(j, 'lax $.a')\nFROM t"
    with pytest.raises(UnsupportedSqlError) as caught:
        translate(sql, "bigquery", "duckdb")
    assert caught.value.line == 2 and "lax" in str(caught.value)


def test_pivot_output_columns_have_bigquery_names(duck):
    duck.execute("CREATE TABLE sales AS SELECT 1 AS shop, 100 AS product, 5 AS amount "
                 "UNION ALL SELECT 1, 101, 7")

    def columns(sql: str) -> list[str]:
        return [d[0] for d in duck.execute(translate(sql, "bigquery", "duckdb", True)).description]

    # BigQuery: an integer pivot value 100 names its column _100; an aggregate alias s gives s_100
    assert columns("SELECT * FROM sales PIVOT(SUM(amount) FOR product IN (100, 101))") == ["shop", "_100", "_101"]
    assert columns("SELECT * FROM sales PIVOT(SUM(amount) AS s, COUNT(*) AS n FOR product IN (100, 101 AS b))") \
        == ["shop", "s_100", "n_100", "s_b", "n_b"]
    assert columns("SELECT shop, s_100 FROM sales PIVOT(SUM(amount) AS s FOR product IN (100))") == ["shop", "s_100"]


def test_interval_year_to_second_literal(bq):
    # BigQuery: INTERVAL '1-1 1 1:1:1' YEAR TO SECOND is 1 year 1 month, 1 day and 01:01:01
    assert bq("SELECT DATETIME '1970-01-02 03:04:05' + INTERVAL '1-1 1 1:1:1' YEAR TO SECOND") == \
        [(dt.datetime(1971, 2, 3, 4, 5, 6),)]
    assert bq("SELECT DATETIME '1970-01-02 03:04:05' + INTERVAL '1 2' DAY TO HOUR") == \
        [(dt.datetime(1970, 1, 3, 5, 4, 5),)]


def test_a_field_access_names_its_column(duck):
    # BigQuery: SELECT (expression).field is a column named field
    from dop_core.sql.dialects import translate

    sql = "SELECT (SELECT t FROM (SELECT 3 AS a, 5 AS b) AS t).b, [STRUCT('x' AS v)][OFFSET(0)].v"
    result = duck.execute(translate(sql, "bigquery", "duckdb", True))
    assert [d[0] for d in result.description] == ["b", "v"] and result.fetchall() == [(5, "x")]


def test_a_value_table_of_structs_read_as_a_table_has_the_fields_as_columns(duck):
    # BigQuery: the result of SELECT AS STRUCT written as a table, or read from a CTE or FROM subquery,
    # has the struct's fields as columns; as an expression it is one struct value
    def result(sql: str) -> tuple[list[str], list[tuple]]:
        cursor = duck.execute(translate(sql, "bigquery", "duckdb", True))
        return [d[0] for d in cursor.description], cursor.fetchall()

    assert result("SELECT AS STRUCT 1 AS a, 'x' AS b UNION ALL SELECT AS STRUCT 2, 'y'") == \
        (["a", "b"], [(1, "x"), (2, "y")])
    assert result("WITH v AS (SELECT AS STRUCT 1 AS a, 'x' AS b) SELECT * FROM v") == (["a", "b"], [(1, "x")])
    assert result("SELECT t.b FROM (SELECT AS STRUCT 1 AS a, 'x' AS b) AS t") == (["b"], [("x",)])
    assert result("SELECT (SELECT AS STRUCT 1 AS a, 'x' AS b).b AS b") == (["b"], [("x",)])


def test_a_column_null_in_every_branch_is_int64(duck):
    # BigQuery: the NULL literal is an INT64; a table written from SELECT NULL AS x has an INT64 column
    duck.execute(translate("CREATE TABLE t AS SELECT NULL AS x, NULL AS y UNION ALL SELECT NULL, 'a'",
                           "bigquery", "duckdb", True))
    duck.execute(translate("CREATE TABLE u AS WITH c AS (SELECT COALESCE(NULL) AS z) SELECT z FROM c",
                           "bigquery", "duckdb", True))
    assert duck.execute("SELECT table_name, column_name, data_type FROM information_schema.columns "
                        "ORDER BY table_name, ordinal_position").fetchall() == \
        [("t", "x", "BIGINT"), ("t", "y", "VARCHAR"), ("u", "z", "BIGINT")]


def test_unpivot_puts_the_value_columns_before_the_name_column(duck):
    from dop_core.sql.dialects import translate

    animals = "(SELECT 2000 AS year, 10 AS dogs, 12 AS cats)"
    result = duck.execute(translate(f"SELECT * FROM {animals} UNPIVOT (cnt FOR animal IN (dogs, cats)) "
                                    "ORDER BY cnt", "bigquery", "duckdb"))
    assert [d[0] for d in result.description] == ["year", "cnt", "animal"]
    assert result.fetchall() == [(2000, 10, "dogs"), (2000, 12, "cats")]
    aliased = translate(f"SELECT u.animal FROM {animals} UNPIVOT (cnt FOR animal IN (dogs, cats)) AS u "
                        "ORDER BY u.cnt", "bigquery", "duckdb")
    assert duck.execute(aliased).fetchall() == [("dogs",), ("cats",)]
