"""The statements of a parsed script: BigQuery's procedural language around embedded SQL statements.

Every node knows where it starts in the script's text (``line``, ``column``, from 1) so that an error
points at the SQL file's line. Embedded SQL and expressions keep their text as written and the tree
sqlglot parsed from it; the interpreter binds variables into a copy of that tree each time it runs.
"""

from __future__ import annotations

from typing import Any

import attrs


@attrs.frozen
class Place:
    """Where a statement or expression is in the script's text: its first line and column (from 1), and
    the offsets of its first and past its last character (``text[start:end]`` is the statement)."""

    line: int
    column: int
    start: int = 0
    end: int = 0


@attrs.frozen
class Expr:
    """An expression as written (``text``) and as sqlglot parsed it (``tree``)."""

    text: str
    tree: Any
    at: Place


@attrs.frozen
class Sql:
    """One SQL statement (query, DML, DDL) run on the engine with the variables bound."""

    text: str
    tree: Any
    at: Place


@attrs.frozen
class Declare:
    names: list[str]
    type: Any  # sqlglot DataType in the script's dialect, or None (the DEFAULT's type)
    default: Expr | None
    at: Place


@attrs.frozen
class Assign:
    """``SET name = expr`` or ``SET (a, b) = expr`` (a tuple, a struct, or ``(SELECT AS STRUCT ...)``)."""

    names: list[str]  # lower case; a system variable keeps its @@
    value: Expr
    at: Place


@attrs.frozen
class Branch:
    condition: Expr
    body: list[Any]


@attrs.frozen
class If:
    """``IF ... ELSEIF ... ELSE ... END IF``, and ``CASE`` statements (their WHENs become conditions)."""

    branches: list[Branch]
    otherwise: list[Any] | None
    at: Place
    subject: Expr | None = None  # CASE subject WHEN value: the condition is ``subject = value``


@attrs.frozen
class Loop:
    """``LOOP``, ``WHILE condition DO``, ``REPEAT ... UNTIL condition`` (``until``)."""

    label: str | None
    body: list[Any]
    at: Place
    condition: Expr | None = None
    until: Expr | None = None


@attrs.frozen
class ForIn:
    label: str | None
    variable: str
    query: Expr
    body: list[Any]
    at: Place


@attrs.frozen
class Block:
    """``BEGIN ... [EXCEPTION WHEN ERROR THEN ...] END``."""

    label: str | None
    body: list[Any]
    handler: list[Any] | None
    at: Place


@attrs.frozen
class Jump:
    """``BREAK``/``LEAVE`` (``leave``) or ``CONTINUE``/``ITERATE``, with an optional label."""

    leave: bool
    label: str | None
    at: Place


@attrs.frozen
class Return:
    at: Place


@attrs.frozen
class Raise:
    message: Expr | None  # None: re-raise the error being handled
    at: Place


@attrs.frozen
class Assert:
    condition: Expr
    description: str | None
    at: Place


@attrs.frozen
class Call:
    procedure: tuple[str, str]  # (schema, name); a project/catalog is dropped
    arguments: list[Expr]
    text: str
    at: Place


@attrs.frozen
class ExecuteImmediate:
    sql: Expr
    into: list[str]
    using: list[tuple[Expr, str | None]]
    text: str
    at: Place


@attrs.frozen
class Transaction:
    verb: str  # BEGIN, COMMIT or ROLLBACK
    at: Place


@attrs.frozen
class Parameter:
    """An argument of a procedure: ``[IN | OUT | INOUT] name type``."""

    name: str
    type: str
    mode: str = "IN"


@attrs.frozen
class CreateProcedure:
    """``CREATE [OR REPLACE] PROCEDURE schema.name(arguments) BEGIN ... END`` inside a script."""

    procedure: tuple[str, str]
    parameters: list[Parameter]
    body: str
    replace: bool
    if_not_exists: bool
    at: Place


@attrs.frozen
class Script:
    """A parsed script: its statements, and the text they were parsed from."""

    statements: list[Any]
    text: str
    dialect: str
