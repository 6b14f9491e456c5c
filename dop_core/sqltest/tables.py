"""A test's rows as typed tables of the in-memory DuckDB: each column's type is declared (``columns:``, in
the project's dialect) or taken from its values, and every name is checked before it reaches SQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import attrs

from dop_core.config.identifiers import IDENTIFIER_EXPECTED, Relation, check_identifier
from dop_core.config.sqltest import TableRows
from dop_core.contract.engine import Engine
from dop_core.errors import ConfigError, Problem

#: where a problem is, within the rows of one table: a function of the path below them
At = Callable[..., Problem]

#: a value's type: a DuckDB scalar type, ("LIST", item type) or ("STRUCT", ((field, type), ...)); None: unknown
Type = Any

_WORDS = {"BOOLEAN": "true/false", "BIGINT": "integers", "DOUBLE": "numbers", "VARCHAR": "strings",
          "DATE": "dates", "TIMESTAMP": "timestamps", "TIMESTAMPTZ": "timestamps with a time zone",
          "LIST": "lists", "STRUCT": "mappings"}
#: what a column whose values are all null holds, unless declared
UNKNOWN = "VARCHAR"
#: rows inserted by one statement
INSERT_BATCH = 500


class Conflict(ValueError):
    """Two values of one column have types no one type holds."""


def value_type(value: Any) -> Type:
    if value is None:
        return None
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return "BIGINT"
    if isinstance(value, float):
        return "DOUBLE"
    if isinstance(value, str):
        return "VARCHAR"
    if isinstance(value, dt.datetime):
        return "TIMESTAMPTZ" if value.tzinfo is not None else "TIMESTAMP"
    if isinstance(value, dt.date):
        return "DATE"
    if isinstance(value, list):
        item: Type = None
        for v in value:
            item = merge(item, value_type(v))
        return ("LIST", item)
    if isinstance(value, dict):
        return ("STRUCT", tuple((str(k), value_type(v)) for k, v in value.items()))
    raise Conflict(f"{value!r} is not a value a table holds")


def merge(a: Type, b: Type) -> Type:
    """The type holding values of types ``a`` and ``b``; Conflict when there is none."""
    if a is None or a == b:
        return b if a is None else a
    if b is None:
        return a
    if isinstance(a, str) and isinstance(b, str) and {a, b} == {"BIGINT", "DOUBLE"}:
        return "DOUBLE"
    if isinstance(a, tuple) and isinstance(b, tuple) and a[0] == b[0] == "LIST":
        return ("LIST", merge(a[1], b[1]))
    if isinstance(a, tuple) and isinstance(b, tuple) and a[0] == b[0] == "STRUCT":
        fields = dict(a[1])
        for name, typ in b[1]:
            fields[name] = merge(fields.get(name), typ)
        return ("STRUCT", tuple(fields.items()))
    raise Conflict(f"{describe(a)} and {describe(b)}")


def describe(typ: Type) -> str:
    return _WORDS[typ[0] if isinstance(typ, tuple) else typ]


def type_sql(typ: Type, quote: Callable[[str], str]) -> str:
    """``typ`` as DuckDB writes it (struct fields are checked identifiers, quoted)."""
    if typ is None:
        return UNKNOWN
    if isinstance(typ, str):
        return typ
    if typ[0] == "LIST":
        return f"{type_sql(typ[1], quote)}[]"
    fields = ", ".join(f"{quote(check_identifier(name, 'field name'))} {type_sql(t, quote)}" for name, t in typ[1])
    return f"STRUCT({fields})"


def filled(value: Any, typ: Type) -> Any:
    """``value`` with every field of its struct type present (a field a mapping leaves out is null)."""
    if value is None or not isinstance(typ, tuple):
        return value
    if typ[0] == "LIST":
        return [filled(v, typ[1]) for v in value]
    return {name: filled(value.get(name), t) for name, t in typ[1]}


@attrs.frozen
class Column:
    name: str
    #: the type as DuckDB writes it
    type: str
    #: the value type inferred from the rows (None when declared under ``columns:``)
    inferred: Type = None


def table_columns(rows: TableRows, dialect: str, at: At, quote: Callable[[str], str]) -> list[Column]:
    """The columns of ``rows``: declared ones translated from ``dialect``, the others typed by their values.

    ``at(*path)`` makes a problem at ``path`` below the rows' mapping (``("rows", 2, "amount")``)."""
    from dop_core.sql.dialects import TYPE_EXPECTED, SqlError, translate_type

    problems: list[Problem] = []
    names: dict[str, tuple[Any, ...]] = {}  # each column, and where it is first written
    for i, row in enumerate(rows.rows):
        for name in row:
            names.setdefault(name, ("rows", i, name))
    for name in rows.columns:
        names.setdefault(name, ("columns", name))
    for name, where in names.items():
        try:
            check_identifier(name, "column name")
        except ValueError as exc:
            problems.append(at(*where, message=str(exc), expected=IDENTIFIER_EXPECTED, key=True))
    declared: dict[str, str] = {}
    for name, text in rows.columns.items():
        try:
            declared[name] = translate_type(text, dialect, "duckdb")
        except SqlError as exc:
            problems.append(at("columns", name, message=exc.reason, expected=TYPE_EXPECTED))
    columns = []
    for name in names:
        if name in rows.columns:
            columns.append(Column(name, declared.get(name, UNKNOWN)))
            continue
        typ: Type = None
        for i, row in enumerate(rows.rows):
            try:
                typ = merge(typ, value_type(row.get(name)))
            except Conflict as exc:
                problems.append(at("rows", i, name, message=f"column {name!r} holds {exc}: one column has one type",
                                   expected="values of one type in a column",
                                   fix=f"write the values alike, or declare the type: columns: {{{name}: TYPE}}"))
                break
        try:
            columns.append(Column(name, type_sql(typ, quote), typ))
        except ValueError as exc:  # a struct field that is not an identifier
            problems.append(at(*names[name], message=str(exc), expected=IDENTIFIER_EXPECTED))
    if problems:
        raise ConfigError(problems)
    return columns


def create_table(engine: Engine, relation: Relation, columns: list[Column], rows: TableRows, at: At) -> None:
    """Create ``relation`` with ``columns`` and insert ``rows``; a value the column cannot hold is a problem
    at its row."""
    if not columns:
        raise ConfigError([at(message=f"table {relation} has no column: no row names one",
                              expected="rows, or the columns of an empty table",
                              fix="declare its columns: {columns: {id: INT64}, rows: []}")])
    engine.create_schema(relation.schema)
    table = engine.qualified(relation)
    engine.execute(f"CREATE TABLE {table} (" + ", ".join(f"{engine.quote(c.name)} {c.type}" for c in columns) + ")")
    head = f"INSERT INTO {table} (" + ", ".join(engine.quote(c.name) for c in columns) + ") VALUES "
    one = "(" + ", ".join("?" for _ in columns) + ")"
    con = engine.con  # type: ignore[attr-defined]  # the DuckDB connection: values are bound, never spliced
    values = [[filled(row.get(c.name), c.inferred) for c in columns] for row in rows.rows]
    try:
        for start in range(0, len(values), INSERT_BATCH):  # one statement per batch: a statement per row is slow
            batch = values[start:start + INSERT_BATCH]
            con.execute(head + ", ".join(one for _ in batch), [v for row in batch for v in row])
        return
    except Exception:
        engine.execute(f"DELETE FROM {table}")
    for i, row in enumerate(values):  # which row does not fit
        try:
            con.execute(head + one, row)
        except Exception as exc:
            raise ConfigError([at("rows", i, message=f"this row does not fit table {relation}: {first_line(exc)}",
                                  expected="values of each column's type: " + ", ".join(
                                      f"{c.name} {c.type}" for c in columns),
                                  fix="correct the value, or declare the column's type under columns:")]) from None


def first_line(exc: Exception) -> str:
    """The first line of an error's message (DuckDB's go on with context lines)."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
