"""Rules for BigQuery's INTERVAL: literals of every span, casts from and to STRING, ``MAKE_INTERVAL``,
``JUSTIFY_*``, and ``SUM``/``AVG`` of intervals."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dop_core.sql import UnsupportedSqlError, library
from dop_core.sql.inference import TYPE, is_type
from dop_core.sql.library import BigQueryError
from dop_core.sql.rules import rewrite, rewrite_aggregates, rule


@rule("duckdb", "postgres")
def interval_literals_of_every_span(tree: Any, target: str) -> Any:
    """``INTERVAL '<text>' <from> TO <to>`` (``YEAR TO SECOND``, ``MONTH TO DAY``, ``DAY TO SECOND``,
    ``HOUR TO MINUTE``...) is one interval of months, days and a time, in BigQuery's text
    ``[-]Y-M [-]D [-]H:M:S[.F]`` cut to the span (the year-month part, the days and the time each with its
    own sign). sqlglot passed the range form through, which DuckDB and PostgreSQL cannot parse; the literal
    is spelled as its parts, ``INTERVAL '<m> months <d> days <us> microseconds'``. A text that does not fit
    its span is BigQuery's error, at translation. So is ``INTERVAL '<s.f>' SECOND`` (DuckDB rounded a
    fraction past microseconds, which is refused here)."""

    def fix(node: Any) -> Any:
        unit = node.args.get("unit") if isinstance(node, exp.Interval) else None
        literal = node.this
        if isinstance(unit, exp.Var) and unit.name.upper() == "SECOND" and isinstance(literal, exp.Literal) \
                and literal.is_string and "." in literal.this:
            unit = exp.IntervalSpan(this=unit.copy(), expression=unit.copy())
        if not isinstance(unit, exp.IntervalSpan):
            return node
        span = unit.this.name.upper() if unit.this.name == unit.expression.name else \
            f"{unit.this.name} TO {unit.expression.name}".upper()
        if not (isinstance(literal, exp.Literal) and literal.is_string):
            raise UnsupportedSqlError(f"INTERVAL ... {span} of a value that is not a string literal cannot be "
                                      f"expressed on {target}", construct="INTERVAL")
        from dop_core.sql.library.intervals import parse, spell  # (the library's modules load in their order)

        try:
            parts = parse(literal.this, unit.this.name, unit.expression.name)
            return exp.Interval(this=exp.Literal.string(spell(*parts)))
        except (BigQueryError, ValueError) as exc:
            raise UnsupportedSqlError(f"INTERVAL ... {span}: {exc}", construct="INTERVAL") from None

    return tree.transform(fix)


def _interval(node: Any) -> bool:
    return isinstance(node, exp.Interval) or is_type(node, "INTERVAL")


def _to_text(node: Any) -> bool:
    return isinstance(node, exp.Cast) and node.to.this in (exp.DataType.Type.TEXT, exp.DataType.Type.VARCHAR)


@rule("duckdb")
def intervals_convert_as_bigquery(tree: Any, target: str) -> Any:
    """``CAST(interval AS STRING)`` is BigQuery's text ``[-]Y-M D [-]H:M:S[.F]`` (``0-0 0 -0:0:1``; DuckDB
    wrote ``-00:00:01``), also where ``CONCAT`` casts an interval; ``CAST(string AS INTERVAL)`` reads that text
    cut to any span and ISO 8601's ``P1Y2M3DT4H5M6S`` (DuckDB reads neither; ``SAFE_CAST``: NULL);
    ``MAKE_INTERVAL`` (also with named arguments) keeps each part as given, and a part past BigQuery's range
    is its error; ``JUSTIFY_HOURS``, ``JUSTIFY_DAYS`` and ``JUSTIFY_INTERVAL``, which DuckDB lacks. The
    library's functions."""

    def fix(node: Any) -> Any:
        new = convert(node)
        if new is not node and not _to_text(node):
            new.meta[TYPE] = exp.DataType.build("INTERVAL")
        return new

    def convert(node: Any) -> Any:
        if _to_text(node) and _interval(node.this):
            return library.call(target, "interval_text", node.this)
        if isinstance(node, exp.Cast) and node.to.this == exp.DataType.Type.INTERVAL \
                and not _interval(node.this):
            parsed = library.call(target, "parse_interval", exp.cast(node.this, "VARCHAR"))
            return exp.func("TRY", parsed) if isinstance(node, exp.TryCast) else parsed
        if isinstance(node, exp.Div) and _interval(node.this.unnest()):
            return library.call(target, "interval_divided", node.this, node.expression)
        if isinstance(node, exp.MakeInterval):
            return library.call(target, "make_interval", *_make_interval_parts(node))
        name = {exp.JustifyHours: "justify_hours", exp.JustifyDays: "justify_days",
                exp.JustifyInterval: "justify_interval"}.get(type(node))
        return library.call(target, name, node.this) if name else node

    return rewrite(tree, fix)


def _make_interval_parts(node: Any) -> list[Any]:
    """``MAKE_INTERVAL``'s year, month, day, hour, minute and second (0 where not given)."""
    given = {}
    for key, value in node.args.items():
        if isinstance(value, exp.Kwarg):
            key, value = value.this.name.lower(), value.expression
        if value is not None:
            given[key] = value
    if "week" in given:
        raise UnsupportedSqlError("MAKE_INTERVAL has no argument week", construct="MAKE_INTERVAL")
    return [given.get(part, exp.Literal.number(0)) for part in ("year", "month", "day", "hour", "minute", "second")]


@rule("postgres")
def interval_text_is_refused_on_postgres(tree: Any, target: str) -> Any:
    """``CAST(interval AS STRING)`` and ``CAST(string AS INTERVAL)`` are refused on PostgreSQL, naming
    ``INTERVAL``: its text of an interval (``1 year 2 mons``) is not BigQuery's (``1-2 0 0:0:0``), and it reads
    BigQuery's text otherwise."""
    for node in tree.find_all(exp.Cast):
        if (_to_text(node) and _interval(node.this)) or (
                node.to.this == exp.DataType.Type.INTERVAL and not _interval(node.this)):
            raise UnsupportedSqlError("INTERVAL as text (CAST between INTERVAL and STRING) cannot be expressed on "
                                      "postgres", construct="INTERVAL")
    return tree


@rule("duckdb")
def sum_and_avg_of_intervals(tree: Any, target: str) -> Any:
    """``SUM`` and ``AVG`` of INTERVALs (DuckDB has neither), also over windows: each part (months, days,
    time) summed apart, as BigQuery does; ``AVG`` divides the sums, carrying remainders of months into 30
    days and of days into 24 hours. ``SUM(DISTINCT ...)``/``AVG(DISTINCT ...)`` of intervals are refused."""

    def fix(node: Any, over: Any) -> Any:
        if not isinstance(node, exp.Sum | exp.Avg) or not _interval(node.this):
            return node
        value = node.this
        if isinstance(value, exp.Distinct):
            raise UnsupportedSqlError(f"{node.key.upper()}(DISTINCT interval) cannot be expressed on {target}",
                                      construct=node.key.upper())
        sums = [over(exp.Sum(this=part)) for part in (library.call(target, "interval_months", value.copy()),
                                                      exp.func("datepart", exp.Literal.string("day"), value.copy()),
                                                      library.call(target, "interval_micros", value.copy()))]
        if isinstance(node, exp.Sum):
            return library.call(target, "interval_of", *sums)
        count = over(exp.Count(this=value.copy()))
        average = library.call(target, "interval_divide", *sums, count)
        return exp.Case(ifs=[exp.If(this=exp.GT(this=count.copy(), expression=exp.Literal.number(0)),
                                    true=exp.cast(average, "INTERVAL"))])

    return rewrite_aggregates(tree, fix)
