"""Rules for BigQuery's DATE, DATETIME and TIMESTAMP functions."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

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
