"""BigQuery's INTERVAL on DuckDB (BigQuery reference: "Interval type", "Interval functions": MAKE_INTERVAL,
JUSTIFY_DAYS, JUSTIFY_HOURS, JUSTIFY_INTERVAL; "Conversion rules": casts between INTERVAL and STRING)."""

from __future__ import annotations

import pytest

from dop_core.sql import UnsupportedSqlError
from dop_core.sql.dialects import translate


def text(bq, *intervals: str) -> tuple:
    """BigQuery's text of each interval expression (``CAST(... AS STRING)``)."""
    return bq("SELECT " + ", ".join(f"CAST({i} AS STRING)" for i in intervals))[0]


def test_literals_of_every_span_and_their_text(bq):
    # BigQuery: each span reads its own part of 'Y-M D H:M:S'; the text prints every part, each with its sign
    assert text(bq, "INTERVAL '-20 30' MONTH TO DAY", "INTERVAL '10:20:30.456789' HOUR TO SECOND",
                "INTERVAL '-1 -2:3' DAY TO MINUTE", "INTERVAL '1-2 3 -4:5:6.5' YEAR TO SECOND",
                "INTERVAL -1 SECOND", "INTERVAL '0.000008' SECOND") == \
        ("-1-8 30 0:0:0", "0-0 0 10:20:30.456789", "0-0 -1 -2:3:0", "1-2 3 -4:5:6.500", "0-0 0 -0:0:1",
         "0-0 0 0:0:0.000008")
    with pytest.raises(UnsupportedSqlError, match="DAY TO HOUR"):
        translate("SELECT INTERVAL '1-2' DAY TO HOUR", "bigquery", "duckdb")
    # nanoseconds: BigQuery keeps them, DuckDB cannot; refused rather than rounded
    with pytest.raises(UnsupportedSqlError, match="nanoseconds"):
        translate("SELECT INTERVAL '0.123456789' SECOND", "bigquery", "duckdb")


def test_casts_from_strings_read_both_text_forms(bq):
    assert text(bq, "CAST('-1-2 -3 -4:5:6.789' AS INTERVAL)", "CAST('P1Y2M3DT4H5M6.789S' AS INTERVAL)",
                "CAST('1-2' AS INTERVAL)", "CAST('PT-1H2M' AS INTERVAL)", "CAST('P1W' AS INTERVAL)") == \
        ("-1-2 -3 -4:5:6.789", "1-2 3 4:5:6.789", "1-2 0 0:0:0", "0-0 0 -0:58:0", "0-0 7 0:0:0")
    assert bq("SELECT SAFE_CAST('1' AS INTERVAL), SAFE_CAST('P1' AS INTERVAL)") == [(None, None)]
    with pytest.raises(Exception, match="Invalid INTERVAL value '1'"):
        bq("SELECT CAST('1' AS INTERVAL)")


def test_make_interval_and_justify(bq):
    assert text(bq, "MAKE_INTERVAL(1, -2, 3, -4, 5, -6)", "MAKE_INTERVAL(second => -6, minute => 5, day => 3)",
                "MAKE_INTERVAL()", "JUSTIFY_DAYS(INTERVAL 40 DAY)", "JUSTIFY_DAYS(INTERVAL '1 -40' MONTH TO DAY)",
                "JUSTIFY_HOURS(INTERVAL -30 HOUR)", "JUSTIFY_HOURS(INTERVAL '1 -1' DAY TO HOUR)",
                "JUSTIFY_INTERVAL(INTERVAL '29 49:00:00' DAY TO SECOND)",
                "JUSTIFY_INTERVAL(INTERVAL 1 MONTH - INTERVAL 1 HOUR)") == \
        ("0-10 3 -3:55:6", "0-0 3 0:4:54", "0-0 0 0:0:0", "0-1 10 0:0:0", "0-0 -10 0:0:0", "0-0 -1 -6:0:0",
         "0-0 0 23:0:0", "0-1 1 1:0:0", "0-0 29 23:0:0")
    with pytest.raises(Exception, match="Interval field months '120001' is out of range"):
        bq("SELECT MAKE_INTERVAL(month => 120001)")


def test_sum_avg_and_division_keep_the_parts_apart(bq):
    values = "UNNEST([INTERVAL 1 MONTH, INTERVAL 30 DAY, INTERVAL 1 HOUR, NULL]) AS i"
    assert bq(f"SELECT CAST(SUM(i) AS STRING), CAST(AVG(i) AS STRING) FROM {values}") == \
        [("0-1 30 1:0:0", "0-0 20 0:20:0")]
    assert bq("SELECT CAST(SUM(i) OVER (ORDER BY n) AS STRING) FROM UNNEST([INTERVAL 1 DAY, INTERVAL -1 HOUR]) AS i "
              "WITH OFFSET n ORDER BY n") == [("0-0 1 0:0:0",), ("0-0 1 -1:0:0",)]
    assert bq("SELECT SUM(i), AVG(i) FROM UNNEST(ARRAY<INTERVAL>[]) AS i") == [(None, None)]
    # division rounds toward zero, carrying a month's remainder as 30 days and a day's as 24 hours
    assert text(bq, "INTERVAL '0.000008' SECOND / 3", "INTERVAL '0.000008' SECOND / -3", "INTERVAL 1 MONTH / 7") == \
        ("0-0 0 0:0:0.000002", "0-0 0 -0:0:0.000002", "0-0 4 6:51:25.714285")
