"""BigQuery's civil time of timestamps on DuckDB (BigQuery reference: "Timestamp functions" EXTRACT,
"Datetime functions" CURRENT_DATETIME, "Time functions" CURRENT_TIME, "Time zones")."""

from __future__ import annotations

import datetime

import pytest

from dop_core.sql import UnsupportedSqlError


def test_extract_date_time_and_datetime_of_a_timestamp_in_a_time_zone(bq):
    ts = "TIMESTAMP '2017-01-01 02:34:56 UTC'"
    assert bq(f"SELECT EXTRACT(DATE FROM {ts}), EXTRACT(DATE FROM {ts} AT TIME ZONE 'America/Los_Angeles'), "
              f"EXTRACT(TIME FROM {ts} AT TIME ZONE 'Asia/Kolkata'), EXTRACT(DATETIME FROM {ts}), "
              f"CAST({ts} AS TIME), EXTRACT(ISOWEEK FROM DATE '2017-01-01')") == \
        [(datetime.date(2017, 1, 1), datetime.date(2016, 12, 31), datetime.time(8, 4, 56),
          datetime.datetime(2017, 1, 1, 2, 34, 56), datetime.time(2, 34, 56), 52)]


def test_fixed_offset_time_zones(bq):
    # BigQuery accepts time zones written as offsets from UTC: '+05:30', '-06'
    ts = "TIMESTAMP '2000-01-01 00:00:00 UTC'"
    assert bq(f"SELECT EXTRACT(TIME FROM {ts} AT TIME ZONE '-06'), EXTRACT(HOUR FROM {ts} AT TIME ZONE '+05:30')") == \
        [(datetime.time(18, 0), 5)]


def test_current_datetime_and_time_in_a_time_zone(bq):
    assert bq("SELECT CURRENT_DATETIME('+01:00') != CURRENT_DATETIME('-01:00'), "
              "CURRENT_DATETIME('UTC') = DATETIME(CURRENT_TIMESTAMP, 'UTC'), CURRENT_TIME = TIME(CURRENT_TIMESTAMP), "
              "CURRENT_TIME('+01:00') != CURRENT_TIME('-01:00')") == [(True, True, True, True)]


def test_extract_parts_count_as_in_bigquery(bq):
    # BigQuery: DAYOFWEEK is 1 (Sunday) to 7; WEEK counts Sunday-started weeks from 0, WEEK(<day>) weeks
    # starting on that day; ISOWEEK is ISO 8601's; MILLISECOND/MICROSECOND are the fraction of the second
    rows = bq("SELECT d, EXTRACT(DAYOFWEEK FROM d), EXTRACT(WEEK FROM d), EXTRACT(WEEK(MONDAY) FROM d), "
              "EXTRACT(WEEK(TUESDAY) FROM d), EXTRACT(ISOWEEK FROM d) "
              "FROM UNNEST([DATE '2017-01-01', DATE '2017-01-02', DATE '2019-01-01', DATE '2019-12-31']) AS d ORDER BY d")
    assert [row[1:] for row in rows] == [(1, 1, 0, 0, 52), (2, 1, 1, 0, 1), (3, 0, 0, 1, 1), (3, 52, 52, 53, 1)]
    assert bq("SELECT EXTRACT(MILLISECOND FROM TIME '12:34:56.999999'), "
              "EXTRACT(MICROSECOND FROM TIME '12:34:56.999999')") == [(999, 999999)]


def test_conversions_and_formats_of_a_timestamp_in_a_time_zone(bq):
    # BigQuery: TIME/DATETIME/DATE(ts, zone) and FORMAT_TIMESTAMP(format, ts, zone) read ts's civil time in zone
    ts = "TIMESTAMP '2015-12-28 15:42:56-08:00'"
    assert bq(f"SELECT TIME({ts}, '+08:00'), DATETIME({ts}, 'Asia/Shanghai'), DATE({ts}, '+08:00'), "
              f"FORMAT_TIMESTAMP('%H', {ts}, 'Asia/Shanghai'), FORMAT_TIMESTAMP('%H:%M', {ts}, '+05:30'), "
              f"FORMAT_TIMESTAMP('%H', {ts})") == \
        [(datetime.time(7, 42, 56), datetime.datetime(2015, 12, 29, 7, 42, 56), datetime.date(2015, 12, 29),
          "07", "05:12", "23")]
    assert bq("SELECT DATETIME(DATE '2020-01-01', TIME '10:00:00')") == [(datetime.datetime(2020, 1, 1, 10, 0),)]
    with pytest.raises(UnsupportedSqlError, match="FORMAT_TIMESTAMP"):
        bq(f"SELECT FORMAT_TIMESTAMP('%H %Z', {ts}, 'Asia/Shanghai')")


def test_time_zones_from_a_column_and_fixed_offsets(bq):
    # BigQuery: a zone may come from a column, and may be a fixed offset such as 'UTC+1234' or '-06'
    zones = "UNNEST(['Europe/Amsterdam', 'UTC+1234', '-06', NULL]) AS tz WITH OFFSET n"
    utc = datetime.UTC
    assert bq(f"SELECT TIMESTAMP_TRUNC(TIMESTAMP '2010-10-20 10:20:30 UTC', DAY, tz) FROM {zones} ORDER BY n") == [
        (datetime.datetime(2010, 10, 19, 22, 0, tzinfo=utc),), (datetime.datetime(2010, 10, 19, 11, 26, tzinfo=utc),),
        (datetime.datetime(2010, 10, 20, 6, 0, tzinfo=utc),), (None,)]
    assert bq(f"SELECT STRING(TIMESTAMP '2014-02-28 10:20:30 UTC', tz) FROM {zones} ORDER BY n") == [
        ("2014-02-28 11:20:30+01",), ("2014-02-28 22:54:30+12:34",), ("2014-02-28 04:20:30-06",), (None,)]
    assert bq(f"SELECT PARSE_TIMESTAMP('%Y-%m-%d', '2000-01-01', tz) FROM {zones} ORDER BY n") == [
        (datetime.datetime(1999, 12, 31, 23, 0, tzinfo=utc),), (datetime.datetime(1999, 12, 31, 11, 26, tzinfo=utc),),
        (datetime.datetime(2000, 1, 1, 6, 0, tzinfo=utc),), (None,)]
    assert bq("SELECT CURRENT_DATE('-06') IS NOT NULL, TIMESTAMP(DATETIME '2020-01-01 00:00:00', '+01'), "
              "PARSE_TIMESTAMP('%Y', '2020')") == [
        (True, datetime.datetime(2019, 12, 31, 23, 0, tzinfo=utc), datetime.datetime(2020, 1, 1, tzinfo=utc))]


def test_leap_seconds_roll_over_to_the_next_minute(bq):
    # BigQuery reads second 60 as the next minute's start (a TIMESTAMP keeps the fraction)
    assert bq("SELECT TIME '23:59:60', CAST('12:59:60.5' AS TIME), DATETIME '2015-12-31 23:59:60', "
              "CAST(TIMESTAMP '2015-11-06 12:59:60.123456 UTC' AS STRING)") == \
        [(datetime.time(0), datetime.time(13), datetime.datetime(2016, 1, 1), "2015-11-06 13:00:00.123456+00")]


def test_times_print_fractions_in_groups_of_three(bq):
    assert bq("SELECT CAST(TIME '01:02:03.12' AS STRING), CAST(TIME '01:02:03.12345' AS STRING), "
              "CAST(DATETIME '2006-01-02 01:02:03.1' AS STRING), CAST(TIMESTAMP '1970-01-01 00:00:00.01 UTC' AS STRING), "
              "CAST(TIME '01:02:03' AS STRING)") == \
        [("01:02:03.120", "01:02:03.123450", "2006-01-02 01:02:03.100", "1970-01-01 00:00:00.010+00", "01:02:03")]


def test_datetime_arithmetic_past_year_9999_is_an_error(bq):
    with pytest.raises(Exception, match="DATETIME overflow"):
        bq("SELECT DATETIME_ADD(DATETIME '9999-12-31 23:59:59.999999', INTERVAL 1 MICROSECOND)")
    with pytest.raises(Exception, match="TIMESTAMP overflow"):
        bq("SELECT TIMESTAMP_SUB(TIMESTAMP '0001-01-01 00:00:00 UTC', INTERVAL 1 MICROSECOND)")
    assert bq("SELECT DATETIME_SUB(DATETIME '2020-01-01', INTERVAL 1 DAY)") == [(datetime.datetime(2019, 12, 31),)]


def test_date_and_time_of_a_string_with_a_time_zone(bq):
    # BigQuery reads the string as a TIMESTAMP and takes its civil date/time in the default zone (UTC)
    assert bq("SELECT DATE('2019-08-01 23:00:00-05'), TIME('2010-11-12 01:02:03.456+08'), "
              "DATETIME('2010-11-12 01:02:03+08'), DATE('2019-08-01 23:00:00')") == \
        [(datetime.date(2019, 8, 2), datetime.time(17, 2, 3, 456000), datetime.datetime(2010, 11, 11, 17, 2, 3),
          datetime.date(2019, 8, 1))]


def test_string_literals_cast_as_bigquery_reads_them(bq):
    assert bq("SELECT CAST('-0x100' AS INT64), CAST('0x1F' AS INT64), CAST('2006-01-02' AS DATETIME)") == \
        [(-256, 31, datetime.datetime(2006, 1, 2))]
    # BigQuery's errors: hour 24, and a time zone in a DATETIME
    for sql in ("SELECT CAST('24:00:00' AS TIME)", "SELECT CAST('2006-01-02 01:02:03.123456 UTC' AS DATETIME)",
                "SELECT DATETIME '2006-01-02 01:02:03+01'"):
        with pytest.raises(UnsupportedSqlError, match=r"Invalid (time|datetime) string"):
            bq(sql)
