"""Stored procedures on engines without BigQuery's scripting: DOP stores each body and interprets it.

A procedure is a row of ``_dop.procedures`` in the warehouse (schema, name, arguments, body, dialect);
``CALL schema.name(...)``, in an invocation's SQL or in another procedure, runs the body with the
:class:`~dop_core.sql.scripting.interpreter.Interpreter`. An invocation's whole script is one transaction:
if it fails, every table is as it was before it started.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, cast

from dop_core.config.identifiers import Relation, check_identifier
from dop_core.contract.engine import Argument, Engine
from dop_core.sql.dialects import SqlError, parse_type
from dop_core.sql.scripting import nodes as n
from dop_core.sql.scripting.interpreter import Interpreter, StoredProcedure
from dop_core.sql.scripting.parser import parse_script

STORE = Relation("_dop", "procedures")
MODES = ("IN", "OUT", "INOUT")


def check_arguments(arguments: Sequence[Argument | n.Parameter], dialect: str) -> list[n.Parameter]:
    """Each argument's name is an identifier, its type one SQL type of ``dialect``, its mode IN/OUT/INOUT."""
    out = []
    for a in arguments:
        check_identifier(a.name, "argument name")
        parse_type(a.type, dialect)
        mode = (a.mode or "IN").upper()
        if mode not in MODES:
            raise SqlError(f"argument {a.name}: mode {a.mode!r} is not one of IN, OUT, INOUT")
        out.append(n.Parameter(a.name.lower(), a.type, mode))
    return out


def save_procedure(engine: Engine, relation: Relation, arguments: Sequence[n.Parameter], body: str,
                   dialect: str) -> None:
    """Create or replace the stored procedure ``relation`` (call inside a transaction)."""
    store = engine.qualified(STORE)
    engine.create_schema(STORE.schema)
    engine.execute(f"CREATE TABLE IF NOT EXISTS {store} (schema_name VARCHAR, name VARCHAR, arguments VARCHAR, "
                   "body VARCHAR, dialect VARCHAR, PRIMARY KEY (schema_name, name))")
    engine.execute(f"DELETE FROM {store} WHERE {_key(engine, relation.schema, relation.name)}")
    described = json.dumps([{"name": a.name, "type": a.type, "mode": a.mode} for a in arguments])
    values = ", ".join(_literal(engine, v) for v in (relation.schema, relation.name, described, body, dialect))
    engine.execute(f"INSERT INTO {store} VALUES ({values})")


def load_procedure(engine: Engine, schema: str, name: str) -> StoredProcedure | None:
    if not engine.table_exists(STORE):
        return None
    rows = engine.query(f"SELECT arguments, body, dialect FROM {engine.qualified(STORE)} "
                        f"WHERE {_key(engine, schema, name)}").rows
    if not rows:
        return None
    arguments = [n.Parameter(a["name"].lower(), a["type"], a.get("mode", "IN")) for a in json.loads(rows[0][0])]
    return StoredProcedure(arguments, rows[0][1], rows[0][2])


def _key(engine: Engine, schema: str, name: str) -> str:
    """The condition finding a procedure: names compare as DuckDB and PostgreSQL compare unquoted names."""
    return (f"LOWER(schema_name) = LOWER({_literal(engine, schema)}) "
            f"AND LOWER(name) = LOWER({_literal(engine, name)})")


def _literal(engine: Engine, text: str) -> str:
    """A string literal as the engine's dialect writes it (sqlglot quotes and escapes it)."""
    from sqlglot import exp

    return str(exp.Literal.string(text).sql(dialect=engine.dialect))


def run_script(engine: Engine, sql: str, dialect: str) -> None:
    """Run ``sql`` (an invocation's script: CALLs, SQL, BigQuery scripting) in one transaction of ``engine``."""
    script = parse_script(sql, dialect)

    def store(node: n.CreateProcedure, written_in: str) -> None:
        save_procedure(engine, Relation(*node.procedure), check_arguments(node.parameters, written_in), node.body,
                       written_in)

    interpreter = Interpreter(engine, lambda schema, name: load_procedure(engine, schema, name), store)
    with engine.transaction():
        interpreter.run(script)


class InterpretedProcedures:
    """Mixed into an :class:`~dop_core.contract.engine.Engine` whose warehouse has no BigQuery scripting
    (DuckDB, PostgreSQL): ``create_procedure`` stores the body (after parsing it: a syntax error names its
    line) and ``call`` interprets the invocation's script, CALLs included, statement by statement."""

    def create_procedure(self, relation: Relation, arguments: Sequence[Argument], body: str,
                         dialect: str = "bigquery") -> None:
        engine = cast(Engine, self)
        parameters = check_arguments(arguments, dialect)
        parse_script(body, dialect, [p.name for p in parameters])
        with engine.transaction():
            save_procedure(engine, relation, parameters, body, dialect)

    def call(self, sql: str, dialect: str = "bigquery") -> Any:
        run_script(cast(Engine, self), sql, dialect)
