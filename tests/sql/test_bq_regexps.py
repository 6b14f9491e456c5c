"""BigQuery's regular expression functions on DuckDB (BigQuery reference: "String functions" REGEXP_CONTAINS,
REGEXP_EXTRACT, REGEXP_EXTRACT_ALL, REGEXP_INSTR, REGEXP_REPLACE; they take STRING or BYTES)."""

from __future__ import annotations

import pytest


def test_regexp_functions_on_bytes(bq):
    assert bq("SELECT REGEXP_CONTAINS(b'abc', b'b.'), REGEXP_EXTRACT(b'abcabc', b'[a|d]b?'), "
              "REGEXP_EXTRACT(b'abcabc', b'%#ab'), REGEXP_EXTRACT_ALL(b'banana', b'a(n)a'), "
              "REGEXP_EXTRACT_ALL(b'abc', b''), REGEXP_REPLACE(b'abcabc', b'', b'x'), "
              "REGEXP_INSTR(b'\\xd1\\x89\\xd1\\x86\\xd1\\x84\\xd1\\x89\\xd1\\x84', b'\\xd1\\x89(.).', 1, 2)") == \
        [(True, b"ab", None, [b"n"], [b"", b"", b""], b"xaxbxcxaxbxcx", 9)]
    assert bq("SELECT REGEXP_EXTRACT(CAST(NULL AS BYTES), b'a'), REGEXP_EXTRACT_ALL(b'a', NULL)") == [(None, None)]


def test_regexp_instr_counts_as_bigquery(bq):
    # BigQuery: the position of the capturing group; occurrence_position 1 is the position after the match;
    # an empty pattern gives 0; characters count in a STRING
    assert bq("SELECT REGEXP_INSTR('abcabc', 'a(b)c', 2, 1, 1), REGEXP_INSTR('щцфщфф', 'щ(.).', 1, 2), "
              "REGEXP_INSTR('-2020-jack-class1', '', 2), REGEXP_INSTR('abcdef', 'ac.*e.'), "
              "REGEXP_INSTR('ab@cd-ef', '[a-z]+', 3, 2), SAFE.REGEXP_INSTR('abc', 'b', 0)") == \
        [(6, 5, 0, 0, 7, None)]
    with pytest.raises(Exception, match="Invalid position argument"):
        bq("SELECT REGEXP_INSTR('abc', 'b', 0)")


def test_regexp_match_matches_the_whole_value(bq):
    assert bq("SELECT REGEXP_MATCH('abc', 'a.c'), REGEXP_MATCH('abc', 'b'), REGEXP_MATCH(b'abc', b''), "
              "REGEXP_MATCH(b'abc', b'.*')") == [(True, False, False, True)]
