"""DOP's BigQuery function library: functions with BigQuery's meaning, installed on the engines.

Where DuckDB or PostgreSQL has no function that means what a BigQuery function means (``UPPER`` of BYTES,
``SPLIT`` with BigQuery's rules for an empty delimiter, ``HLL_COUNT.MERGE``...), DOP's translation calls a
function of this library instead (:func:`call`). Each one is documented with the BigQuery semantics it
implements (docs/bigquery-sql.md lists them) and tested on the engine.

- On DuckDB the library is SQL macros (``CREATE TEMP MACRO dop_bq_<name>``, overloaded by argument type
  where BigQuery's function is) and, where SQL cannot express the semantics exactly, Python functions
  registered on the connection (``create_function``). :func:`~dop_core.sql.library.duckdb_connection.install_duckdb`
  gives a connection that installs them as its statements need them; every DuckDB connection DOP opens (its
  engine, ``dop test``, the benchmark) is one.
- On PostgreSQL the library is SQL and PL/pgSQL functions in the schema ``dop_bq``, created once per
  database and replaced when the library's version changes (:func:`postgres_statements`).

The definitions live in the modules of ``LIBRARY_MODULES``; importing this package imports neither sqlglot
nor an engine's client.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

#: DuckDB names of the library's functions start with this
DUCKDB_PREFIX = "dop_bq_"
#: the PostgreSQL schema holding the library's functions
POSTGRES_SCHEMA = "dop_bq"

LIBRARY_MODULES = ("strings", "aggregates", "quantile_sketches", "percentiles", "arithmetic", "trigonometry",
                   "json_values", "conversions", "json_mutators", "intervals", "zones", "regexps", "formatting",
                   "hashes", "codes", "postgres")


class BigQueryError(ValueError):
    """An error a library function raises where BigQuery raises one (the message is BigQuery's)."""


@dataclass(frozen=True)
class Definition:
    """One library function on one engine.

    ``sql`` is, on DuckDB, a macro's overloads (``(a VARCHAR) AS ..., (a BLOB) AS ...``) and, on PostgreSQL,
    what follows ``CREATE OR REPLACE FUNCTION dop_bq.<name>`` (arguments, RETURNS, LANGUAGE, body); a
    PostgreSQL function may have several (overloads). ``python`` is a DuckDB Python function instead of a
    macro, with its parameter and return types; unless ``nulls`` it is not called with a NULL argument
    (the result is NULL).
    """

    name: str
    engine: str
    doc: str
    sql: tuple[str, ...] = ()
    python: Callable[..., Any] | None = None
    params: tuple[str, ...] = ()
    returns: str = ""
    nulls: bool = False
    #: on PostgreSQL, what ``sql`` creates: ``FUNCTION`` or ``AGGREGATE``
    kind: str = "FUNCTION"


_DEFINITIONS: dict[tuple[str, str], Definition] = {}


def _register(definition: Definition) -> None:
    key = (definition.engine, definition.name)
    if key in _DEFINITIONS:
        raise ValueError(f"library function {definition.name} is defined twice for {definition.engine}")
    _DEFINITIONS[key] = definition


def duckdb_macro(name: str, doc: str, *overloads: str) -> None:
    """Define ``dop_bq_<name>`` on DuckDB as a macro with these overloads (``(a BLOB) AS expr``)."""
    _register(Definition(name, "duckdb", doc.strip(), sql=overloads))


def duckdb_python(name: str, params: Sequence[str], returns: str, nulls: bool = False
                  ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Define ``dop_bq_<name>`` on DuckDB as the decorated Python function (its docstring is the doc)."""

    def define(function: Callable[..., Any]) -> Callable[..., Any]:
        _register(Definition(name, "duckdb", (function.__doc__ or "").strip(), python=function,
                             params=tuple(params), returns=returns, nulls=nulls))
        return function

    return define


def postgres_function(name: str, doc: str, *signatures: str) -> None:
    """Define ``dop_bq.<name>`` on PostgreSQL: each signature is ``(args) RETURNS type LANGUAGE ... AS $$...$$``."""
    _register(Definition(name, "postgres", doc.strip(), sql=signatures))


def postgres_aggregate(name: str, doc: str, *signatures: str) -> None:
    """Define the aggregate ``dop_bq.<name>`` on PostgreSQL: each signature is ``(args) (SFUNC = ..., ...)``."""
    _register(Definition(name, "postgres", doc.strip(), sql=signatures, kind="AGGREGATE"))


def definitions(engine: str | None = None) -> list[Definition]:
    """Every library function (of ``engine``), in definition order."""
    for module in LIBRARY_MODULES:
        importlib.import_module(f"dop_core.sql.library.{module}")
    return [d for d in _DEFINITIONS.values() if engine is None or d.engine == engine]


def has(target: str, name: str) -> bool:
    definitions()
    return (target, name) in _DEFINITIONS


def call(target: str, name: str, *args: Any) -> Any:
    """A sqlglot call of library function ``name`` on ``target`` with ``args`` (expressions)."""
    from sqlglot import exp

    if not has(target, name):
        raise KeyError(f"the BigQuery function library has no {name} on {target}")
    if target == "postgres":
        return exp.Dot(this=exp.to_identifier(POSTGRES_SCHEMA),
                       expression=exp.Anonymous(this=name, expressions=list(args)))
    return exp.Anonymous(this=DUCKDB_PREFIX + name, expressions=list(args))


# -- PostgreSQL -----------------------------------------------------------------------------------

def postgres_statements() -> list[str]:
    """The statements that create (or replace) the library on a PostgreSQL database."""
    out = [f"CREATE SCHEMA IF NOT EXISTS {POSTGRES_SCHEMA}"]
    for item in definitions("postgres"):
        out += [f"CREATE OR REPLACE {item.kind} {POSTGRES_SCHEMA}.{item.name}{signature}" for signature in item.sql]
    out.append(f"CREATE OR REPLACE FUNCTION {POSTGRES_SCHEMA}.library_version() RETURNS text LANGUAGE sql "
               f"IMMUTABLE AS $$ SELECT '{version()}'::text $$")
    return out


def install_postgres_library(con: Any) -> None:
    """Create (or replace) the library on the database of ``con`` (a psycopg connection in autocommit
    mode) unless the installed one is this version. Concurrent installs wait for each other (an advisory
    lock); a database where the connection may not create the schema is left without the library (the
    functions it would call are then missing, an error naming them)."""
    current = version()

    def installed() -> bool:  # (never an error: it runs inside the installing transaction too)
        found = con.execute(f"SELECT to_regprocedure('{POSTGRES_SCHEMA}.library_version()') IS NOT NULL").fetchone()
        return bool(found[0]) and bool(
            con.execute(f"SELECT {POSTGRES_SCHEMA}.library_version() = %s", [current]).fetchone()[0])

    try:
        if installed():
            return
        con.execute("BEGIN")
        con.execute("SELECT pg_advisory_xact_lock(hashtext('dop_bq library'))")
        if not installed():
            for statement in postgres_statements():
                con.execute(statement.encode())
        con.execute("COMMIT")
    except Exception:
        with contextlib.suppress(Exception):
            con.execute("ROLLBACK")


def version() -> str:
    """A digest of every definition: installed libraries of another version are replaced."""
    digest = hashlib.sha256()
    for item in definitions():
        digest.update(repr((item.name, item.engine, item.sql, item.params, item.returns, item.nulls,
                            _code(item.python))).encode())
    return digest.hexdigest()[:16]


def _code(function: Callable[..., Any] | None) -> tuple[Any, ...]:
    code = getattr(function, "__code__", None)
    return (code.co_code, repr(code.co_consts)) if code is not None else ()


def docs_table() -> str:
    """The library's functions as the Markdown table docs/bigquery-sql.md shows (tests keep them equal)."""
    rows: dict[str, tuple[list[str], str]] = {}
    for item in definitions():
        engines = rows.setdefault(item.name, ([], " ".join(item.doc.split())))[0]
        engines.append({"duckdb": "DuckDB", "postgres": "PostgreSQL"}.get(item.engine, item.engine))
    lines = ["| function | engines | BigQuery semantics |", "|---|---|---|"]
    lines += [f"| `{name}` | {', '.join(engines)} | {doc.replace('|', '&#124;')} |"
              for name, (engines, doc) in rows.items()]
    return "\n".join(lines)
