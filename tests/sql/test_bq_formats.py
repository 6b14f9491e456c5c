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
        translate("SELECT\n  CAST(1.5 AS STRING FORMAT '9.99')", "bigquery", "duckdb")
    assert caught.value.line == 2


def test_every_bytes_format_in_any_case_and_as_an_expression(bq):
    # BigQuery: BASE2/BASE8 digits, BASE32, BASE64M lines, ASCII; the format may be any STRING expression
    assert bq("SELECT CAST(b'abc' AS STRING FORMAT 'bAsE2'), CAST(b'abc' AS STRING FORMAT 'base8'), "
              "CAST(b'abc' AS STRING FORMAT 'base32'), CAST(b'abc' AS STRING FORMAT 'ASC' || 'II'), "
              "CAST(f AS STRING FORMAT f) FROM UNNEST([CAST('hex' AS BYTES)]) AS f") == \
        [("011000010110001001100011", "30261143", "MFRGG===", "abc", "686578")]
    assert bq("SELECT CAST('011000010110001001100011' AS BYTES FORMAT 'BASE2'), CAST('30261143' AS BYTES FORMAT "
              "'base8'), CAST('MFRGG===' AS BYTES FORMAT 'base32'), CAST('YWJj\\nYWJj' AS BYTES FORMAT 'base64m')") == \
        [(b"abc", b"abc", b"abc", b"abcabc")]
    assert bq("SELECT CAST(b'abc' AS STRING FORMAT NULL), SAFE_CAST('123' AS BYTES FORMAT 'base2'), "
              "SAFE_CAST(b'abc' AS STRING FORMAT 'x' || 'y')") == [(None, None, None)]
    with pytest.raises(Exception, match="Failed to decode invalid base2 string due to character '2' at offset 1"):
        bq("SELECT CAST('123' AS BYTES FORMAT 'base2')")
    with pytest.raises(Exception, match="Invalid format 'xyz'"):
        bq("SELECT CAST(b'abc' AS STRING FORMAT 'x' || 'y' || 'z')")


def test_dates_and_times_keep_their_type_and_time_zone(bq):
    # BigQuery: a TIME stays a TIME, AT TIME ZONE says where the civil time is; TZH:TZM print its offset
    assert bq("SELECT CAST('07:08:09' AS TIME FORMAT 'HH24:MI:SS'), "
              "CAST('1234-05-06 07:08:09' AS DATETIME FORMAT 'YYYY-MM-DD HH24:MI:SS'), "
              "CAST('1234-05-06 07:08:09' AS TIMESTAMP FORMAT 'YYYY-MM-DD HH24:MI:SS' AT TIME ZONE '+7:00'), "
              "CAST('2021-11-21' AS TIMESTAMP FORMAT 'YYYY-MM-DD' AT TIME ZONE 'America/Los_Angeles'), "
              "CAST(TIME '07:08:09.5' AS STRING FORMAT 'HH12:MI:SS.FF3 AM'), "
              "CAST(TIMESTAMP '1234-05-06 07:08:09-10' AS STRING FORMAT 'HH24:MI DD TZH:TZM' AT TIME ZONE '-08:00'), "
              "CAST('1234' AS TIMESTAMP FORMAT 'YYYY' AT TIME ZONE NULL)") == \
        [(dt.time(7, 8, 9), dt.datetime(1234, 5, 6, 7, 8, 9), dt.datetime(1234, 5, 6, 0, 8, 9, tzinfo=dt.UTC),
          dt.datetime(2021, 11, 21, 8, 0, tzinfo=dt.UTC), "07:08:09.500 AM", "09:08 06 -08:00", None)]
    # a year or month the format lacks is the current one; the day is the first
    today = dt.date.today()
    assert bq("SELECT CAST('' AS DATE FORMAT ''), CAST('15' AS DATE FORMAT 'DD'), CAST('' AS TIME FORMAT '')") == \
        [(today.replace(day=1), today.replace(day=15), dt.time(0))]


def test_names_print_in_the_case_of_their_element(bq):
    # BigQuery: DAY is THURSDAY, Day is Thursday, day is thursday (and MONTH, MON, DY alike)
    assert bq("SELECT CAST(DATE '2008-12-25' AS STRING FORMAT 'YYYY-MM-DD DAY DY.'), "
              "CAST(DATE '2008-12-25' AS STRING FORMAT 'Month mon Dy'), CAST(DATE '2008-12-25' AS STRING FORMAT '')") \
        == [("2008-12-25 THURSDAY THU.", "December dec Thu", "")]
