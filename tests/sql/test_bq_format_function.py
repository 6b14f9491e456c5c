"""BigQuery's FORMAT function on DuckDB (BigQuery reference: "String functions" FORMAT: printf-style
specifiers, %t and %T) and ERROR."""

from __future__ import annotations

import pytest

from dop_core.sql import UnsupportedSqlError
from dop_core.sql.dialects import translate


def test_format_is_printf(bq):
    assert bq("SELECT FORMAT('%d items at %5.2f', 3, 1.5), FORMAT('%*d|%-4s|%x|%%', 4, 7, 'ab', 255), "
              "FORMAT('%.1f', 2), FORMAT(f, 13) FROM UNNEST(['%04d']) AS f") == \
        [("3 items at  1.50", "   7|ab  |ff|%", "2.0", "0013")]


def test_format_t_and_big_t(bq):
    # %t: the value's text (NULL as NULL); %T: a SQL literal, a STRING quoted and escaped
    assert bq("SELECT FORMAT('%t/%t/%T/%T', 'a', CAST(NULL AS INT64), \"it's\\n\", 12)") == \
        [("a/NULL/\"it's\\n\"/12",)]


def test_format_errors_are_bigquery_errors():
    with pytest.raises(UnsupportedSqlError, match="not an INT64"):
        translate("SELECT FORMAT('%d', 'abc')", "bigquery", "duckdb")
    with pytest.raises(UnsupportedSqlError, match="2 values for 1"):
        translate("SELECT FORMAT('%d', 17, 'abc')", "bigquery", "duckdb")


def test_safe_error_is_null(bq):
    assert bq("SELECT SAFE.ERROR('message'), CAST(SAFE.ERROR('message') AS STRING)") == [(None, None)]
    with pytest.raises(Exception, match="message"):
        bq("SELECT IF(FALSE, 1, ERROR('message'))")


def test_safe_error_still_raises_the_errors_of_its_argument(bq):
    # BigQuery: SAFE. covers ERROR's own error, not one raised computing its argument
    with pytest.raises(Exception, match="division by zero"):
        bq("SELECT SAFE.ERROR(IF(1 / 0 = 0, 'abc', ''))")
    with pytest.raises(Exception, match="custom"):
        bq("SELECT SAFE.ERROR(ERROR('custom'))")
