"""The engine protocol, and the materialization logic written once for every engine.

An engine wraps one connection to a warehouse. Subclasses provide the few primitives that differ
(run SQL, inspect tables, quote names, replace partitions atomically); :mod:`dop_core.builtin.materialization.table`
builds every native task kind from them.
"""

from __future__ import annotations

import abc
import contextlib
import datetime as dt
import itertools
import logging
from collections.abc import Iterator, Sequence
from typing import Any

import attrs

from dop_core.config.identifiers import Relation, check_identifier
from dop_core.config.models import Partitioning, Target
from dop_core.contract.shape import ColumnShape, TableShape

log = logging.getLogger(__name__)
_SAVEPOINTS = itertools.count(1)


@attrs.frozen
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@attrs.frozen
class Argument:
    """A typed argument of a UDF or stored procedure (``options.arguments``); a procedure's argument is
    ``IN`` (a value), ``OUT`` (the procedure sets the caller's variable) or ``INOUT`` (both)."""

    name: str
    type: str
    mode: str = "IN"


class Engine(abc.ABC):
    """One open connection to a warehouse. Use as a context manager; it closes on exit."""

    #: sqlglot dialect name
    dialect: str = ""
    #: True when the engine has no databases/projects above schemas (DuckDB file, one Postgres db)
    single_catalog: bool = False

    def __init__(self, target: Target):
        self.target = target

    # -- primitives every engine provides -------------------------------------------------------
    @abc.abstractmethod
    def execute(self, sql: str) -> None:
        """Run one statement or a script of statements."""

    @abc.abstractmethod
    def query(self, sql: str) -> QueryResult:
        """Run a query and return all its rows."""

    @abc.abstractmethod
    def columns(self, relation: Relation) -> list[tuple[str, str]]:
        """``(name, type)`` of each column, in order; empty if the table does not exist."""

    @abc.abstractmethod
    def quote(self, name: str) -> str:
        """One identifier, quoted for this engine."""

    def close(self) -> None:  # noqa: B027 - optional for engines without a connection to close
        pass

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- defaults engines may override ------------------------------------------------------------
    def table_exists(self, relation: Relation) -> bool:
        return bool(self.columns(relation))

    def table_shape(self, relation: Relation) -> TableShape:
        """The table as built: its columns with their nullability, and how it is partitioned.

        An incremental run compares it with the query's result and the task's ``partitioning``, and
        refuses to write when they differ (see :mod:`dop_core.contract.shape`). This default knows only
        :meth:`columns`: nullability is not compared and the partitioning is
        ``PartitioningUnknown.UNTRACKED`` (not checked; the run logs a warning). Override it to report
        both; an engine without native partitioning records it with :meth:`record_partitioning`.
        """
        return TableShape(tuple(ColumnShape(name, typ) for name, typ in self.columns(relation)))

    def record_partitioning(self, relation: Relation, partitioning: Partitioning | None) -> None:  # noqa: B027
        """Remember that ``relation`` was just built with ``partitioning`` (None: unpartitioned).

        Called after a table is created or fully refreshed, and when an incremental run adopts a table
        that has no record yet. Engines whose tables keep their partitioning (BigQuery) need nothing;
        DuckDB and PostgreSQL write :func:`~dop_core.contract.shape.partitioning_comment` as the table's
        comment and read it back in :meth:`table_shape`.
        """

    def qualified(self, relation: Relation) -> str:
        parts = [relation.schema, relation.name]
        if relation.database and not self.single_catalog:
            parts.insert(0, relation.database)
        return ".".join(self.quote(p) for p in parts)

    def translate(self, sql: str, source_dialect: str) -> str:
        """``sql`` in this engine's dialect; from BigQuery, told the types of the tables it reads."""
        from dop_core.sql.dialects import translate
        from dop_core.sql.inference import table_types

        schema = table_types(sql, self.columns, self.dialect) if source_dialect == "bigquery" != self.dialect else None
        return translate(sql, source_dialect, self.dialect, self.single_catalog, schema)

    @contextlib.contextmanager
    def lock(self, relation: Relation) -> Iterator[None]:
        """Held while a task writes ``relation``, so two runs writing one table never interleave."""
        yield

    # -- transactions: what the native kinds and the scripting interpreter run inside --------------
    def begin(self) -> None:
        """Start a transaction: what runs until :meth:`commit` takes effect together, or (:meth:`rollback`)
        not at all. DDL included, on engines whose DDL is transactional (DuckDB, PostgreSQL)."""
        self.execute("BEGIN TRANSACTION")

    def commit(self) -> None:
        self.execute("COMMIT")

    def rollback(self) -> None:
        self.execute("ROLLBACK")

    def savepoint(self) -> Any:
        """Inside a transaction, mark this point: :meth:`rollback_to` the mark undoes what ran after it and
        keeps the transaction going, also after a statement failed (an exception handler of a script goes
        on that way). :meth:`release` forgets the mark. The default is SQL's SAVEPOINT."""
        name = f"dop_savepoint_{next(_SAVEPOINTS)}"
        self.execute(f"SAVEPOINT {name}")
        return name

    def rollback_to(self, savepoint: Any) -> None:
        self.execute(f"ROLLBACK TO SAVEPOINT {savepoint}")

    def release(self, savepoint: Any) -> None:
        self.execute(f"RELEASE SAVEPOINT {savepoint}")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All of the block's statements take effect, or none does (the block raised)."""
        self.begin()
        try:
            yield
        except BaseException:
            with contextlib.suppress(Exception):
                self.rollback()
            raise
        self.commit()

    def execute_dml(self, sql: str) -> int | None:
        """Run one INSERT, UPDATE, DELETE or MERGE; return how many rows it changed (None: the engine does not
        say). A script reads it as ``@@row_count``."""
        self.execute(sql)
        return None

    def temp_relation(self, relation: Relation) -> Relation:
        """Where the new result of an incremental run is staged before it replaces partitions."""
        return relation.with_name(f"{relation.name}__dop_tmp")

    def create_schema(self, schema: str, database: str | None = None) -> None:
        self.execute(f"CREATE SCHEMA IF NOT EXISTS {self.qualified_schema(schema, database)}")

    def qualified_schema(self, schema: str, database: str | None = None) -> str:
        if database and not self.single_catalog:
            return f"{self.quote(database)}.{self.quote(schema)}"
        return self.quote(schema)

    def partition_key(self, column: str, partitioning: Partitioning) -> str:
        """SQL for the partition a row of ``column`` belongs to."""
        col = self.quote(column)
        p = partitioning
        if p.data_type == "int64":
            assert p.range is not None
            return f"({p.range.start} + {p.range.interval} * floor(({col} - {p.range.start}) / {p.range.interval}))"
        if p.data_type == "date" and p.granularity == "day":
            return col
        return f"date_trunc('{p.granularity}', {col})"

    def create_table_as(self, relation: Relation, select_sql: str, partitioning: Partitioning | None,
                        replace: bool = True, temporary: bool = False) -> None:
        verb = "CREATE OR REPLACE" if replace else "CREATE"
        temp = " TEMP" if temporary else ""
        self.execute(f"{verb}{temp} TABLE {self.qualified(relation)} AS\n{select_sql}")

    def drop_table(self, relation: Relation) -> None:
        self.execute(f"DROP TABLE IF EXISTS {self.qualified(relation)}")

    def replace_all(self, target: Relation, staged: Relation) -> None:
        with self.transaction():
            self.execute(f"DELETE FROM {self.qualified(target)}")
            self.execute(f"INSERT INTO {self.qualified(target)} SELECT * FROM {self.qualified(staged)}")

    def replace_partitions(self, target: Relation, staged: Relation, partitioning: Partitioning) -> int:
        """Atomically replace the partitions present in ``staged``; return how many were replaced."""
        key = self.partition_key(partitioning.field, partitioning)
        stage = self.qualified(staged)
        # NULL partition values form a partition of their own (as on BigQuery): NULL IN (...) is never true
        parts = self.query(f"SELECT COUNT(DISTINCT {key}) + MAX(CASE WHEN {key} IS NULL THEN 1 ELSE 0 END) "
                           f"FROM {stage}").rows[0][0] or 0
        with self.transaction():
            self.execute(f"DELETE FROM {self.qualified(target)} WHERE {key} IN (SELECT DISTINCT {key} FROM {stage}) "
                         f"OR ({key} IS NULL AND EXISTS (SELECT 1 FROM {stage} WHERE {key} IS NULL))")
            self.execute(f"INSERT INTO {self.qualified(target)} SELECT * FROM {self.qualified(staged)}")
        return int(parts)

    def create_view(self, relation: Relation, select_sql: str) -> None:
        self.execute(f"CREATE OR REPLACE VIEW {self.qualified(relation)} AS\n{select_sql}")

    @abc.abstractmethod
    def create_function(self, relation: Relation, arguments: Sequence[Argument], body: str,
                        returns: str | None, dialect: str = "bigquery") -> None:
        """Create or replace a SQL UDF whose body is the expression ``body`` (in the engine's dialect); the
        argument and return types are written in ``dialect`` (the project's). Parse each type with
        :func:`dop_core.parse_type` and write sqlglot's rendering of it, never the text as given."""

    @abc.abstractmethod
    def create_procedure(self, relation: Relation, arguments: Sequence[Argument], body: str, dialect: str) -> None:
        """Create or replace a stored procedure running the statements of ``body`` (written in ``dialect``)."""

    def call(self, sql: str, dialect: str) -> None:
        """Run an invocation's SQL (typically ``CALL schema.proc(...)``), written in ``dialect``."""
        self.execute(self.translate(sql, dialect))

    def load_csv(self, relation: Relation, path: str, columns: dict[str, str] | None, delimiter: str,
                 header: bool) -> int:
        """Replace ``relation`` with the rows of a local CSV file; return the row count."""
        raise NotImplementedError(f"the {type(self).__name__} engine cannot load CSV seeds")

    def append_rows(self, relation: Relation, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]) -> int:
        """Append ``rows`` to ``relation``, created first when missing with ``columns`` (each a name and a BigQuery
        type); return how many rows were appended. A value is None, a bool, an int, a float, a str or a datetime
        (a naive one is UTC).

        Written here in BigQuery's dialect, the values as literals, and translated; an engine that binds values
        overrides it (DuckDB's: then no SQL is translated once the table exists)."""
        names = ", ".join(check_identifier(name, "column name") for name, _ in columns)
        parts = (relation.database,) if relation.database and not self.single_catalog else ()
        self.create_schema(relation.schema, parts[0] if parts else None)
        table = ".".join(f"`{part}`" for part in (*parts, relation.schema, relation.name))  # BigQuery's quotes
        self.execute(self.translate(f"CREATE TABLE IF NOT EXISTS {table} ("
                                    + ", ".join(f"{name} {typ}" for name, typ in columns) + ")", "bigquery"))
        if rows:
            values = ", ".join("(" + ", ".join(_bigquery_literal(v) for v in row) + ")" for row in rows)
            self.execute(self.translate(f"INSERT INTO {table} ({names}) VALUES {values}", "bigquery"))
        return len(rows)

    def row_count(self, relation: Relation) -> int:
        return int(self.query(f"SELECT COUNT(*) FROM {self.qualified(relation)}").rows[0][0])


def _bigquery_literal(value: Any) -> str:
    """``value`` as a literal of BigQuery's SQL."""
    from sqlglot import exp

    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        utc = value.astimezone(dt.UTC) if value.tzinfo else value
        return f"TIMESTAMP '{utc.strftime('%Y-%m-%d %H:%M:%S.%f')}'"
    if isinstance(value, int | float):
        return str(exp.Literal.number(value).sql(dialect="bigquery"))
    return str(exp.Literal.string(str(value)).sql(dialect="bigquery"))
