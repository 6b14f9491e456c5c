"""BigQuery's INTERVAL on DuckDB: its text forms (parsed and printed), its range, ``JUSTIFY_*`` and
``MAKE_INTERVAL``.

A BigQuery INTERVAL has three parts, as DuckDB's has: months, days and a time (microseconds here), each
with its own sign. DuckDB keeps the parts apart too, but spells them otherwise (``'1 year 2 mons 3 days
04:05:06'``), parses neither of BigQuery's text forms and has no ``JUSTIFY_*``. The Python functions below
work on the three parts (:func:`parse` and :func:`spell` are also used by the translation for literals);
they answer with DuckDB's spelling of the parts (``'14 months 3 days 14706000000 microseconds'``), which the
macros cast to INTERVAL.
"""

from __future__ import annotations

import re

from dop_core.sql.library import BigQueryError, duckdb_macro, duckdb_python

_UNITS = ("YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND")
_MICROS = {"HOUR": 3_600_000_000, "MINUTE": 60_000_000, "SECOND": 1_000_000}
_DAY_MICROS = 86_400_000_000
#: BigQuery's range of each part: 10000 years of months, days, and hours as microseconds
_LIMITS = (("months", 120_000), ("days", 3_660_000), ("microseconds", 87_840_000 * 3_600_000_000))


def _span_pattern(first: str, last: str) -> re.Pattern[str]:
    """The text of an ``INTERVAL '...' <first> TO <last>`` literal: ``[-]Y-M [-]D [-]H:M:S[.F]`` cut to
    the span (the year-month part has one sign, the days their own, the time one sign)."""
    units = _UNITS[_UNITS.index(first):_UNITS.index(last) + 1]
    pieces = []
    if first == "YEAR":
        pieces.append(r"(?P<ms>[-+])?(?P<YEAR>\d+)-(?P<MONTH>\d+)")
    elif first == "MONTH":
        pieces.append(r"(?P<ms>[-+])?(?P<MONTH>\d+)")
    if "DAY" in units:
        pieces.append(r"(?P<DAY>[-+]?\d+)")
    clock = [u for u in units if u in _MICROS]
    if clock:
        fraction = r"(?:\.(?P<f>\d+))?" if "SECOND" in clock else ""
        pieces.append("(?P<ts>[-+])?" + ":".join(rf"(?P<{u}>\d+)" for u in clock) + fraction)
    return re.compile(" ".join(pieces))


def _fraction(digits: str | None, text: str) -> int:
    """Microseconds of a second's fraction (up to 9 digits; nanoseconds cannot be held on DuckDB)."""
    if not digits:
        return 0
    if len(digits) > 9:
        raise BigQueryError(f"Invalid INTERVAL value '{text}'")
    if digits[6:].strip("0"):
        raise BigQueryError(f"INTERVAL value '{text}' has nanoseconds, which DuckDB's INTERVAL cannot hold")
    return int(digits[:6].ljust(6, "0"))


def _from_span(text: str, first: str, last: str) -> tuple[int, int, int]:
    match = _span_pattern(first, last).fullmatch(text)
    if match is None:
        raise BigQueryError(f"Invalid INTERVAL value '{text}'")
    part = {u: int(match.groupdict().get(u) or 0) for u in _UNITS}
    months = (part["YEAR"] * 12 + part["MONTH"]) * (-1 if match.groupdict().get("ms") == "-" else 1)
    micros = sum(part[u] * m for u, m in _MICROS.items()) + _fraction(match.groupdict().get("f"), text)
    return months, part["DAY"], micros * (-1 if match.groupdict().get("ts") == "-" else 1)


#: the span of BigQuery's text form, by its count of spaces, colons, and dashes after a digit
_SHAPES = {(2, 2, 1): ("YEAR", "SECOND"), (2, 1, 1): ("YEAR", "MINUTE"), (2, 0, 1): ("YEAR", "HOUR"),
           (1, 0, 1): ("YEAR", "DAY"), (0, 0, 1): ("YEAR", "MONTH"), (2, 0, 0): ("MONTH", "HOUR"),
           (2, 1, 0): ("MONTH", "MINUTE"), (2, 2, 0): ("MONTH", "SECOND"), (1, 1, 0): ("DAY", "MINUTE"),
           (1, 2, 0): ("DAY", "SECOND"), (0, 2, 0): ("HOUR", "SECOND")}
_ISO_PART = re.compile(r"(-?)(\d+)(?:[.,](\d*))?([YMWDHS])")


def _from_iso8601(text: str) -> tuple[int, int, int]:
    """``P[nY][nM][nW][nD][T[nH][nM][n[.f]S]]``, parts negative, repeated or in any order (GoogleSQL's
    reading of ISO 8601 durations); only seconds have a fraction."""
    months = days = micros = 0
    rest, clock = text[1:], False
    if not rest:
        raise BigQueryError(f"Invalid INTERVAL value '{text}'")
    while rest:
        if rest[0] == "T" and not clock:
            clock, rest = True, rest[1:]
            continue
        match = _ISO_PART.match(rest)
        if match is None or (match[3] is not None and (match[4] != "S" or not clock)):
            raise BigQueryError(f"Invalid INTERVAL value '{text}'")
        sign = -1 if match[1] else 1
        number, unit = int(match[2]) * sign, match[4]
        if not clock and unit in "YMWD":
            months += {"Y": 12, "M": 1}.get(unit, 0) * number
            days += {"W": 7, "D": 1}.get(unit, 0) * number
        elif clock and unit in "HMS":
            micros += number * _MICROS[{"H": "HOUR", "M": "MINUTE", "S": "SECOND"}[unit]]
            micros += sign * _fraction(match[3], text)
        else:
            raise BigQueryError(f"Invalid INTERVAL value '{text}'")
        rest = rest[match.end():]
    return months, days, micros


def parse(text: str, first: str = "", last: str = "") -> tuple[int, int, int]:
    """(months, days, microseconds) of BigQuery's INTERVAL text: of the span ``first TO last`` (an
    ``INTERVAL '...' <first> TO <last>`` literal), else either text form a cast reads (``'Y-M D H:M:S'`` cut
    to any span, or ISO 8601's ``'P1Y2M3DT4H5M6.5S'``)."""
    if first:
        return _from_span(text, first.upper(), last.upper())
    if text.startswith("P"):
        return _from_iso8601(text)
    shape = (text.count(" "), text.count(":"), len(re.findall(r"(?<=\d)-", text)))
    if shape not in _SHAPES or text != text.strip():
        raise BigQueryError(f"Invalid INTERVAL value '{text}'")
    return _from_span(text, *_SHAPES[shape])


def spell(months: int, days: int, micros: int) -> str:
    """DuckDB's spelling of an interval of these parts; a part beyond BigQuery's range is its error."""
    for (name, limit), value in zip(_LIMITS, (months, days, micros), strict=True):
        if abs(value) > limit:
            raise BigQueryError(f"Interval field {name} '{value}' is out of range {-limit} to {limit}")
    return f"{months} months {days} days {micros} microseconds"


@duckdb_python("interval_parse", ["VARCHAR"], "VARCHAR")
def interval_parse(text: str) -> str:
    """``CAST(string AS INTERVAL)``'s reading (``'Y-M D H:M:S[.F]'`` cut to any span, or ISO 8601's
    ``'P1Y2M3DT4H5M6.789S'``) as DuckDB's spelling of the parts; other text is BigQuery's error."""
    return spell(*parse(text))


@duckdb_python("interval_spell", ["HUGEINT", "HUGEINT", "HUGEINT"], "VARCHAR")
def interval_spell(months: int, days: int, micros: int) -> str:
    """DuckDB's spelling of the interval of these parts (months, days, microseconds); a part past BigQuery's
    range (10000 years of months, 3660000 days, 87840000 hours) is BigQuery's error."""
    return spell(months, days, micros)


@duckdb_python("interval_format", ["BIGINT", "BIGINT", "BIGINT"], "VARCHAR")
def interval_format(months: int, days: int, micros: int) -> str:
    """BigQuery's text of an interval of these parts: ``[-]Y-M D [-]H:M:S[.fff[fff]]`` (the fraction in
    groups of three digits, none when it is 0)."""
    whole, fraction = divmod(abs(micros), 1_000_000)
    hours, rest = divmod(whole, 3600)
    text = (f"{'-' if months < 0 else ''}{abs(months) // 12}-{abs(months) % 12} {days} "
            f"{'-' if micros < 0 else ''}{hours}:{rest // 60}:{rest % 60}")
    if fraction:
        text += f".{fraction // 1000:03d}" if fraction % 1000 == 0 else f".{fraction:06d}"
    return text


def _truncated(a: int, b: int) -> int:
    """``a / b`` rounded toward zero (the remainder keeps ``a``'s sign), exactly for any size."""
    quotient = abs(a) // abs(b)
    return quotient if (a < 0) == (b < 0) else -quotient


@duckdb_python("interval_divide", ["HUGEINT", "HUGEINT", "HUGEINT", "BIGINT"], "VARCHAR")
def interval_divide(months: int, days: int, micros: int, count: int) -> str:
    """``interval / n`` (of an interval's parts) and ``AVG(interval)`` (of the sums of the parts and the
    count), as BigQuery divides: the months divided (rounded toward zero), their remainder carried as 30-day
    months into the days, the days' remainder as 24-hour days into the time, the microseconds rounded
    toward zero."""
    if count == 0:
        raise BigQueryError("Interval division by zero")
    whole_months = _truncated(months, count)
    days += (months - whole_months * count) * 30
    whole_days = _truncated(days, count)
    micros += (days - whole_days * count) * _DAY_MICROS
    return spell(whole_months, whole_days, _truncated(micros, count))


@duckdb_python("interval_justify", ["BIGINT", "BIGINT", "BIGINT", "VARCHAR"], "VARCHAR")
def interval_justify(months: int, days: int, micros: int, parts: str) -> str:
    """``JUSTIFY_HOURS`` (``parts`` 'hours': 24 hours make a day), ``JUSTIFY_DAYS`` ('days': 30 days make a
    month) and ``JUSTIFY_INTERVAL`` ('both'), with the parts made one sign as BigQuery (and PostgreSQL) do."""

    def carry(big: int, small: int, size: int) -> tuple[int, int]:
        whole = _truncated(small, size)
        return big + whole, small - whole * size

    if parts in ("hours", "both"):
        days, micros = carry(days, micros, _DAY_MICROS)
    if parts in ("days", "both"):
        months, days = carry(months, days, 30)
        if months > 0 and (days < 0 or (parts == "both" and days == 0 and micros < 0)):
            months, days = months - 1, days + 30
        elif months < 0 and (days > 0 or (parts == "both" and days == 0 and micros > 0)):
            months, days = months + 1, days - 30
    if parts in ("hours", "both"):
        if days > 0 and micros < 0:
            days, micros = days - 1, micros + _DAY_MICROS
        elif days < 0 and micros > 0:
            days, micros = days + 1, micros - _DAY_MICROS
    return spell(months, days, micros)


_MONTHS = "(datepart('year', i) * 12 + datepart('month', i))"
_DAYS = "datepart('day', i)"
_TIME = "(datepart('hour', i) * 3600000000 + datepart('minute', i) * 60000000 + datepart('microseconds', i))"

duckdb_macro("interval_months", "An INTERVAL's months (its years counted as 12).", f"(i) AS {_MONTHS}")
duckdb_macro("interval_micros", "An INTERVAL's time part, in microseconds.", f"(i) AS {_TIME}")
duckdb_macro("interval_of", """The INTERVAL of these parts (months, days, microseconds); a part past BigQuery's range
is its error.""", "(m, d, us) AS CAST(dop_bq_interval_spell(m, d, us) AS INTERVAL)")
duckdb_macro("parse_interval", """``CAST(string AS INTERVAL)``: BigQuery's text forms (``'Y-M D H:M:S'`` cut to any
span, ISO 8601's ``'P1Y2M3DT4H5M6S'``); other text is BigQuery's error.""",
             "(s) AS CAST(dop_bq_interval_parse(s) AS INTERVAL)")
duckdb_macro("interval_text", """``CAST(interval AS STRING)``: BigQuery's text ``[-]Y-M D [-]H:M:S[.F]`` (DuckDB
spells ``1 year 2 months 3 days 04:05:06``).""",
             f"(i) AS dop_bq_interval_format({_MONTHS}, {_DAYS}, {_TIME})")
duckdb_macro("interval_divided", "``interval / n``: see ``interval_divide``.",
             f"(i, n) AS CAST(dop_bq_interval_divide({_MONTHS}, {_DAYS}, {_TIME}, n) AS INTERVAL)")
for _name, _parts in (("justify_hours", "hours"), ("justify_days", "days"), ("justify_interval", "both")):
    duckdb_macro(_name, f"``{_name.upper()}(interval)``: see ``interval_justify``.",
                 f"(i) AS CAST(dop_bq_interval_justify({_MONTHS}, {_DAYS}, {_TIME}, '{_parts}') AS INTERVAL)")
duckdb_macro("make_interval", """``MAKE_INTERVAL(year, month, day, hour, minute, second)``: each part as given (not
carried into the next), within BigQuery's range.""",
             "(y, mo, d, h, mi, s) AS dop_bq_interval_of(y * 12 + mo, d, "
             "h * 3600000000 + mi * 60000000 + s * 1000000)")
