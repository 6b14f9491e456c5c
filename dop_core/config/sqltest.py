"""What a unit test of a SQL task is made of: the rows its tables hold, the date, the params, the rows expected.

Read by the config structurer from ``tests/<task>.yaml`` of a DAG folder (a list of tests) or from a
task's ``tests:`` key, so a mistake is reported at its file, line and column like any config error.
Light on purpose: ``dop_core.config.models`` imports it to type ``tests:``; ``dop test``
(:mod:`dop_core.sqltest`) runs them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

ROWS_EXPECTED = "a list of rows (mappings of column: value), or {columns: {column: TYPE}, rows: [...]}"


@attrs.frozen
class TableRows:
    """The rows of one table, with the types of the columns whose type their values do not say."""

    rows: list[dict[str, Any]] = attrs.field(factory=list, metadata={
        "doc": "the rows, each a mapping of column: value (a column a row leaves out is NULL in it)"})
    columns: dict[str, str] = attrs.field(factory=dict, metadata={
        "doc": "column: TYPE in the project's SQL dialect (e.g. amount: NUMERIC) for columns whose values do "
               "not say their type; the others take the type of their values (1: INT64, 1.5: FLOAT64, 'x': "
               "STRING, 2024-06-01: DATE, true: BOOL, lists: ARRAY, mappings: STRUCT)"})


#: a table's rows: a plain list of rows, or TableRows when column types are given
Rows = TableRows | list[dict[str, Any]]


@attrs.frozen
class SqlTest:
    """One unit test of a SQL task (an item of ``tests/<task>.yaml`` or of the task's ``tests:``)."""

    name: str = attrs.field(metadata={"doc": "what the test checks (shown in the report; --select matches it)"})
    expect: list[dict[str, Any]] = attrs.field(metadata={
        "doc": "the rows the task's SQL must produce: a table's or view's rows after the run, an assertion's "
               "rows (success, description...); only the columns named are compared",
        "expected": "a list of rows (mappings of column: value)"})
    given: dict[str, Rows] = attrs.field(factory=dict, metadata={
        "doc": "the rows of each table the SQL reads, by its name as written in the SQL (e.g. "
               "retail.raw_orders): a list of rows, or {columns: {...}, rows: [...]}",
        "expected": "table name: " + ROWS_EXPECTED})
    date: dt.date | None = attrs.field(default=None, metadata={
        "doc": "the run's logical date, YYYY-MM-DD (ds); default: the DAG's start_date, else 1970-01-01"})
    params: dict[str, Any] = attrs.field(factory=dict, metadata={
        "doc": "values of the DAG's params for this run (each must fit the param's type); the others keep "
               "their config value"})
    existing: Rows | None = attrs.field(default=None, metadata={
        "doc": "table tasks: the rows the table holds before the run; given, the run is incremental "
               "(is_incremental() is true) and `expect` is the whole table after DOP replaced the partitions "
               "(or rows) the query returns", "expected": ROWS_EXPECTED})
    full_refresh: bool = attrs.field(default=False, metadata={
        "doc": "run as a full refresh: is_incremental() is false and a table is rebuilt from the query alone"})
    ordered: bool = attrs.field(default=False, metadata={
        "doc": "compare the rows in order (default: in any order)"})
    description: str | None = attrs.field(default=None, metadata={"doc": "more words about the test"})
    #: the test's index in its list
    position: int = attrs.field(default=0, alias="_position", metadata={"position": True})


def table_rows(value: Rows | None) -> TableRows | None:
    """``value`` as TableRows: a plain list of rows has no declared column types."""
    if value is None or isinstance(value, TableRows):
        return value
    return TableRows(rows=list(value))
