"""BigQuery's CAST ... FORMAT on DuckDB (BigQuery reference: "Format clause for CAST")."""

from __future__ import annotations

import datetime as dt

import pytest

from dop_core.sql import UnsupportedSqlError
from dop_core.sql.dialects import translate


def test_bytes_formats(bq):
    sql = ("SELECT CAST(b'abc' AS STRING FORMAT 'BASE64'), CAST(b'abc' AS STRING FORMAT 'HEX'), "
           "CAST('YWJj' AS BYTES FORMAT 'BASE64'), CAST(b'abc' AS STRING FORMAT 'UTF8')")
    assert bq(sql) == [("YWJj", "616263", b"abc", "abc")]


def test_date_format_elements(bq):
    sql = ("SELECT CAST(DATE '2024-03-05' AS STRING FORMAT 'YYYY/MM/DD'), "
           "CAST('05 MAR 2024' AS DATE FORMAT 'DD MON YYYY')")
    assert bq(sql) == [("2024/03/05", dt.date(2024, 3, 5))]


def test_a_format_duckdb_cannot_express_is_refused_at_its_line():
    with pytest.raises(UnsupportedSqlError, match="FORMAT") as caught:
        translate("SELECT\n  CAST(b'abc' AS STRING FORMAT 'BASE32')", "bigquery", "duckdb")
    assert caught.value.line == 2
