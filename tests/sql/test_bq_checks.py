"""Errors BigQuery raises on constant arguments where the engines return a result (BigQuery reference:
"Window function calls", "Navigation functions", "Numbering functions", "LIMIT and OFFSET clause",
"Operators"): DOP refuses the SQL with BigQuery's message and the construct's line."""

from __future__ import annotations

import pytest

from dop_core.sql import UnsupportedSqlError
from dop_core.sql.dialects import translate


def refused(sql: str) -> UnsupportedSqlError:
    with pytest.raises(UnsupportedSqlError) as caught:
        translate(sql, "bigquery", "duckdb")
    return caught.value


@pytest.mark.parametrize(("sql", "message"), [
    ("SELECT LAG(x, -1) OVER (ORDER BY x) FROM t", "offset to the function LAG must not be negative"),
    ("SELECT LEAD(x, CAST(NULL AS INT64)) OVER (ORDER BY x) FROM t", "offset to the function LEAD must not be null"),
    ("SELECT LAG(x, 1, y) OVER (ORDER BY x) FROM t", "default expression) to LAG must be constant"),
    ("SELECT NTH_VALUE(x, 0) OVER (ORDER BY x) FROM t", "N value for the NTH_VALUE function must be positive"),
    ("SELECT NTILE(NULL) OVER (ORDER BY x) FROM t", "N value for the NTILE function must be positive"),
    ("SELECT ROW_NUMBER() OVER (ORDER BY x ROWS 1 PRECEDING) FROM t", "not allowed for analytic function row_number"),
    ("SELECT LAG(x) OVER w FROM t WINDOW w AS (ORDER BY x ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING)",
     "not allowed for analytic function lag"),
    ("SELECT SUM(x) OVER (ORDER BY x RANGE BETWEEN CAST(NULL AS INT64) PRECEDING AND CURRENT ROW) FROM t",
     "must be non-negative and not NULL, but was NULL"),
    ("SELECT SUM(x) OVER (ORDER BY x ROWS BETWEEN -1 PRECEDING AND CURRENT ROW) FROM t", "but was -1"),
    ("SELECT SUM(x) OVER (ORDER BY y RANGE BETWEEN IEEE_DIVIDE(0, 0) FOLLOWING AND 2 FOLLOWING) FROM t",
     "but was nan"),
    ("SELECT x FROM t LIMIT CAST(NULL AS INT64)", "Limit requires non-null"),
    ("SELECT x FROM t LIMIT 1 OFFSET NULL", "Limit requires non-null"),
    ("SELECT STRING_AGG(s, CAST(NULL AS STRING)) FROM t", "Illegal NULL separator in STRING_AGG"),
    ("SELECT 1 + NULL", "Operands of + cannot be literal NULL"),
    ("SELECT NOT NOT NULL", "Operands of NOT cannot be literal NULL"),
])
def test_bigquery_errors_on_constant_arguments_are_errors(sql, message):
    assert message in str(refused(sql))


def test_the_error_names_the_line_of_the_construct():
    error = refused("SELECT\n  x,\n  LAG(x, -1) OVER (ORDER BY x)\nFROM t")
    assert error.line == 3 and "LAG" in str(error)


def test_constant_arguments_bigquery_accepts_still_run(bq):
    assert bq("SELECT x, LAG(x, 0) OVER (ORDER BY x), NTILE(2) OVER (ORDER BY x), "
              "SUM(x) OVER (ORDER BY x ROWS BETWEEN 1 PRECEDING AND 0 FOLLOWING) "
              "FROM UNNEST([1, 2]) AS x ORDER BY x LIMIT 5 OFFSET 0") == [(1, 1, 1, 1), (2, 2, 2, 3)]
    assert bq("SELECT NULL IS NULL, 1 + CAST(NULL AS INT64) IS NULL") == [(True, True)]


@pytest.mark.parametrize(("sql", "message"), [
    ("SELECT JSON_QUERY(JSON '{\"a\": 1}', 'lax lax $.a')", "unique modifiers followed by '$'"),
    ("SELECT JSON_QUERY(JSON '{\"a\": 1}', 'recursive $.a')", "'recursive' needs 'lax'"),
    # lax mode (arrays unwrapped along the path, every match in an array) is JSON_QUERY's (the library's)
    ("SELECT JSON_VALUE(JSON '{\"a\": 1}', 'lax $.a')", "lax mode cannot be expressed on duckdb"),
])
def test_json_paths_bigquery_refuses_or_the_engine_cannot_follow_are_errors(sql, message):
    assert message in str(refused(sql))


def test_json_paths_from_the_root_still_run(bq):
    assert bq("SELECT JSON_VALUE(JSON '{\"a\": 1}', '$.a'), JSON_VALUE(JSON '{\"a\": 1}', ' $.a')") == [("1", "1")]
