"""BigQuery's string and bytes functions on DuckDB (BigQuery reference: "String functions")."""

from __future__ import annotations

import decimal

import duckdb
import pytest


def test_substr_positions_count_from_one_and_from_the_end(bq):
    # BigQuery: position 0 is treated as 1; a negative position counts from the end; before the start is the start
    assert bq("SELECT SUBSTR('abc', 0, 1), SUBSTR('abc', -2), SUBSTR('abc', -5, 2), SUBSTR('abc', 4), "
              "SUBSTR('héllo', 2, 2)") == [("a", "bc", "ab", "", "él")]


@pytest.mark.parametrize(("sql", "message"), [
    ("SELECT SUBSTR('abc', 1, -1)", "Third argument in SUBSTR"),
    ("SELECT LEFT('abc', -1)", "Second argument in LEFT"),
    ("SELECT RIGHT('abc', -1)", "Second argument in RIGHT"),
    ("SELECT LPAD('abc', -1)", "LPAD/RPAD cannot be negative"),
    ("SELECT REPEAT('abc', -1)", "REPEAT cannot be negative"),
    ("SELECT TRANSLATE('apple', 'pp', 'xy')", "Duplicate character"),
    ("SELECT INSTR('abc', 'b', 0)", "Position must be non-zero"),
])
def test_bigquery_errors_for_invalid_arguments(bq, sql, message):
    with pytest.raises(duckdb.Error, match=message):
        bq(sql)


def test_safe_prefix_returns_null_for_those_errors(bq):
    assert bq("SELECT SAFE.LEFT('apple', -1), SAFE.TRANSLATE('apple', 'pp', 'xy'), SAFE.ASCII('é')") == \
        [(None, None, None)]


def test_padding_cuts_or_repeats_the_pattern(bq):
    # BigQuery: LPAD('hello world', 7) is 'hello w'; the pattern repeats and is cut
    assert bq("SELECT LPAD('hello world', 7), LPAD('abc', 8, 'xy'), RPAD('abc', 6, 'xy'), LPAD('例子', 4)") == \
        [("hello w", "xyxyxabc", "abcxyx", "  例子")]


def test_instr_with_position_and_occurrence(bq):
    # BigQuery: INSTR(source, search, position, occurrence); a negative position searches backwards
    assert bq("SELECT INSTR('banana', 'an'), INSTR('banana', 'an', 1, 2), INSTR('banana', 'an', -1), "
              "INSTR('banana', 'an', -3, 2), INSTR('banana', 'x'), STRPOS('banana', 'na')") == [(2, 4, 4, 2, 0, 3)]


def test_ascii_unicode_and_split_of_empty_strings(bq):
    assert bq("SELECT ASCII(''), UNICODE(''), UNICODE('é'), SPLIT('', ''), SPLIT('a,b'), SPLIT('ab', '')") == \
        [(0, 0, 233, [""], ["a", "b"], ["a", "b"])]


def test_byte_length_of_a_string_counts_utf8_bytes(bq):
    assert bq("SELECT BYTE_LENGTH('é'), OCTET_LENGTH('abc'), LENGTH('é')") == [(2, 3, 1)]


def test_bytes_functions_work_byte_by_byte(bq):
    # BigQuery: UPPER/LOWER of BYTES change ASCII letters only; positions and lengths count bytes
    rows = bq(r"""SELECT UPPER(b'a\xe2'), LOWER(b'A\xc3'), SUBSTR(b'\xe2\x82\xac', 2, 1), SUBSTR(b'abc', 0, 1),
                         LEFT(b'abc', 2), RIGHT(b'abc', 2), REVERSE(b'ab'), STRPOS(b'\xe2\x82\xac', b'\x82'),
                         INSTR(b'\xe2\x82\x82', b'\x82', 1, 2), ASCII(b'a'), STARTS_WITH(b'ab', b'a'),
                         ENDS_WITH(NULL, b'a'), TRIM(b' a ', b' '), RTRIM(b'ab ', b' '), REPLACE(b'aba', b'a', b'c'),
                         TRANSLATE(b'ab', b'a', b'x'), SPLIT(b'a,b', b','), LPAD(b'a', 3, b'-'), REPEAT(b'ab', 2)""")
    assert rows == [(b"A\xe2", b"a\xc3", b"\x82", b"a", b"ab", b"bc", b"ba", 2, 3, 97, True, None, b"a", b"ab",
                     b"cbc", b"xb", [b"a", b"b"], b"--a", b"abab")]


def test_bytes_of_a_table_column_use_the_warehouse_types(bq, duck):
    duck.execute("CREATE TABLE t (b BLOB)")
    duck.execute("INSERT INTO t VALUES ('abc'::BLOB)")
    assert bq("SELECT UPPER(b), SUBSTR(b, 2) FROM t", tables={"t": {"b": "BYTES"}}) == [(b"ABC", b"bc")]


def test_like_escapes_with_a_backslash_and_works_on_bytes(bq):
    # BigQuery: a backslash escapes %, _ and itself in LIKE patterns
    assert bq(r"SELECT 'a%' LIKE 'a\\%', 'ab' LIKE 'a\\%', b'a_c' LIKE b'a\\_c', b'abc' LIKE b'a%'") == \
        [(True, False, True, True)]


def test_string_agg_of_bytes(bq):
    rows = bq("SELECT STRING_AGG(x, b'-' ORDER BY x), STRING_AGG(x) FROM UNNEST([b'b', NULL, b'a']) AS x")
    assert rows == [(b"a-b", b"b,a")]
    assert bq("SELECT STRING_AGG(x) OVER (ORDER BY x) FROM UNNEST([b'a', b'b']) AS x") == [(b"a",), (b"a,b",)]


def test_casts_between_string_and_bytes_are_utf8(bq):
    # BigQuery: CAST(STRING AS BYTES) is its UTF-8 bytes; invalid UTF-8 bytes fail to cast, SAFE_CAST gives NULL
    assert bq("SELECT CAST('é' AS BYTES), CAST(b'\\xc3\\xa9' AS STRING)") == [(b"\xc3\xa9", "é")]
    assert bq("SELECT SAFE_CAST(b'\\xff' AS STRING)") == [(None,)]
    with pytest.raises(duckdb.Error):
        bq("SELECT CAST(b'\\xff' AS STRING)")


def test_quantified_like_over_lists_and_arrays(bq):
    # BigQuery: LIKE ANY is an OR of LIKEs, LIKE ALL an AND (NULLs as in OR/AND); over UNNEST(array) an empty
    # or NULL array is FALSE for ANY and TRUE for ALL; NOT LIKE ANY is TRUE when one pattern does not match
    assert bq("SELECT 'abc' NOT LIKE ANY UNNEST(['abc', NULL]), 'abc' NOT LIKE ANY UNNEST(['abc', '%z%']), "
              "'abc' LIKE ANY UNNEST(CAST(NULL AS ARRAY<STRING>)), 'abc' LIKE ANY UNNEST(ARRAY<STRING>[]), "
              "'abc' LIKE ANY UNNEST([NULL, 'x', 'a%'])") == [(None, True, False, False, True)]
    rows = bq("SELECT v, v LIKE ANY UNNEST(['V%', NULL]) FROM UNNEST(['Value1', 'x']) AS v ORDER BY v")
    assert rows == [("Value1", True), ("x", None)]
    assert bq("SELECT b'abc' LIKE ALL (b'a%', b'%c'), b'abc' NOT LIKE ALL (b'a%', b'x'), "
              "b'abc' LIKE ANY UNNEST([b'x', b'%b%'])") == [(True, False, True)]


def test_parse_numeric_and_safe_convert_bytes_to_string(bq):
    # BigQuery: PARSE_NUMERIC allows spaces around the number and after the sign, rounds half away from zero
    # to 9 decimals, and fails on anything else; SAFE_CONVERT_BYTES_TO_STRING replaces invalid UTF-8 by U+FFFD
    assert bq(r"SELECT PARSE_NUMERIC('  -  12.34 '), PARSE_NUMERIC('1.0000000005'), SAFE.PARSE_NUMERIC(' - 1 2.34 '), "
              r"SAFE.PARSE_NUMERIC('1e100'), SAFE_CONVERT_BYTES_TO_STRING(b'\xe2\x28\xa1')") == \
        [(decimal.Decimal("-12.34"), decimal.Decimal("1.000000001"), None, None, "\ufffd(\ufffd")]


def test_split_substr_and_split_with_a_null_delimiter(bq):
    # BigQuery: SPLIT_SUBSTR(value, delimiter, start[, count]) joins count parts from part start (0 counts as
    # 1, negative from the end); past the end ''; SPLIT with a NULL delimiter is NULL
    assert bq("SELECT SPLIT_SUBSTR('www.abc.com', '.', 2), SPLIT_SUBSTR('www.abc.com', '.', 0, 2), "
              "SPLIT_SUBSTR('www.abc.com', '.', -2, 1), SPLIT_SUBSTR('www.abc.com', '.', 5), "
              "SPLIT_SUBSTR('###a###b', '##', 1, 2), SPLIT_SUBSTR('x', '.', 1, NULL), SPLIT('x', NULL)") == \
        [("abc.com", "www.abc", "abc", "", "###a", None, None)]


def test_concat_of_other_types_joins_their_string_casts(bq, bq_types):
    # BigQuery: CONCAT casts each non-STRING argument to STRING; the result is a STRING, one argument too
    assert bq("SELECT CONCAT(DATE '2020-10-10'), CONCAT('n=', NUMERIC '1.50', '/', 2)") == [("2020-10-10", "n=1.5/2")]
    assert bq_types("SELECT CONCAT(DATE '2020-10-10')") == ["VARCHAR"]


def test_numeric_as_string_is_its_shortest_text(bq):
    # BigQuery: CAST(NUMERIC '1.50' AS STRING) is '1.5'; zero is '0'; an integral value has no point
    assert bq("SELECT CAST(NUMERIC '1.50' AS STRING), CAST(NUMERIC '-0' AS STRING), CAST(NUMERIC '100' AS STRING), "
              "SAFE_CAST(BIGNUMERIC '2.25' AS STRING)") == [("1.5", "0", "100", "2.25")]
