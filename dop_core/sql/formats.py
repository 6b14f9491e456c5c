"""Rules for BigQuery's ``CAST(... FORMAT '...' [AT TIME ZONE ...])`` (read as written by
``dop_core.sql.grammar``)."""

from __future__ import annotations

import re
from typing import Any

from sqlglot import exp

from dop_core.sql import UnsupportedSqlError, library
from dop_core.sql.dates import fixed_offset, local_time
from dop_core.sql.inference import is_type
from dop_core.sql.rules import rewrite, rule

_T = exp.DataType.Type
_TEXT = (_T.TEXT, _T.VARCHAR)
_BYTES = (_T.VARBINARY, _T.BINARY)
_TEMPORAL = (_T.DATE, _T.DATETIME, _T.TIMESTAMP, _T.TIMESTAMPTZ, _T.TIME)

#: GoogleSQL date/time format elements (longest first) and strftime's
_DATETIME_ELEMENTS = [("YYYY", "%Y"), ("MONTH", "%B"), ("MON", "%b"), ("HH24", "%H"), ("HH12", "%I"),
                      ("FF3", "%g"), ("FF6", "%f"), ("FF9", "%n"), ("DAY", "%A"), ("DY", "%a"), ("MM", "%m"),
                      ("DD", "%d"), ("HH", "%I"), ("MI", "%M"), ("SS", "%S"), ("YY", "%y"), ("AM", "%p"),
                      ("PM", "%p"), ("TZH", None), ("TZM", None)]
_ELEMENT = re.compile("|".join(re.escape(e) for e, _ in _DATETIME_ELEMENTS) + r'|"[^"]*"|[-/,.;: ]', re.I)
_YEARS, _MONTHS = {"YYYY", "YY"}, {"MM", "MON", "MONTH"}
_NAMES = {"MONTH", "MON", "DAY", "DY"}


@rule("duckdb")
def cast_with_format(tree: Any, target: str) -> Any:
    """``CAST(bytes AS STRING FORMAT f)`` and ``CAST(string AS BYTES FORMAT f)`` with BigQuery's BASE2,
    BASE8, BASE16/HEX, BASE32, BASE64, BASE64M, ASCII and UTF8 (any case; ``f`` may be any expression: an
    invalid one is BigQuery's error) through the library (``SAFE_CAST``: NULL). ``CAST(date|datetime|time|
    timestamp AS STRING FORMAT 'YYYY-MM-DD')`` formats with GoogleSQL's elements (YYYY, YY, MM, MON, MONTH,
    DD, DAY, DY, HH24, HH12, MI, SS, FF3/FF6/FF9, AM/PM, and TZH/TZM of a fixed-offset ``AT TIME ZONE``; a
    name in the case of its element: ``DAY`` is ``THURSDAY``, ``Day`` ``Thursday``),
    a TIMESTAMP in the ``AT TIME ZONE`` zone; ``CAST('2024-03-05' AS DATE|DATETIME|TIME|TIMESTAMP FORMAT
    ...)`` parses one (a year or month the format lacks is the current one, as on BigQuery; a TIMESTAMP in
    the ``AT TIME ZONE`` zone). sqlglot read only literal formats, turned every temporal cast into a
    TIMESTAMP and dropped the time zone. A NULL value, format or zone gives NULL. Other formats (numbers' ``'999'``,
    a date format that is not a literal) are an error naming ``FORMAT``."""

    def fix(node: Any) -> Any:
        if not isinstance(node, exp.Cast) or node.args.get("format") is None:
            return node
        fmt, zone = node.args["format"], None
        if isinstance(fmt, exp.AtTimeZone):
            fmt, zone = fmt.this, fmt.args.get("zone")
        value, to, safe = node.this, node.to, isinstance(node, exp.TryCast)
        if _is_null(fmt) or _is_null(value) or (zone is not None and _is_null(zone)):
            return exp.cast(exp.null(), to.copy())
        if to.this in _TEXT and is_type(value, "VARBINARY", "BINARY"):
            out = library.call(target, "bytes_to_text", value, exp.cast(fmt, "VARCHAR"))
        elif to.this in _BYTES:
            out = library.call(target, "text_to_bytes", exp.cast(value, "VARCHAR"), exp.cast(fmt, "VARCHAR"))
        elif not (isinstance(fmt, exp.Literal) and fmt.is_string):
            raise _error("a FORMAT that is not a string literal")
        elif to.this in _TEXT and is_type(value, "DATE", "DATETIME", "TIMESTAMP", "TIMESTAMPTZ", "TIME"):
            out = _format(value, fmt.this, zone)
        elif to.this in _TEMPORAL:
            out = _parse(value, fmt.this, to, zone)
        else:
            raise _error(f"FORMAT {fmt.this!r} for a cast to {to.sql('bigquery')}")
        return exp.func("TRY", out) if safe else out

    return rewrite(tree, fix)


def _is_null(node: Any) -> bool:
    return isinstance(node, exp.Null) or (isinstance(node, exp.Cast) and isinstance(node.this, exp.Null))


def _elements(fmt: str, zone: Any) -> tuple[list[tuple[str, str]], set[str]]:
    """strftime's spelling of a GoogleSQL format, in pieces with the case each is printed in (``upper``,
    ``lower`` or ``''`` as strftime prints it: a name element's case follows its spelling, ``MONTH`` is
    ``JANUARY``, ``Month`` is ``January``), and the elements it has (upper case)."""
    out: list[tuple[str, str]] = []
    found, pos = set(), 0
    offset = fixed_offset(zone) if zone is not None else None
    for match in _ELEMENT.finditer(fmt):
        if match.start() != pos:
            raise _error(f"format element {fmt[pos:match.start()]!r} in {fmt!r}")
        token, pos = match.group(), match.end()
        element = token.upper()
        if element in ("TZH", "TZM"):
            if offset is None:
                raise _error(f"{element} without a fixed-offset AT TIME ZONE")
            sign, minutes = "-" if offset < 0 else "+", abs(offset)
            out.append((f"{sign}{minutes // 60:02d}" if element == "TZH" else f"{minutes % 60:02d}", ""))
        else:
            mapped = dict(_DATETIME_ELEMENTS).get(element)
            case = "" if element not in _NAMES else "upper" if token.isupper() else "lower" if token.islower() else ""
            out.append((mapped, case) if mapped else (token.strip('"').replace("%", "%%"), ""))
        found.add(element)
    if pos != len(fmt):
        raise _error(f"format element {fmt[pos:]!r} in {fmt!r}")
    return out, found


def _format(value: Any, fmt: str, zone: Any) -> Any:
    pieces, _ = _elements(fmt, zone)
    if is_type(value, "TIMESTAMPTZ"):
        value = local_time(value, zone) if zone is not None else exp.cast(value, "TIMESTAMP")
    elif is_type(value, "TIME"):  # DuckDB's strftime has no TIME: the time of day on some date
        value = exp.Add(this=exp.cast(exp.Literal.string("1970-01-01"), "DATE"), expression=value)
    runs: list[tuple[str, str]] = []  # consecutive pieces printed in the same case
    for pattern, case in pieces:
        if runs and runs[-1][1] == case:
            runs[-1] = (runs[-1][0] + pattern, case)
        else:
            runs.append((pattern, case))
    parts = [exp.func(case, exp.func("strftime", value.copy(), exp.Literal.string(pattern))) if case else
             exp.func("strftime", value.copy(), exp.Literal.string(pattern)) for pattern, case in runs]
    if not parts:  # an empty format prints nothing
        return exp.Case(ifs=[exp.If(this=exp.Is(this=value, expression=exp.null()), true=exp.null())],
                        default=exp.Literal.string(""))
    out: Any = parts[0]
    for part in parts[1:]:
        out = exp.DPipe(this=out, expression=part)
    return out


def _parse(value: Any, fmt: str, to: Any, zone: Any) -> Any:
    pieces, found = _elements(fmt, None)
    pattern = "".join(p for p, _ in pieces)
    text = exp.cast(value, "VARCHAR")
    parsed: Any = exp.func("strptime", text, exp.Literal.string(pattern)) if pattern else exp.Case(
        ifs=[exp.If(this=exp.EQ(this=text, expression=exp.Literal.string("")),
                    true=exp.cast(exp.Literal.string("1900-01-01"), "TIMESTAMP"))],
        default=library.call("duckdb", "error", exp.Literal.string("Mismatch between the input and an empty format")))
    if to.this != _T.TIME:  # BigQuery's default year and month are the current ones (strptime's: 1900-01)
        today = exp.CurrentDate()
        if not found & _YEARS:
            parsed = exp.Add(this=parsed, expression=exp.func("to_years", exp.Sub(
                this=exp.Extract(this=exp.var("YEAR"), expression=today), expression=exp.Literal.number(1900))))
        if not found & _MONTHS:
            parsed = exp.Add(this=parsed, expression=exp.func("to_months", exp.Sub(
                this=exp.Extract(this=exp.var("MONTH"), expression=today.copy()), expression=exp.Literal.number(1))))
    if to.this == _T.TIMESTAMPTZ:
        if zone is None:
            return exp.cast(parsed, "TIMESTAMPTZ")
        offset = fixed_offset(zone)
        if offset is not None:
            parsed = exp.Sub(this=parsed, expression=exp.Interval(this=exp.Literal.string(f"{offset} minutes")))
            zone = exp.Literal.string("UTC")
        return exp.func("timezone", zone, parsed)
    return exp.cast(parsed, to.copy())


def _error(what: str) -> UnsupportedSqlError:
    return UnsupportedSqlError(f"CAST ... FORMAT with {what} cannot be expressed here", construct="FORMAT")
