"""Options models of the materialization kinds that take options (udf, stored_procedure, seed), imported
only to validate a config that uses one (or to read a cached one), and their checks before a run."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import attrs

from dop_core.config.identifiers import (
    DELIMITER_EXPECTED,
    DELIMITER_SCHEMA,
    IDENTIFIER_EXPECTED,
    IDENTIFIER_SCHEMA,
    check_delimiter,
    check_identifier,
)
from dop_core.config.yaml import Path
from dop_core.contract.engine import Argument

#: a value of a task's options that SQL may not receive: where (below ``options``), what is wrong, what is expected
SqlProblem = tuple[Path, str, str]


def _argument_name(value: Any) -> str:
    return check_identifier(value, "argument name")


def _type_problems(type_sql: Any, dialect: str, path: Path, templated: bool = False) -> Iterator[SqlProblem]:
    """Nothing if ``type_sql`` is one SQL type of ``dialect`` (sqlglot's parser, strictly), else the problem."""
    from dop_core.sql.dialects import TYPE_EXPECTED, SqlError, parse_type

    try:
        parse_type(type_sql, dialect, templated)
    except SqlError as exc:
        yield path, str(exc), TYPE_EXPECTED + (" or ANY TYPE" if templated else "")


def _arguments_problems(arguments: Sequence[ArgumentSpec], dialect: str, templated: bool) -> Iterator[SqlProblem]:
    for i, argument in enumerate(arguments):
        yield from _type_problems(argument.type, dialect, ("arguments", i, "type"), templated)


@attrs.frozen
class ArgumentSpec:
    name: str = attrs.field(metadata={"parse": _argument_name, "expected": IDENTIFIER_EXPECTED,
                                      "schema": IDENTIFIER_SCHEMA})
    type: str = attrs.field(metadata={"doc": "a SQL type in the project's dialect, e.g. STRING, DATE, ANY TYPE"})


def _argument_mode(value: Any) -> str:
    if not isinstance(value, str) or value.upper() not in ("IN", "OUT", "INOUT"):
        raise ValueError(f"{value!r} is not an argument mode")
    return value.upper()


@attrs.frozen
class ProcedureArgumentSpec(ArgumentSpec):
    mode: str = attrs.field(default="IN", metadata={
        "parse": _argument_mode, "expected": "IN, OUT or INOUT",
        "doc": "IN (the caller passes a value; the default), OUT (the procedure sets the variable the caller "
               "passes) or INOUT (both), as in BigQuery's CREATE PROCEDURE"})


@attrs.frozen
class FunctionOptions:
    arguments: list[ArgumentSpec] = attrs.field(factory=list, metadata={
        "doc": "typed arguments: [{name, type}]; a type is one SQL type (ANY TYPE: a templated argument)"})
    returns: str | None = attrs.field(default=None, metadata={
        "doc": "return type, one SQL type (inferred when omitted)"})

    def sql_problems(self, dialect: str) -> Iterator[SqlProblem]:
        """Every argument or return type that is not one SQL type of ``dialect`` (checked by ``dop validate``
        and again before the function is created)."""
        yield from _arguments_problems(self.arguments, dialect, templated=True)
        if self.returns is not None:
            yield from _type_problems(self.returns, dialect, ("returns",))


@attrs.frozen
class ProcedureOptions:
    arguments: list[ProcedureArgumentSpec] = attrs.field(factory=list, metadata={
        "doc": "typed arguments: [{name, type, mode}]; a type is one SQL type, the mode IN (default), OUT or INOUT"})

    def sql_problems(self, dialect: str) -> Iterator[SqlProblem]:
        """Every argument type that is not one SQL type of ``dialect``."""
        yield from _arguments_problems(self.arguments, dialect, templated=False)


@attrs.frozen
class SeedOptions:
    path: str | None = attrs.field(default=None, metadata={
        "doc": "CSV file relative to the DAG folder (default data/<identifier>.csv), inside the project or a "
               "folder of data_paths"})
    columns: dict[str, str] | None = attrs.field(default=None, metadata={
        "doc": "column name -> type in the project's dialect (e.g. INT64, DATE, STRING); default: detected"})
    delimiter: str = attrs.field(default=",", metadata={
        "parse": check_delimiter, "expected": DELIMITER_EXPECTED, "schema": DELIMITER_SCHEMA,
        "doc": "field delimiter: one character"})
    header: bool = attrs.field(default=True, metadata={"doc": "the first line names the columns"})

    def sql_problems(self, dialect: str) -> Iterator[SqlProblem]:
        """Every column name that is not an identifier, and every type that is not one SQL type of ``dialect``."""
        for name, type_sql in (self.columns or {}).items():
            try:
                check_identifier(name, "column name")
            except ValueError as exc:
                yield ("columns", name), str(exc), IDENTIFIER_EXPECTED
                continue
            yield from _type_problems(type_sql, dialect, ("columns", name))


def check_sql_options(options: Any, dialect: str) -> None:
    """The options that reach SQL (types, column names) checked again before the task runs, as ``dop
    validate`` does (sqlglot is too heavy for Airflow's parsing): a SqlError naming the first wrong one."""
    from dop_core.sql.dialects import SqlError

    for path, message, expected in options.sql_problems(dialect):
        raise SqlError(f"options.{'.'.join(str(p) for p in path)}: {message} (expected {expected})")


def as_arguments(raw: Sequence[Any]) -> list[Argument]:
    """The typed arguments of a function or procedure as the engine takes them."""
    out = []
    for a in raw:
        if isinstance(a, dict):
            out.append(Argument(a["name"], a["type"], a.get("mode", "IN")))
        else:
            out.append(Argument(a.name, a.type, getattr(a, "mode", "IN")))
    return out
