"""Rules for BigQuery's DATE, DATETIME and TIMESTAMP functions."""

from __future__ import annotations

import re
from typing import Any

from sqlglot import exp

from dop_core.sql import UnsupportedSqlError
from dop_core.sql.rules import rule


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


_SPAN = re.compile(r"\s*(?P<ys>[-+]?)(?P<y>\d+)-(?P<m>\d+)\s+(?P<d>[-+]?\d+)\s+(?P<hs>[-+]?)(?P<h>\d+):(?P<mi>\d+):"
                   r"(?P<s>\d+(?:\.\d{1,6})?)\s*$")


@rule("duckdb", "postgres")
def interval_year_to_second(tree: Any, target: str) -> Any:
    """``INTERVAL 'Y-M D H:M:S[.F]' YEAR TO SECOND`` is one interval of years-months, days and a time
    of day, each part with its own sign. sqlglot passed the range form through, which DuckDB and
    PostgreSQL cannot parse; the literal is spelled as ``INTERVAL '<y> years <m> months <d> days
    <h> hours <mi> minutes <s> seconds'``. Other spans (e.g. ``DAY TO HOUR``) are refused, naming them."""

    def fix(node: Any) -> Any:
        unit = node.args.get("unit") if isinstance(node, exp.Interval) else None
        if not isinstance(unit, exp.IntervalSpan):
            return node
        span = f"{unit.this.name} TO {unit.expression.name}".upper()
        literal = node.this
        match = _SPAN.match(literal.this) if isinstance(literal, exp.Literal) and literal.is_string else None
        if span != "YEAR TO SECOND" or match is None:
            raise UnsupportedSqlError(f"INTERVAL ... {span} with this value cannot be expressed on {target}",
                                      construct="INTERVAL")
        months = (int(match["y"]) * 12 + int(match["m"])) * (-1 if match["ys"] == "-" else 1)
        sign = "-" if match["hs"] == "-" else ""
        text = (f"{months} months {int(match['d'])} days {sign}{int(match['h'])} hours {sign}{int(match['mi'])} "
                f"minutes {sign}{match['s']} seconds")
        return exp.Interval(this=exp.Literal.string(text))

    return tree.transform(fix)
