"""BigQuery's times on DuckDB: time zones written as fixed offsets, the text of times (a TIMESTAMP's with its
offset in a time zone, fractions of seconds in groups of three digits) and BigQuery's range of them."""

from __future__ import annotations

import re

from dop_core.sql.library import duckdb_macro, duckdb_python

_OFFSET = re.compile(r"^(?:UTC|GMT)?(?P<sign>[+-])(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?$", re.IGNORECASE)


def offset_minutes(zone: str) -> int | None:
    """The minutes east of UTC of a fixed-offset zone as BigQuery writes one (``'+01:00'``, ``'-6'``,
    ``'UTC+1234'``), or None for a zone name."""
    match = _OFFSET.match(zone)
    if match is None:
        return None
    return (-1 if match["sign"] == "-" else 1) * (int(match["h"]) * 60 + int(match["m"] or 0))


def time_zone(zone: str) -> str:
    """DuckDB's name of a BigQuery time zone (for literals, at translation): see the ``time_zone`` macro."""
    minutes = offset_minutes(zone)
    if minutes is None:
        return zone
    return f"GMT{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


_ZONE_OFFSET = r"'^(?i:UTC|GMT)?([+-])(\d{1,2}?)(?::?(\d{2}))?$'"
duckdb_macro("time_zone", """A BigQuery time zone as DuckDB names it: a fixed offset (``'+01:00'``, ``'-6'``,
``'UTC+1234'``) as ``'GMT+01:00'`` (DuckDB read ``'UTC+1234'`` as another zone and did not know ``'-06'``); a zone
name as it is.""",
             f"(z) AS CASE WHEN regexp_matches(z, {_ZONE_OFFSET}) THEN 'GMT' || regexp_extract(z, {_ZONE_OFFSET}, 1) "
             f"|| lpad(regexp_extract(z, {_ZONE_OFFSET}, 2), 2, '0') || ':' || "
             f"coalesce(nullif(regexp_extract(z, {_ZONE_OFFSET}, 3), ''), '00') ELSE z END")


duckdb_macro("timestamp_text", """``STRING(timestamp, zone)``: the civil time in ``zone`` and its offset from UTC, as
BigQuery writes a TIMESTAMP (``2014-02-28 19:20:30+01``, ``2014-03-01 03:05:30+08:45``).""",
             "(ts, z) AS CAST(timezone(dop_bq_time_zone(z), ts) AS VARCHAR) || "
             "dop_bq_offset_text(CAST(epoch(timezone(dop_bq_time_zone(z), ts)) - epoch(ts) AS BIGINT))")


@duckdb_python("offset_text", ["BIGINT"], "VARCHAR")
def offset_text(seconds: int) -> str:
    """An offset from UTC (in seconds) as BigQuery prints it: ``+01``, ``-08``, ``+05:30``."""
    minutes = abs(seconds) // 60
    text = f"{'-' if seconds < 0 else '+'}{minutes // 60:02d}"
    return text + (f":{minutes % 60:02d}" if minutes % 60 else "")


_FRACTION = r"regexp_extract(t, ':\d\d\.(\d+)', 1)"
duckdb_macro("time_text", """BigQuery's text of a TIME, DATETIME or TIMESTAMP from DuckDB's: the fraction of a second
in whole groups of three digits (``01:02:03.120``, ``01:02:03.123450``; DuckDB wrote ``.12``, ``.12345``).""",
             f"(t) AS CASE WHEN length({_FRACTION}) IN (0, 3, 6) THEN t ELSE regexp_replace(t, "
             rf"':(\d\d)\.(\d+)', ':\1.' || rpad({_FRACTION}, CASE WHEN length({_FRACTION}) < 3 THEN 3 ELSE 6 END, "
             f"'0')) END")


duckdb_macro("datetime_in_range", """A DATETIME within BigQuery's range (years 1 to 9999), else BigQuery's overflow
error (DuckDB's range is wider).""",
             "(x) AS CASE WHEN x < TIMESTAMP '0001-01-01' OR x > TIMESTAMP '9999-12-31 23:59:59.999999' "
             "THEN dop_bq_error('DATETIME overflow: the result is outside 0001-01-01 to 9999-12-31') ELSE x END")
duckdb_macro("timestamp_in_range", """A TIMESTAMP within BigQuery's range (years 1 to 9999 UTC), else BigQuery's
overflow error (DuckDB's range is wider).""",
             "(x) AS CASE WHEN x < TIMESTAMPTZ '0001-01-01 00:00:00+00' OR "
             "x > TIMESTAMPTZ '9999-12-31 23:59:59.999999+00' "
             "THEN dop_bq_error('TIMESTAMP overflow: the result is outside 0001-01-01 to 9999-12-31 UTC') ELSE x END")
