"""DOP's own translation layer: BigQuery SQL with BigQuery's semantics on DuckDB and PostgreSQL.

sqlglot parses the project's SQL and generates the engine's; between the two, DOP applies small, named
rules (``dop_core.sql.rules``), each fixing one place where sqlglot's output would give a different
result than BigQuery. What a rule cannot express on the engine raises ``UnsupportedSqlError`` naming the
construct and its line: an error, never a silently different result.

Everything here works on one parsed statement at a time (``translate_statement``), so a statement-by-
statement interpreter of BigQuery scripting can sit beside it. Importing this package imports no
sqlglot (DAG parsing stays light); the rules import it when a statement is translated.
"""

from __future__ import annotations

from dop_core.engines.sql import SqlError


class UnsupportedSqlError(SqlError):
    """The SQL means something the target engine cannot express; ``line``/``column`` locate the construct."""

    def __init__(self, message: str, construct: str | None = None, line: int | None = None,
                 column: int | None = None):
        super().__init__(message)
        self.message = message
        self.construct = construct  # the SQL word to look for when the line is not known
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.message}"


__all__ = ["UnsupportedSqlError"]
