"""BigQuery SQL through DOP's translation rules on a real PostgreSQL server: BigQuery's results, or an error."""

from __future__ import annotations

import datetime as dt

import pytest
from dop_postgres.engine import PostgresEngine
from dop_postgres.target import PostgresTarget

from dop_core import Target, UnsupportedSqlError


@pytest.fixture
def pg(pg_database: str):
    opts = PostgresTarget(dsn=pg_database)  # type: ignore[call-arg]
    with PostgresEngine(Target("pg", "postgres", {"dsn": pg_database}, typed_options=opts)) as engine:
        yield engine


def rows(engine: PostgresEngine, sql: str) -> list[tuple[object, ...]]:
    return engine.query(engine.translate(sql, "bigquery")).rows


def test_subquery_in_from_needs_no_alias(pg):
    assert rows(pg, "SELECT SUM(x) AS total FROM (SELECT 1 AS x UNION ALL SELECT 2)") == [(3,)]


def test_integer_literals_are_int64(pg):
    assert rows(pg, "SELECT 2147483647 + 1") == [(2147483648,)]


def test_corresponding_matches_columns_by_name(pg):
    assert sorted(rows(pg, "SELECT 1 AS a, 2 AS b FULL UNION ALL CORRESPONDING SELECT 3 AS c, 4 AS a"), key=str) == \
        sorted([(1, 2, None), (4, None, 3)], key=str)


def test_offset_and_ordinal_subscripts(pg):
    sql = "SELECT arr[OFFSET(i)], arr[SAFE_ORDINAL(i + 5)] FROM (SELECT ['a', 'b'] AS arr) AS t, UNNEST([0, 1]) AS i"
    assert sorted(rows(pg, sql)) == [("a", None), ("b", None)]


def test_ieee_divide_and_dates(pg):
    (inf, nan, day), = rows(pg, "SELECT IEEE_DIVIDE(1, 0), IEEE_DIVIDE(0, 0), DATE_FROM_UNIX_DATE(1)")
    assert inf == float("inf") and nan != nan and day == dt.date(1970, 1, 2)


def test_safe_prefix_is_refused_naming_it(pg):
    with pytest.raises(UnsupportedSqlError, match=r"SAFE\.") as caught:
        pg.translate("SELECT\n  SAFE.PARSE_DATE('%Y', 'x')", "bigquery")
    assert caught.value.line == 2


def test_statistics_and_avg_of_int64_are_float64(pg):
    # BigQuery: STDDEV/VARIANCE/CORR/COVAR_* and AVG of INT64 return FLOAT64 (PostgreSQL: NUMERIC)
    (stddev, corr, avg), = rows(pg, "SELECT STDDEV(x), CORR(x, x), AVG(x) FROM UNNEST([1, 2, 4]) AS x")
    (running,), *_ = rows(pg, "SELECT VAR_POP(x) OVER () FROM UNNEST([1, 2, 4]) AS x")
    assert all(isinstance(v, float) for v in (stddev, corr, avg, running))
    assert (round(stddev, 6), corr, round(avg, 6)) == (1.527525, 1.0, 2.333333)


def test_is_nan_is_inf_any_value_and_approx_count_distinct(pg):
    # BigQuery: IS_NAN/IS_INF test a FLOAT64; ANY_VALUE is one of the values; APPROX_COUNT_DISTINCT (exact here)
    sql = ("SELECT IS_NAN(IEEE_DIVIDE(0, 0)), IS_NAN(1.5), IS_INF(IEEE_DIVIDE(-1, 0)), IS_INF(1.5), "
           "ANY_VALUE(x) IN (1, 2), APPROX_COUNT_DISTINCT(x) FROM UNNEST([1, 2, 2]) AS x")
    assert rows(pg, sql) == [(True, False, True, False, True, 2)]


def test_split(pg):
    # BigQuery: SPLIT splits at ',' by default; '' is one empty part; an empty delimiter splits characters
    assert rows(pg, "SELECT SPLIT('a,b'), SPLIT('a-b', '-'), SPLIT('', ','), SPLIT('ab', ''), SPLIT('x', NULL)") == \
        [(["a", "b"], ["a", "b"], [""], ["a", "b"], None)]


def test_null_columns_are_int64(pg):
    # BigQuery: SELECT NULL is an INT64 column (PostgreSQL: text); padded by CORRESPONDING on both sides too
    assert rows(pg, "SELECT NULL AS x UNION ALL SELECT 5") == [(None,), (5,)]
    assert rows(pg, "SELECT x + 1 AS y FROM (SELECT NULL AS x)") == [(None,)]


def test_bigquery_errors_on_constant_arguments(pg):
    with pytest.raises(UnsupportedSqlError, match="Limit requires non-null"):
        pg.translate("SELECT 1 LIMIT NULL", "bigquery")


def test_float_literals_are_float64(pg):
    # BigQuery: 1.5 is a FLOAT64 (PostgreSQL: numeric); 0.1 + 0.2 is then not exactly 0.3
    assert rows(pg, "SELECT 0.1 + 0.2 = 0.3, SUM(x) FROM UNNEST([1.0, 3.2]) AS x") == [(False, 4.2)]


def test_interval_spans_leap_seconds_and_literal_casts(pg):
    # BigQuery: INTERVAL '-1 -2:3' DAY TO MINUTE is minus one day and minus 2:03; second 60 is the next
    # minute's start; a hexadecimal string casts to INT64; hour 24 is an error
    assert rows(pg, "SELECT DATETIME '2020-01-03 00:00:00' + INTERVAL '-1 -2:3' DAY TO MINUTE, TIME '23:59:60', "
                    "CAST('-0x100' AS INT64)") == [(dt.datetime(2020, 1, 1, 21, 57), dt.time(0), -256)]
    with pytest.raises(UnsupportedSqlError, match="Invalid time string"):
        pg.translate("SELECT CAST('24:00:00' AS TIME)", "bigquery")


def test_interval_text_is_refused(pg):
    # PostgreSQL writes '1 day' where BigQuery writes '0-0 1 0:0:0': refused rather than different
    for sql in ("SELECT CAST(INTERVAL 1 DAY AS STRING)", "SELECT CAST('1-2' AS INTERVAL)"):
        with pytest.raises(UnsupportedSqlError, match="INTERVAL as text"):
            pg.translate(sql, "bigquery")


def test_pipe_syntax_and_recursive_ctes(pg):
    # a pipe INTERSECT DISTINCT combines with the whole parenthesized query
    assert rows(pg, "(SELECT 2 AS x UNION ALL SELECT 2) |> INTERSECT DISTINCT (SELECT 2 UNION ALL SELECT 2)") == [(2,)]
    # WITH RECURSIVE may read a CTE defined after it; a recursive CTE may be written with pipes
    assert rows(pg, "WITH RECURSIVE r AS (SELECT a + 1 AS a FROM s), s AS (SELECT 2 AS a) SELECT a FROM r") == [(3,)]
    assert rows(pg, "WITH RECURSIVE t AS ((SELECT 1 AS n) |> UNION ALL (SELECT n + 1 FROM t WHERE n < 3)) "
                    "SELECT n FROM t ORDER BY n") == [(1,), (2,), (3,)]


def test_unnest_with_offset_counts_from_zero(pg):
    # BigQuery: WITH OFFSET numbers the elements from 0; "offset" is its default name (a reserved word in
    # PostgreSQL), and two UNNESTs with offsets may be joined
    assert rows(pg, "SELECT x, offset FROM UNNEST(['a', 'b']) AS x WITH OFFSET ORDER BY offset") == \
        [("a", 0), ("b", 1)]
    sql = ("SELECT t.k, x, o FROM (SELECT 1 AS k, [10, 20] AS a) AS t, UNNEST(t.a) AS x WITH OFFSET AS o "
           "JOIN UNNEST([7]) AS y WITH OFFSET AS p ON o = p")
    assert rows(pg, sql) == [(1, 10, 0)]


def test_pivot_is_aggregates_filtered_by_each_value(pg):
    # BigQuery: PIVOT groups by the input's other columns; a NULL pivot value takes the rows where the
    # column is NULL; columns are named _<integer>, NULL, or <aggregate alias>_<value alias>
    src = ("(SELECT 1 AS k, 100 AS y, 5 AS z UNION ALL SELECT 1, 100, 6 UNION ALL SELECT 1, NULL, 7 "
           "UNION ALL SELECT 2, 101, 8)")
    result = pg.query(pg.translate(f"SELECT * FROM {src} PIVOT(SUM(z) FOR y IN (100, NULL)) ORDER BY k",
                                   "bigquery"))
    assert [c.lower() for c in result.columns] == ["k", "_100", "null"]
    assert result.rows == [(1, 11, 7), (2, None, None)]
    sql = f"SELECT n_b FROM {src.replace('SELECT *', 'SELECT y, z')} PIVOT(COUNT(*) AS n FOR y IN (101 AS b))"
    assert sorted(rows(pg, sql)) == [(0,), (0,), (0,), (1,)]


def test_column_names_are_case_insensitive(pg):
    # BigQuery: distinct_4b reads the column distinct_4B (a seed's header kept its capitals)
    pg.execute('CREATE TABLE public.cased ("Distinct_4B" bigint, k bigint)')
    pg.execute("INSERT INTO public.cased VALUES (1, 1), (1, 2), (2, 3)")
    sql = "SELECT distinct_4b, COUNT(*) AS n FROM public.cased GROUP BY DISTINCT_4B ORDER BY distinct_4B"
    assert rows(pg, sql) == [(1, 2), (2, 1)]


def test_array_agg_and_string_agg_modifiers(pg):
    # BigQuery: IGNORE NULLS leaves NULLs out, RESPECT NULLS keeps them, LIMIT keeps the first n after the
    # ordering; no element left gives NULL
    sql = ("SELECT ARRAY_AGG(x IGNORE NULLS ORDER BY x DESC LIMIT 2), ARRAY_AGG(x RESPECT NULLS ORDER BY x), "
           "ARRAY_AGG(x ORDER BY x LIMIT 0), STRING_AGG(s, '-' ORDER BY s LIMIT 2), STRING_AGG(s LIMIT 0) "
           "FROM UNNEST([1, NULL, 3, 2]) AS x JOIN UNNEST(['a', 'b']) AS s ON x = 1 OR x IS NULL")
    assert rows(pg, sql) == [([1, 1], [None, None, 1, 1], None, "a-a", None)]


def test_array_literal_keeps_every_element_after_a_scalar_subquery(pg):
    # BigQuery: [(SELECT 'a'), 'b'] has two elements (sqlglot wrote ARRAY((SELECT 'a')) on PostgreSQL)
    assert rows(pg, "SELECT [(SELECT 'a'), 'b'], ARRAY_LENGTH([(SELECT 1 FROM UNNEST([2]) AS x WHERE x > 5)])") == \
        [(["a", "b"], 1)]


def test_quantified_like_over_arrays_and_lists(pg):
    # BigQuery: LIKE ANY/ALL with NULLs as in OR/AND; NOT LIKE ANY is TRUE when one pattern does not match;
    # over UNNEST an empty or NULL array gives FALSE for ANY and TRUE for ALL
    sql = ("SELECT 'abc' LIKE ANY ('x%', 'a%'), 'abc' LIKE ALL ('a%', NULL), 'abc' NOT LIKE ANY UNNEST(['a%', 'b%']), "
           "'abc' LIKE ANY UNNEST(CAST(NULL AS ARRAY<STRING>)), 'abc' LIKE ALL UNNEST(CAST(NULL AS ARRAY<STRING>)), "
           "'abc' LIKE ANY UNNEST(['x%', NULL])")
    assert rows(pg, sql) == [(True, None, True, False, True, None)]


def test_empty_array_literals_are_typed(pg):
    # BigQuery: [] takes its type from where it is used, and is ARRAY<INT64> alone
    assert rows(pg, "SELECT ARRAY_CONCAT(['a'], []), IF(1 > 0, [], ['x']), ARRAY_LENGTH([])") == [(["a"], [], 0)]
    assert rows(pg, "SELECT x FROM UNNEST([]) AS x") == []


def test_array_equality_with_null_elements(pg):
    # BigQuery: arrays are equal when lengths and elements are; a NULL pair (and no differing one) gives NULL
    sql = ("SELECT [] = [], [1, 2] = [1, 2], [1, 2] = [1, 2, 3], [1, NULL, 3] = [1, 2, 3], [1, NULL, 2] = [1, 2, 3], "
           "[1, NULL] = [1, NULL], [1, 2] != [1, 3], [] = CAST(NULL AS ARRAY<INT64>)")
    assert rows(pg, sql) == [(True, True, False, None, False, None, True, None)]


def test_array_concat_agg_from_the_library(pg):
    # BigQuery: the arrays concatenated in the ORDER BY's order, NULL arrays left out; NULL over no rows
    sql = ("SELECT ARRAY_CONCAT_AGG(a ORDER BY k DESC), ARRAY_CONCAT_AGG(IF(k > 5, a, NULL)) "
           "FROM (SELECT 1 AS k, [1, 2] AS a UNION ALL SELECT 2, [3] UNION ALL SELECT 3, NULL)")
    assert rows(pg, sql) == [([3, 1, 2], None)]
    assert rows(pg, "SELECT ARRAY_CONCAT_AGG(a) OVER (ORDER BY k) FROM (SELECT 1 AS k, [1] AS a UNION ALL "
                    "SELECT 2, [2]) ORDER BY k") == [([1],), ([1, 2],)]


def test_bytes_case_casts_and_lengths(pg):
    # BigQuery: UPPER/LOWER of BYTES change ASCII letters only; CAST between BYTES and STRING is UTF-8;
    # BYTE_LENGTH counts bytes of either
    sql = (r"SELECT UPPER(b'ab\xff'), LOWER(b'AB'), LENGTH(CAST(b'\xe2\x82\xac' AS STRING)), "
           r"CAST('a\\b' AS BYTES), BYTE_LENGTH('€'), BYTE_LENGTH(b'ab')")
    assert rows(pg, sql) == [(b"AB\xff", b"ab", 1, b"a\\b", 3, 2)]


def test_substr_positions(pg):
    # BigQuery: position 0 is 1, a negative one counts from the end (before the start: from the start)
    sql = "SELECT SUBSTR('abc', 0, 1), SUBSTR('abc', -2), SUBSTR('abc', -5, 2), SUBSTR(b'abc', -1), SUBSTR('abc', 2, 1)"
    assert rows(pg, sql) == [("a", "bc", "ab", b"c", "b")]


def test_distinct_aggregates_over_a_partition(pg):
    # BigQuery: COUNT(DISTINCT x) OVER (PARTITION BY p) counts the partition's distinct non-NULL values
    # (SUM/AVG likewise, of the distinct values, with BigQuery's result types)
    sql = ("SELECT p, COUNT(DISTINCT x) OVER (PARTITION BY p), MAX(DISTINCT x) OVER (PARTITION BY p), "
           "SUM(DISTINCT x) OVER (PARTITION BY p), AVG(DISTINCT x) OVER (PARTITION BY p) FROM (SELECT 1 AS p, "
           "5 AS x UNION ALL SELECT 1, 5 UNION ALL SELECT 1, NULL UNION ALL SELECT 1, 6 UNION ALL SELECT 2, 7) "
           "ORDER BY p")
    assert rows(pg, sql) == [(1, 2, 6, 11, 5.5)] * 4 + [(2, 1, 7, 7, 7.0)]


def test_percentile_cont_over_a_partition(pg):
    # BigQuery: NaN sorts before every number; NULLs are left out, or with RESPECT NULLS sorted first (a
    # percentile among them is NULL); the values around p * (n - 1) are interpolated
    sql = ("SELECT PERCENTILE_CONT(x, 0.5) OVER (), PERCENTILE_CONT(x, 0) OVER (), "
           "PERCENTILE_CONT(x, 0.25 RESPECT NULLS) OVER (), PERCENTILE_CONT(x, 1 RESPECT NULLS) OVER () "
           "FROM UNNEST([1.0, 3.0, NULL, 2.0]) AS x LIMIT 1")
    assert rows(pg, sql) == [(2.0, 1.0, 1.0, 3.0)]  # (0.25 * 3 falls between the NULL and 1.0: 1.0)
    (nan_first,), = rows(pg, "SELECT PERCENTILE_CONT(x, 0) OVER () FROM UNNEST([1.0, CAST('nan' AS FLOAT64)]) AS x "
                             "LIMIT 1")
    assert nan_first != nan_first


def test_select_aliases_in_having(pg):
    # BigQuery: HAVING may name a SELECT item by its alias
    sql = ("SELECT k, SUM(x) AS total FROM (SELECT 1 AS k, 5 AS x UNION ALL SELECT 1, 6 UNION ALL SELECT 2, 1) "
           "GROUP BY k HAVING total > 2")
    assert rows(pg, sql) == [(1, 11)]


def test_min_and_max_of_bool_and_bytes(pg):
    # BigQuery: MIN/MAX of BOOL (FALSE < TRUE) and of BYTES (byte-wise), also over a window; NULLs left out
    sql = ("SELECT MIN(b), MAX(b), MIN(y), MAX(y) FROM (SELECT true AS b, b'\\x01a' AS y "
           "UNION ALL SELECT false, b'\\x00zz' UNION ALL SELECT NULL, NULL)")
    assert rows(pg, sql) == [(False, True, b"\x00zz", b"\x01a")]
    assert rows(pg, "SELECT MAX(y) OVER () FROM (SELECT b'a' AS y UNION ALL SELECT b'b') LIMIT 1") == [(b"b",)]
