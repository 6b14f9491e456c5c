"""Binding variables into a statement: a name is a column where BigQuery would read a column, else the
variable's typed literal."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlglot

from dop_core.sql.dialects import SqlError, parse_type
from dop_core.sql.scripting.binding import Bindings, Value, bind

#: the columns of the tables the statements read, as the engine would report them
TABLES = {"a": {"x", "id"}, "b": {"y", "id"}}
VARIABLES = {"x": Value(7), "y": Value(5), "z": Value(1), "d": Value(dt.date(2024, 6, 1), parse_type("DATE", "bigquery")),
             "rec": Value({"word": "hi", "n": None}), "s": Value("it's")}


def bound(sql: str, **kwargs) -> str:
    bindings = Bindings(VARIABLES, lambda name: Value(3), lambda table: TABLES.get(table.name), **kwargs)
    return bind(sqlglot.parse_one(sql, read="bigquery"), bindings).sql("bigquery")


@pytest.mark.parametrize(("sql", "expected"), [
    # a column of a table, a CTE or a subquery wins over the variable of its name
    ("SELECT x, z FROM a", "SELECT x, 1 AS z FROM a"),
    ("WITH n AS (SELECT 50 AS x) SELECT x + x FROM n", "WITH n AS (SELECT 50 AS x) SELECT x + x FROM n"),
    ("SELECT y + x FROM (SELECT 1 AS y) AS t", "SELECT y + 7 FROM (SELECT 1 AS y) AS t"),
    ("SELECT a.x FROM a JOIN b ON a.id = b.id AND y > z", "SELECT a.x FROM a JOIN b ON a.id = b.id AND y > 1"),
    # a derived table sees the variables, not its siblings' columns
    ("SELECT * FROM (SELECT y) AS t JOIN a ON x = z", "SELECT * FROM (SELECT 5 AS y) AS t JOIN a ON x = 1"),
    # a correlated subquery sees the outer query's columns
    ("SELECT x FROM a WHERE id IN (SELECT id FROM b WHERE y = x)",
     "SELECT x FROM a WHERE id IN (SELECT id FROM b WHERE y = x)"),
    ("SELECT n FROM UNNEST([1]) AS n WHERE n = z", "SELECT n FROM UNNEST([1]) AS n WHERE n = 1"),
    # what is never a variable: the column an UPDATE sets, the columns a star leaves out
    ("UPDATE b SET id = x WHERE y = z", "UPDATE b SET id = 7 WHERE y = 1"),
    ("SELECT * EXCEPT (y) FROM a", "SELECT * EXCEPT (y) FROM a"),
    # a number where ORDER BY / GROUP BY would read a position stays a value
    ("SELECT id FROM a ORDER BY y DESC, id", "SELECT id FROM a ORDER BY CAST(5 AS INT64) DESC, id"),
    # typed literals; a field of a STRUCT variable; a string with a quote stays one string
    ("SELECT d", "SELECT CAST('2024-06-01' AS DATE) AS d"),
    ("SELECT rec.word, rec.n", "SELECT 'hi' AS word, NULL AS n"),
    ("SELECT CONCAT(s, '!')", "SELECT CONCAT('it\\'s', '!')"),
    ("SELECT @@row_count", "SELECT 3"),
])
def test_a_name_is_bound_where_bigquery_reads_a_variable(sql, expected):
    assert bound(sql) == expected


def test_execute_immediate_placeholders_are_bound_by_position_and_name():
    assert bound("SELECT ? * (@b + ?)", positional=[Value(1), Value(2)], named={"b": Value(3)}) == \
        "SELECT 1 * (3 + 2)"
    with pytest.raises(SqlError, match=r"@c has no value: add it to USING \(\.\.\. AS c\)"):
        bound("SELECT @c", positional=[], named={})
    with pytest.raises(SqlError, match=r"more \? placeholders than the 1 value"):
        bound("SELECT ?, ?", positional=[Value(1)], named={})


def test_a_missing_field_of_a_struct_variable_is_named():
    with pytest.raises(SqlError, match="variable rec has no field nope \\(its fields: word, n\\)"):
        bound("SELECT rec.nope")
