"""BigQuery's window frames on DuckDB (BigQuery reference: "Window function calls", RANGE frames)."""

from __future__ import annotations

import duckdb
import pytest

INTS = {"ds.t": {"id": "INT64", "x": "INT64"}}


def test_range_frame_near_int64_limits_through_a_star_subquery(bq, duck):
    # BigQuery: a RANGE frame's bound past INT64's range reaches the partition's end, also when the key is a
    # column of a table read through SELECT * (its type is still known)
    duck.execute("CREATE SCHEMA ds; CREATE TABLE ds.t AS SELECT * FROM (VALUES (1, -9223372036854775807), (2, 5)) "
                 "AS v(id, x)")
    sql = """SELECT id, MIN(id) OVER w FROM (SELECT * FROM ds.t WHERE x IS NOT NULL)
             WINDOW w AS (ORDER BY x RANGE BETWEEN UNBOUNDED PRECEDING AND 2 PRECEDING) ORDER BY id"""
    assert bq(sql, INTS) == [(1, None), (2, 1)]


def test_an_infinite_range_offset_beside_an_infinite_key_is_an_error(bq):
    # BigQuery: -inf + inf has no value, so a +inf FOLLOWING offset over an ascending -inf key is an error
    values = "UNNEST([IEEE_DIVIDE(-1, 0), 1.0, 2.0]) AS x WITH OFFSET i"
    with pytest.raises(duckdb.Error, match="negative infinity order key for an offset FOLLOWING"):
        bq(f"SELECT MAX(i) OVER w FROM {values} WINDOW w AS "
           "(ORDER BY x RANGE BETWEEN CURRENT ROW AND IEEE_DIVIDE(1, 0) FOLLOWING)")
    rows = bq("SELECT x, MAX(i) OVER (ORDER BY x RANGE BETWEEN CURRENT ROW AND IEEE_DIVIDE(1, 0) FOLLOWING) "
              "FROM UNNEST([1.0, 2.0]) AS x WITH OFFSET i ORDER BY x")
    assert rows == [(1.0, 1), (2.0, 1)]
