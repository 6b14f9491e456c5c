"""BigQuery's ordering of FLOAT64 values on DuckDB (BigQuery reference: "Data types", orderable types:
NULL, then NaN, then -inf ... +inf ascending)."""

from __future__ import annotations

import pytest

FLOATS = {"ds.t": {"x": "FLOAT64"}}


@pytest.fixture
def floats(duck):
    duck.execute("CREATE SCHEMA ds; CREATE TABLE ds.t AS SELECT unnest([1.0, 'nan'::DOUBLE, NULL, '-inf'::DOUBLE]) AS x")


def _show(rows):
    return [tuple("nan" if isinstance(v, float) and v != v else v for v in row) for row in rows]


def test_nan_sorts_after_null_and_before_numbers(bq, floats):
    assert _show(bq("SELECT x FROM ds.t ORDER BY x", FLOATS)) == [(None,), ("nan",), (float("-inf"),), (1.0,)]
    assert _show(bq("SELECT x AS y FROM ds.t ORDER BY 1 DESC", FLOATS)) == [(1.0,), (float("-inf"),), ("nan",), (None,)]
    assert _show(bq("SELECT x * 2 AS y FROM ds.t ORDER BY y DESC", FLOATS)) == \
        [(2.0,), (float("-inf"),), ("nan",), (None,)]


def test_nan_order_in_windows_aggregates_and_set_operations(bq, floats):
    values = bq("SELECT ARRAY_AGG(x ORDER BY x) FROM ds.t", FLOATS)[0][0]
    assert _show([values]) == [(None, "nan", float("-inf"), 1.0)]
    rows = bq("SELECT x, ROW_NUMBER() OVER (ORDER BY x DESC) FROM ds.t ORDER BY 2", FLOATS)
    assert _show(rows) == [(1.0, 1), (float("-inf"), 2), ("nan", 3), (None, 4)]
    rows = bq("SELECT x FROM ds.t UNION ALL SELECT 2.5 ORDER BY 1", FLOATS)
    assert _show(rows) == [(None,), ("nan",), (float("-inf"),), (1.0,), (2.5,)]


def test_nan_compares_false_and_makes_min_nan(bq, floats):
    # BigQuery: comparisons with NaN are FALSE except !=; MIN and MAX of values including NaN are NaN
    assert bq("SELECT COUNT(*) FROM ds.t WHERE x > 0", FLOATS) == [(1,)]
    assert bq("SELECT COUNT(*) FROM ds.t WHERE x = x", FLOATS) == [(2,)]
    assert bq("SELECT COUNT(*) FROM ds.t WHERE x != 1", FLOATS) == [(2,)]
    assert _show(bq("SELECT MIN(x), MAX(x) FROM ds.t", FLOATS)) == [("nan", "nan")]
    assert bq("SELECT MIN(x), MAX(x) FROM ds.t WHERE NOT IS_NAN(x)", FLOATS) == [(float("-inf"), 1.0)]


def test_nan_order_in_an_array_subquery_read_by_unnest(bq, floats):
    rows = bq("SELECT * FROM UNNEST(ARRAY(SELECT x FROM ds.t ORDER BY x)) AS v WITH OFFSET pos ORDER BY pos", FLOATS)
    assert _show(rows) == [(None, 0), ("nan", 1), (float("-inf"), 2), (1.0, 3)]
