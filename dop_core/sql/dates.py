"""Rules for BigQuery's DATE, DATETIME and TIMESTAMP functions."""

from __future__ import annotations

import datetime
import re
from typing import Any

from sqlglot import exp

from dop_core.sql import UnsupportedSqlError, library
from dop_core.sql.inference import is_type
from dop_core.sql.rules import rewrite, rule


@rule("duckdb", "postgres")
def date_arithmetic_returns_date(tree: Any, target: str) -> Any:
    """BigQuery's DATE_ADD, DATE_SUB, DATE_TRUNC (on a DATE) and DATE_FROM_UNIX_DATE return a DATE; on
    DuckDB and PostgreSQL ``date + interval`` is a TIMESTAMP. Casting back keeps the column a DATE."""

    def fix(node: Any) -> Any:
        if isinstance(node, exp.DateAdd | exp.DateSub | exp.DateTrunc | exp.DateFromUnixDate) \
                and not isinstance(node.parent, exp.Cast):
            return exp.Cast(this=node.copy(), to=exp.DataType.build("DATE"))
        return node

    return tree.transform(fix)


def _timestamp(node: Any) -> bool:
    """Whether ``node`` is a BigQuery TIMESTAMP (a point in time, DuckDB's TIMESTAMPTZ)."""
    return isinstance(node, exp.CurrentTimestamp) or is_type(node, "TIMESTAMPTZ")


def _cast(node: Any, to: str) -> Any:
    return exp.Cast(this=node, to=exp.DataType.build(to))


def fixed_offset(zone: Any) -> int | None:
    """The minutes east of UTC of ``zone`` if it is a literal fixed offset (``'+01:00'``, ``'UTC-6'``)."""
    from dop_core.sql.library.zones import offset_minutes  # (the library's modules load in their order)

    return offset_minutes(zone.this) if isinstance(zone, exp.Literal) and zone.is_string else None


def local_time(timestamp: Any, zone: Any) -> Any:
    """The civil DATETIME of ``timestamp`` in ``zone`` (a fixed offset such as ``'+01:00'``, which DuckDB's
    time zones do not include, is added to the UTC time)."""
    minutes = fixed_offset(zone)
    if minutes is None:
        return exp.AtTimeZone(this=timestamp, zone=zone)
    return exp.Paren(this=exp.Add(this=exp.AtTimeZone(this=timestamp, zone=exp.Literal.string("UTC")),
                                  expression=exp.Interval(this=exp.Literal.string(f"{minutes} minutes"))))


def _civil_now(zone: Any) -> Any:
    """The current DATETIME in ``zone`` (the session's time zone when None)."""
    if zone is None:
        return _cast(exp.CurrentTimestamp(), "TIMESTAMP")
    return local_time(exp.CurrentTimestamp(), zone)


_ZONE_ELEMENTS = re.compile(r"%E?[zZ]|%Ez")


def _prints_zone(form: Any) -> bool:
    """Whether a format (a string literal, else assumed to) has a time zone element (``%z``, ``%Z``)."""
    return not (isinstance(form, exp.Literal) and form.is_string) or bool(_ZONE_ELEMENTS.search(form.this))


def _zoned_conversion(node: Any) -> Any:
    """``TIME|DATETIME|DATE(ts, zone)`` and ``FORMAT_TIMESTAMP(format, ts, zone)`` from the civil time of
    ``ts`` in ``zone`` (None for another node)."""
    if isinstance(node, exp.Time | exp.Date) and node.args.get("zone") is not None and _timestamp(node.this):
        return _cast(local_time(node.this, node.args["zone"]), "TIME" if isinstance(node, exp.Time) else "DATE")
    zone = node.args.get("expression") if isinstance(node, exp.Datetime) else None
    if zone is not None and _timestamp(node.this) and (is_type(zone, "TEXT", "VARCHAR") or (
            isinstance(zone, exp.Literal) and zone.is_string)):
        return _cast(local_time(node.this, zone), "TIMESTAMP")
    if isinstance(node, exp.TimeToStr) and node.args.get("zone") is not None:
        form = node.args.get("format")
        if _prints_zone(form):
            raise UnsupportedSqlError("FORMAT_TIMESTAMP with a time zone and a format that is not a string "
                                      "literal, or that prints the zone, cannot be expressed on duckdb",
                                      construct="FORMAT_TIMESTAMP")
        value = node.this.this if isinstance(node.this, exp.TsOrDsToTimestamp) else node.this
        return exp.TimeToStr(this=local_time(value, node.args["zone"]), format=form)
    return None


_ZONED_TEXT = re.compile(r"(?:[+-]\d{1,2}(?::?\d{2})?|\s*(?:Z|UTC|[A-Za-z]+/[A-Za-z_/+-]+))$")


@rule("duckdb")
def zoned_strings_are_timestamps(tree: Any, target: str) -> Any:
    """``DATE('2019-08-01 03:00:00+00')``, ``TIME(...)`` and ``DATETIME(...)`` of a string literal with a time
    zone read it as a TIMESTAMP and take its civil date or time in the default time zone, as BigQuery does
    (DuckDB dropped the offset: the date in UTC was kept whatever the default zone)."""

    def fix(node: Any) -> Any:
        text = node.this.unnest() if isinstance(node, exp.Date | exp.TsOrDsToTime | exp.TsOrDsToDatetime) else None
        if not (isinstance(text, exp.Literal) and text.is_string and _ZONED_TEXT.search(text.this.strip())
                and not any(v for k, v in node.args.items() if k != "this")):
            return node
        civil = _cast(_cast(text.copy(), "TIMESTAMPTZ"), "TIMESTAMP")
        if isinstance(node, exp.Date):
            return _cast(civil, "DATE")
        return _cast(civil, "TIME") if isinstance(node, exp.TsOrDsToTime) else civil

    return tree.transform(fix)


@rule("duckdb")
def civil_time_of_timestamps(tree: Any, target: str) -> Any:
    """The civil DATE, TIME and DATETIME of a TIMESTAMP in a time zone (the default one unless ``AT TIME
    ZONE``): ``EXTRACT(DATE|TIME|DATETIME FROM ts)``, ``CAST(ts AS TIME)``, ``TIME(ts)``,
    ``CURRENT_DATETIME([zone])``, ``CURRENT_TIME([zone])``, ``TIME|DATETIME|DATE(ts, zone)`` and
    ``FORMAT_TIMESTAMP(format, ts, zone)``. DuckDB knows no DATE/TIME/DATETIME parts, cannot cast a
    TIMESTAMPTZ to TIME, and sqlglot dropped the zone of ``CURRENT_TIME`` and ``FORMAT_TIMESTAMP`` (and
    read ``DATETIME(ts, zone)`` as ``DATETIME(date, time)``); a format printing the zone (``%Z``, ``%z``)
    with a zone is refused. The timestamp is
    cast to the session's local TIMESTAMP (or taken ``AT TIME ZONE``) first. A fixed-offset zone
    (``'+01:00'``, ``'UTC-6'``), which DuckDB's time zones lack, is added to the UTC time."""

    def fix(node: Any) -> Any:
        if isinstance(node, exp.AtTimeZone) and _timestamp(node.this):
            return local_time(node.this, node.args.get("zone"))
        if isinstance(node, exp.Extract) and isinstance(node.this, exp.Var):
            part, value = node.this.name.upper(), node.expression
            if part == "DATE":
                return _cast(value, "DATE")
            if part == "DATETIME":
                return _cast(value, "TIMESTAMP")
            if part == "TIME":
                return _cast(_cast(value, "TIMESTAMP"), "TIME")
            return node
        zoned = _zoned_conversion(node)
        if zoned is not None:
            return zoned
        if isinstance(node, exp.CurrentDatetime):
            return _cast(_civil_now(node.this), "TIMESTAMP")
        if isinstance(node, exp.CurrentTime):
            return _cast(_civil_now(node.this), "TIME")
        to_time = isinstance(node, exp.TsOrDsToTime) or (
            isinstance(node, exp.Cast) and node.to.is_type(exp.DataType.Type.TIME))
        if to_time and _timestamp(node.this):
            return _cast(_cast(node.this, "TIMESTAMP"), "TIME")
        return node

    return rewrite(tree, fix)


@rule("duckdb")
def time_zones_as_bigquery_names_them(tree: Any, target: str) -> Any:
    """A time zone given as a fixed offset the way BigQuery accepts one (``'-06'``, ``'UTC+1234'``,
    ``'+05:30'``), as a literal or from a column, is DuckDB's ``'GMT-06:00'`` (DuckDB did not know ``'-06'``
    and read ``'UTC+1234'`` as another offset), for every function taking a zone (``TIMESTAMP_TRUNC``,
    ``CURRENT_DATE``, ``AT TIME ZONE``...). ``STRING(timestamp, zone)`` is the civil time with its offset
    (``2014-02-28 19:20:30+01``; sqlglot dropped the offset), ``TIMESTAMP(datetime, zone)`` the datetime
    read in ``zone`` (sqlglot wrote SQL DuckDB cannot parse) and ``PARSE_TIMESTAMP(format, text[, zone])`` a
    TIMESTAMP read in ``zone`` (the default one without; sqlglot dropped the zone and returned a DATETIME)
    unless the format reads the offset."""

    def zone_name(zone: Any) -> Any:
        if isinstance(zone, exp.Literal) and zone.is_string:
            from dop_core.sql.library.zones import time_zone

            return zone if fixed_offset(zone) is None else exp.Literal.string(time_zone(zone.this))
        return library.call(target, "time_zone", zone)

    def fix(node: Any) -> Any:
        if isinstance(node, exp.StrToTime) and not _prints_zone(node.args.get("format")):
            zone = node.args.get("zone")
            node.set("zone", None)
            return _cast(node, "TIMESTAMPTZ") if zone is None else exp.func("timezone", zone_name(zone), node)
        key = "this" if isinstance(node, exp.CurrentDate) else "zone"
        zone = node.args.get(key) if isinstance(node, exp.Expression) else None
        if isinstance(node, exp.AtTimeZone) and node.arg_key == "format":
            return node  # CAST(... FORMAT f AT TIME ZONE z): cast_with_format reads the zone
        if zone is None or (isinstance(zone, exp.Anonymous) and zone.name.lower() == "dop_bq_time_zone"):
            return node
        if isinstance(node, exp.String) and _timestamp(node.this):
            return library.call(target, "timestamp_text", node.this, zone)
        if isinstance(node, exp.Timestamp) and is_type(node.this, "TIMESTAMP", "DATE"):
            return exp.func("timezone", zone_name(zone), _cast(node.this, "TIMESTAMP"))
        node.set(key, zone_name(zone))
        return node

    return rewrite(tree, fix)


_LEAP = re.compile(r"^(?P<day>\s*\d{4}-\d{1,2}-\d{1,2}[ Tt])?(?P<h>\d{1,2}):(?P<m>\d{1,2}):60(?P<f>\.\d+)?"
                   r"(?P<rest>.*)$")


def _roll_leap_second(text: str, to: str) -> str | None:
    """A literal's text with second 60 (a leap second) as BigQuery reads it: the next minute's start (the
    fraction kept for a TIMESTAMP, dropped otherwise), or None if it has no leap second."""
    match = _LEAP.match(text)
    if match is None:
        return None
    try:
        day = datetime.date(*(int(p) for p in match["day"].strip().rstrip("Tt").split("-"))) if match["day"] \
            else datetime.date(1970, 1, 1)
        moment = datetime.datetime.combine(day, datetime.time(int(match["h"]), int(match["m"]), 59)) + \
            datetime.timedelta(seconds=1)
    except ValueError:  # not a valid date or time: the engine says so
        return None
    clock = moment.strftime("%H:%M:%S")
    if to == "TIMESTAMPTZ":
        clock += match["f"] or ""
    return clock if to == "TIME" and not match["day"] else f"{moment:%Y-%m-%d} {clock}{match['rest']}"


@rule("duckdb", "postgres")
def leap_seconds_roll_over(tree: Any, target: str) -> Any:
    """A TIME, DATETIME or TIMESTAMP literal (or cast of a string literal) with second 60, BigQuery's leap
    second, is the next minute's start (``TIME '23:59:60'`` is ``00:00:00``, ``'12:59:60.5'`` is
    ``13:00:00``; a TIMESTAMP keeps the fraction); the engines refused second 60. Read at translation."""

    def fix(node: Any) -> Any:
        if not (isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal) and node.this.is_string):
            return node
        to = node.to.this.name
        if to not in ("TIME", "TIMESTAMP", "TIMESTAMPTZ", "DATETIME"):
            return node
        rolled = _roll_leap_second(node.this.this, to)
        if rolled is not None:
            node.set("this", exp.Literal.string(rolled))
        return node

    return tree.transform(fix)


@rule("duckdb")
def times_print_fractions_in_threes(tree: Any, target: str) -> Any:
    """``CAST(time|datetime|timestamp AS STRING)`` prints the fraction of a second in groups of three digits
    (``01:02:03.120``, ``01:02:03.123450``), as BigQuery does; DuckDB trimmed its zeros (``01:02:03.12``). Where
    the value's type is known."""

    def fix(node: Any) -> Any:
        if isinstance(node, exp.Cast) and node.to.this in (exp.DataType.Type.TEXT, exp.DataType.Type.VARCHAR) \
                and is_type(node.this, "TIME", "TIMESTAMP", "DATETIME", "TIMESTAMPTZ") \
                and node.args.get("format") is None:
            return library.call(target, "time_text", node)
        return node

    return rewrite(tree, fix)


@rule("duckdb")
def datetime_arithmetic_stays_in_range(tree: Any, target: str) -> Any:
    """``DATETIME_ADD``/``DATETIME_SUB`` and ``TIMESTAMP_ADD``/``TIMESTAMP_SUB`` past year 9999 or before
    year 1 are BigQuery's overflow error (DuckDB's range is wider: it returned year 10000)."""

    def fix(node: Any) -> Any:
        if isinstance(node, exp.DatetimeAdd | exp.DatetimeSub):
            return library.call(target, "datetime_in_range", node)
        if isinstance(node, exp.TimestampAdd | exp.TimestampSub):
            return library.call(target, "timestamp_in_range", node)
        return node

    return rewrite(tree, fix)


_WEEKDAYS = ("SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY")


def _part(name: str, value: Any) -> Any:
    return exp.Extract(this=exp.var(name), expression=value.copy())


def _week(value: Any, first_day: int) -> Any:
    """The week number of ``value`` with weeks starting on ``first_day`` (0 is Sunday): 0 before the year's
    first such day, then 1, 2...: ``(day_of_year + 6 - (day_of_week - first_day + 7) % 7) // 7``."""
    shift = exp.Mod(this=exp.Paren(this=exp.Add(this=exp.Sub(this=_part("DOW", value), expression=exp.Literal.number(
        first_day)), expression=exp.Literal.number(7))), expression=exp.Literal.number(7))
    days = exp.Sub(this=exp.Add(this=_part("DOY", value), expression=exp.Literal.number(6)), expression=shift)
    return exp.Paren(this=exp.IntDiv(this=exp.Paren(this=days), expression=exp.Literal.number(7)))


@rule("duckdb")
def date_parts_count_as_bigquery(tree: Any, target: str) -> Any:
    """``EXTRACT`` parts that count differently on DuckDB: ``DAYOFWEEK`` is 1 (Sunday) to 7 (DuckDB: 0 to 6);
    ``WEEK`` counts weeks starting on Sunday, and ``WEEK(MONDAY)``... on that day, from 0 before the first
    one (DuckDB's ``week`` is the ISO week, which sqlglot used for every ``WEEK(<day>)``); ``ISOWEEK`` is
    DuckDB's ``week``; ``MILLISECOND`` and ``MICROSECOND`` are the fraction of the second only (DuckDB
    adds the seconds)."""

    def fix(node: Any) -> Any:
        if not isinstance(node, exp.Extract):
            return node
        part, value = node.this, node.expression
        if isinstance(part, exp.WeekStart) and part.this.name.upper() in _WEEKDAYS:
            return _week(value, _WEEKDAYS.index(part.this.name.upper()))
        name = part.name.upper() if isinstance(part, exp.Var) else ""
        if name == "WEEK":
            return _week(value, 0)
        if name == "ISOWEEK":
            return _part("WEEK", value)
        if name == "DAYOFWEEK":
            return exp.Paren(this=exp.Add(this=_part("DOW", value), expression=exp.Literal.number(1)))
        if name in ("MILLISECOND", "MICROSECOND"):
            scale = 1000 if name == "MILLISECOND" else 1000000
            return exp.Paren(this=exp.Mod(this=node.copy(), expression=exp.Literal.number(scale)))
        return node

    return tree.transform(fix)
