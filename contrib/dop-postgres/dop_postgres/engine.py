"""The PostgreSQL warehouse engine: DOP's native task kinds on one Postgres database.

Imported only inside tasks (``connect``), never when DAGs are parsed: psycopg, and in production
apache-airflow-providers-postgres, are imported here.

What differs from BigQuery, and how it is handled:

- tables: Postgres has no ``CREATE OR REPLACE TABLE``. A table is replaced inside one transaction
  (DDL is transactional in Postgres, so readers see the old table until the commit): when the
  columns are unchanged its rows are swapped (views on it keep working); otherwise it is dropped
  (with the views depending on it, which are logged; their tasks re-create them) and the new one
  renamed into place.
- partitions: the base engine's DELETE + INSERT of the replaced partitions in one transaction. The
  partitioning a table was built with is recorded in its comment, so an incremental run can refuse
  a task whose partitioning changed (DOP's tables are plain tables, not declarative partitions).
- functions: ``CREATE FUNCTION`` needs a return type. Without ``options.returns`` it is inferred by
  asking Postgres for ``pg_typeof(<body>)`` over typed NULL arguments; ``ANY TYPE`` arguments become
  ``anyelement``. Argument types are written in the project's dialect (STRING, INT64, ...).
- procedures: BigQuery scripting has no PostgreSQL equivalent with the same semantics, so DOP stores
  each procedure and interprets its body statement by statement (``dop_core.InterpretedProcedures``),
  exactly as on DuckDB: the same procedure gives the same tables on both. An invocation is one
  transaction; an exception handler goes on after a failed statement through a savepoint.
- seeds: ``COPY ... FROM STDIN``; without ``options.columns`` the column types are inferred from
  the file (bigint, double precision, date, timestamp, boolean, else text).
- concurrency: a session advisory lock per table is held while a task writes it, so two runs writing
  one table never interleave; a second run waits (``lock_timeout``) and says so in its log.
- secrets: passwords never appear in logs or errors: DSNs (any character in the password) and the
  target's password go through DOP's redaction layer (``dop_core.redact``).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import logging
import re
import time
from collections.abc import Iterator, Sequence
from typing import Any

from dop_core import (
    Argument,
    ColumnShape,
    Engine,
    EngineError,
    InterpretedProcedures,
    Partitioning,
    QueryResult,
    Relation,
    SqlError,
    TableShape,
    Target,
    check_delimiter,
    install_postgres_library,
    parse_type,
    partitioning_from_comment,
    record_partitioning_sql,
    redact,
)
from dop_postgres.target import PostgresTarget

log = logging.getLogger(__name__)

#: the first key of DOP's advisory locks ('DOP' in ASCII), so they never collide with an application's
LOCK_NAMESPACE = 0x444F50
#: BigQuery's integer aliases are all 64-bit
_BIGQUERY_INTEGERS = {"INT", "INTEGER", "SMALLINT", "BIGINT", "TINYINT", "BYTEINT", "INT64"}
_TEMP_SUFFIX = "__dop_tmp"
_NEW_SUFFIX = "__dop_new"


def pg_type(type_sql: str, dialect: str = "bigquery") -> str:
    """A SQL type written in ``dialect`` (BigQuery's STRING, INT64, ANY TYPE...) as Postgres spells it.

    Parsed strictly (:func:`dop_core.parse_type`): what reaches SQL is sqlglot's rendering of one type,
    never the text as written."""
    text = " ".join(str(type_sql).split())
    upper = text.upper()
    if upper in ("ANY TYPE", "ANYELEMENT"):
        return "anyelement"
    if dialect == "bigquery":
        if upper in _BIGQUERY_INTEGERS:
            return "bigint"
        if upper in ("BIGNUMERIC", "BIGDECIMAL"):
            return "numeric"
    for source in dict.fromkeys((dialect, "postgres")):
        try:
            return str(parse_type(text, source).sql(dialect="postgres")).lower()
        except SqlError:
            continue
    raise EngineError(
        f"{type_sql!r} is not a {dialect} type that Postgres knows (write e.g. STRING, INT64, "
        "FLOAT64, NUMERIC, BOOL, DATE, TIMESTAMP)"
    )


def _dollar_quote(body: str) -> str:
    tag = "$dop$"
    n = 0
    while tag in body:
        n += 1
        tag = f"$dop{n}$"
    return f"{tag}\n{body}\n{tag}"


def _strip_select(body: str) -> str:
    """The expression of ``SELECT <expr>`` (the translated body of a UDF), pretty-printed or not."""
    m = re.match(r"(?is)^\s*select\s+(.*)$", body)
    return m.group(1).strip() if m else body.strip()


class PostgresEngine(InterpretedProcedures, Engine):
    dialect = "postgres"
    single_catalog = True

    def __init__(self, target: Target):
        super().__init__(target)
        import psycopg

        opts: PostgresTarget = target.typed_options or PostgresTarget(**target.options)
        self.options = opts
        conninfo, kwargs, self.where = _connection_parameters(target.name, opts)
        self._secrets = [opts.password, kwargs.get("password")]
        try:
            self.con = psycopg.connect(
                conninfo,
                autocommit=True,
                connect_timeout=opts.connect_timeout,
                application_name=opts.application_name,
                **kwargs,
            )
        except psycopg.Error as exc:
            # from None: the original exception (and its traceback's locals) must not carry the password
            reason = self._redact(str(exc)).strip()
            if "timeout expired" in reason:
                reason += (f" (no answer within connect_timeout={opts.connect_timeout}s: check that the server "
                           "runs and is reachable, or raise connect_timeout on the target)")
            raise EngineError(
                f"cannot connect to PostgreSQL for target {target.name!r} ({self.where}): {reason}"
            ) from None
        self._locks: dict[Relation, int] = {}
        install_postgres_library(self.con)  # the BigQuery function library DOP's translation calls

    def _redact(self, text: str) -> str:
        return redact(text, *self._secrets)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.con.close()

    # -- primitives ---------------------------------------------------------------------------
    def execute(self, sql: str) -> None:
        self.con.execute(sql.encode())  # bytes: no placeholder parsing, so % in SQL needs no escaping

    def execute_dml(self, sql: str) -> int | None:
        cur = self.con.execute(sql.encode())
        return cur.rowcount if cur.rowcount >= 0 else None

    def query(self, sql: str) -> QueryResult:
        cur = self.con.execute(sql.encode())
        columns = [d.name for d in cur.description] if cur.description else []
        return QueryResult(columns, [tuple(r) for r in cur.fetchall()] if columns else [])

    def quote(self, name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def columns(self, relation: Relation) -> list[tuple[str, str]]:
        return [(c.name, c.type) for c in self._columns(relation)]

    def _columns(self, relation: Relation) -> list[ColumnShape]:
        rows = self.con.execute(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relname = %s AND a.attnum > 0 AND NOT a.attisdropped "
            "ORDER BY a.attnum",
            (relation.schema, relation.name),
        ).fetchall()
        return [ColumnShape(r[0], r[1], r[2]) for r in rows]

    def table_shape(self, relation: Relation) -> TableShape:
        """Columns with their nullability (NOT NULL); the partitioning DOP recorded in the table's comment."""
        comment = self.con.execute(
            "SELECT obj_description(c.oid, 'pg_class') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relname = %s",
            (relation.schema, relation.name),
        ).fetchall()
        return TableShape(tuple(self._columns(relation)), partitioning_from_comment(comment[0][0] if comment else None))

    def record_partitioning(self, relation: Relation, partitioning: Partitioning | None) -> None:
        self.execute(record_partitioning_sql(self.qualified(relation), partitioning))

    def table_exists(self, relation: Relation) -> bool:
        return bool(
            self.con.execute(
                "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.relname = %s AND c.relkind IN ('r', 'p')",
                (relation.schema, relation.name),
            ).fetchall()
        )

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction (a savepoint when nested): everything in it commits or nothing does."""
        with self.con.transaction():
            yield

    # -- concurrency ----------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self, relation: Relation) -> Iterator[None]:
        """A session advisory lock on the table for as long as the task writes it."""
        key = f"{relation.schema}.{relation.name}"
        deadline = time.monotonic() + self.options.lock_timeout
        told = False
        while True:
            got = self.con.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", (LOCK_NAMESPACE, key)).fetchone()
            if got and got[0]:
                break
            if time.monotonic() > deadline:
                raise EngineError(
                    f"table {key} stayed locked by another run for {self.options.lock_timeout:.0f}s "
                    "(it is writing the same table); raise lock_timeout on the target or retry"
                )
            if not told:
                log.info("waiting for another run writing %s to finish", key)
                told = True
            time.sleep(0.2)
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                self.con.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", (LOCK_NAMESPACE, key))

    # -- tables and views -----------------------------------------------------------------------
    def create_table_as(
        self,
        relation: Relation,
        select_sql: str,
        partitioning: Partitioning | None,
        replace: bool = True,
        temporary: bool = False,
    ) -> None:
        if temporary:
            self.execute(f"CREATE TEMP TABLE {self.quote(relation.name)} AS\n{select_sql}")
            return
        target = self.qualified(relation)
        staging = relation.name.endswith(_TEMP_SUFFIX)
        if not replace or staging or not self.table_exists(relation):
            with self.transaction():
                if replace:
                    self.execute(f"DROP TABLE IF EXISTS {target}")
                self.execute(f"CREATE TABLE {target} AS\n{select_sql}")
                if partitioning is not None and not staging:
                    self._index(relation, partitioning.field)
            return
        new = relation.with_name(relation.name + _NEW_SUFFIX)
        with self.transaction():
            self.execute(f"DROP TABLE IF EXISTS {self.qualified(new)}")
            self.execute(f"CREATE TABLE {self.qualified(new)} AS\n{select_sql}")
            self._swap_in(relation, new, partitioning)

    def _swap_in(self, relation: Relation, new: Relation, partitioning: Partitioning | None = None) -> None:
        """Make the table ``new`` become ``relation`` (call inside a transaction: readers never see a gap).

        Same columns (names, types, nullability): the rows are swapped, so views and grants on the table
        stay as they are. Other columns: the old table is dropped with the views on it (logged; their
        tasks re-create them).
        """
        target = self.qualified(relation)
        if not self.table_exists(relation):
            self.execute(f"DROP VIEW IF EXISTS {target}")
        elif self._columns(new) == self._columns(relation):
            self.execute(f"DELETE FROM {target}")
            self.execute(f"INSERT INTO {target} SELECT * FROM {self.qualified(new)}")
            self.execute(f"DROP TABLE {self.qualified(new)}")
            if partitioning is not None:
                self._index(relation, partitioning.field)
            return
        else:
            dependents = self._dependent_views(relation)
            if dependents:
                log.warning(
                    "replacing %s (its columns changed) drops the views on it: %s; their tasks re-create them",
                    relation,
                    ", ".join(dependents),
                )
            self.execute(f"DROP TABLE {target} CASCADE")
        self.execute(f"ALTER TABLE {self.qualified(new)} RENAME TO {self.quote(relation.name)}")
        if partitioning is not None:
            self._index(relation, partitioning.field)

    def _index(self, relation: Relation, column: str) -> None:
        """Index the partitioning column: partition replacement deletes by it."""
        name = self.quote(f"{relation.name}__{column}__dop"[:63])
        self.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {self.qualified(relation)} ({self.quote(column)})")

    def _dependent_views(self, relation: Relation) -> list[str]:
        rows = self.con.execute(
            "SELECT DISTINCT vn.nspname || '.' || v.relname FROM pg_depend d "
            "JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = r.ev_class "
            "JOIN pg_namespace vn ON vn.oid = v.relnamespace "
            "WHERE d.refobjid = %s::regclass AND v.oid <> d.refobjid",
            (f"{self.quote(relation.schema)}.{self.quote(relation.name)}",),
        ).fetchall()
        return sorted(r[0] for r in rows)

    def create_view(self, relation: Relation, select_sql: str) -> None:
        import psycopg

        sql = f"CREATE OR REPLACE VIEW {self.qualified(relation)} AS\n{select_sql}"
        try:
            with self.transaction():
                self.execute(sql)
        except (psycopg.errors.InvalidTableDefinition, psycopg.errors.DatatypeMismatch):
            # Postgres replaces a view in place only if its columns keep their names and types
            with self.transaction():
                self.execute(f"DROP VIEW IF EXISTS {self.qualified(relation)}")
                self.execute(sql)

    # -- functions and procedures ---------------------------------------------------------------
    def create_function(
        self, relation: Relation, arguments: Sequence[Argument], body: str, returns: str | None,
        dialect: str = "bigquery",
    ) -> None:
        import psycopg

        from dop_core import check_identifier

        args = [(check_identifier(a.name, "argument name"), pg_type(a.type, dialect)) for a in arguments]
        expression = _strip_select(body)
        result = pg_type(returns, dialect) if returns else self._infer_return_type(relation, args, expression)
        signature = ", ".join(f"{name} {typ}" for name, typ in args)
        sql = (
            f"CREATE OR REPLACE FUNCTION {self.qualified(relation)}({signature}) RETURNS {result} "
            f"LANGUAGE sql AS {_dollar_quote('SELECT ' + expression)}"
        )
        try:
            with self.transaction():
                self.execute(sql)
        except psycopg.errors.InvalidFunctionDefinition:  # the return type changed: replace it
            with self.transaction():
                types = ", ".join(t for _, t in args)
                self.execute(f"DROP FUNCTION IF EXISTS {self.qualified(relation)}({types})")
                self.execute(sql)

    def _infer_return_type(self, relation: Relation, args: list[tuple[str, str]], expression: str) -> str:
        """Postgres' type of ``expression`` with each argument bound to a NULL of its type."""
        import psycopg

        polymorphic = any(t == "anyelement" for _, t in args)
        probes = ["text", "bigint", "double precision", "date"] if polymorphic else [None]
        found: list[tuple[str | None, str]] = []
        error: Exception | None = None
        for probe in probes:
            bound = ", ".join(f"CAST(NULL AS {probe if t == 'anyelement' else t}) AS {n}" for n, t in args)
            sql = f"SELECT pg_typeof(({expression}))::text"
            if bound:
                sql += f" FROM (SELECT {bound}) AS _dop_arguments"
            try:
                with self.transaction():
                    found.append((probe, str(self.query(sql).rows[0][0])))
            except psycopg.Error as exc:
                error = error or exc
        if not found:
            raise EngineError(
                f"cannot infer the return type of function {relation}: "
                f"{str(error).splitlines()[0] if error else 'no result'}; set options.returns "
                "(e.g. returns: FLOAT64)"
            )
        types = {typ for _, typ in found}
        if polymorphic and all(probe == typ for probe, typ in found) and len(found) > 1:
            return "anyelement"
        if len(types) > 1:
            raise EngineError(
                f"the return type of function {relation} depends on its ANY TYPE argument "
                f"({', '.join(sorted(types))}); set options.returns"
            )
        typ = types.pop()
        return "text" if typ == "unknown" else typ

    # -- seeds ----------------------------------------------------------------------------------
    def load_csv(
        self, relation: Relation, path: str, columns: dict[str, str] | None, delimiter: str, header: bool
    ) -> int:
        from dop_core import check_identifier

        check_delimiter(delimiter)
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f, delimiter=delimiter))
        names = rows[0] if header and rows else [f"column{i}" for i in range(len(rows[0]) if rows else 0)]
        data = rows[1:] if header else rows
        if columns:
            spec = [(check_identifier(n, "column name"), pg_type(t, "postgres")) for n, t in columns.items()]
        else:
            spec = [
                (
                    check_identifier(n.strip(), "column name"),
                    _infer_csv_type([r[i] for r in data if i < len(r)]),
                )
                for i, n in enumerate(names)
            ]
        if not spec:
            raise EngineError(f"seed {path} has no columns")
        ddl = ", ".join(f"{self.quote(n)} {t}" for n, t in spec)
        new = relation.with_name(relation.name + _NEW_SUFFIX)
        copy = (
            f"COPY {self.qualified(new)} FROM STDIN WITH (FORMAT csv, DELIMITER "
            f"'{delimiter.replace(chr(39), chr(39) * 2)}', HEADER {'true' if header else 'false'})"
        )
        with self.transaction():
            self.execute(f"DROP TABLE IF EXISTS {self.qualified(new)}")
            self.execute(f"CREATE TABLE {self.qualified(new)} ({ddl})")
            with self.con.cursor() as cur, cur.copy(copy.encode()) as stream, open(path, "rb") as f:
                while chunk := f.read(1 << 16):
                    stream.write(chunk)
            self._swap_in(relation, new)
        return self.row_count(relation)


def _infer_csv_type(values: list[str]) -> str:
    present = [v.strip() for v in values if v.strip() != ""]
    if not present:
        return "text"

    def all_are(check: Any) -> bool:
        try:
            return all(check(v) is not False for v in present)
        except ValueError:
            return False

    if all(re.fullmatch(r"[+-]?\d+", v) for v in present):
        return "bigint"
    if all_are(float):
        return "double precision"
    if all(v.lower() in ("true", "false") for v in present):
        return "boolean"
    if all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) for v in present) and all_are(dt.date.fromisoformat):
        return "date"
    if all(re.fullmatch(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?", v) for v in present) and all_are(
        dt.datetime.fromisoformat
    ):
        return "timestamp"
    return "text"


# postgresql://user:PASSWORD@host...: the password runs to the last "@" (as DOP's redaction reads it)
_URL_DSN = re.compile(r"^(?P<head>postgres(?:ql)?://[^:/@]*:)(?P<password>.*)(?P<tail>@[^@]*)$", re.DOTALL)


def url_dsn(dsn: str) -> str:
    """``dsn`` with the characters libpq would cut a URL's password at (``@ / ? #``, spaces) percent-encoded.

    libpq ends the password at the first ``@`` (``postgresql://u:p@ss@host/db`` would connect to host
    ``ss``); DOP reads it up to the last one, as its redaction does. A password already written
    percent-encoded (``p%40ss``) is left as it is.
    """
    from urllib.parse import quote

    m = _URL_DSN.match(dsn)
    if m is None:
        return dsn
    return m["head"] + quote(m["password"], safe="%:!$&'()*+,;=~") + m["tail"]


def _connection_parameters(name: str, opts: PostgresTarget) -> tuple[str, dict[str, Any], str]:
    """``(conninfo, keyword parameters, where)``: ``where`` describes the server with no secret in it."""
    kwargs: dict[str, Any] = {}
    if opts.password:
        kwargs["password"] = opts.password
    if opts.dsn is not None:
        return url_dsn(opts.dsn), kwargs, redact(opts.dsn, opts.password)
    # production: an Airflow connection, read through the postgres provider's hook
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    hook = PostgresHook(postgres_conn_id=opts.conn_id)
    conn = hook.get_connection(opts.conn_id)
    params = {
        "host": conn.host,
        "port": conn.port,
        "user": conn.login,
        "password": conn.password,
        "dbname": conn.schema,
    }
    extra = conn.extra_dejson or {}
    for key in (
        "sslmode",
        "sslcert",
        "sslkey",
        "sslrootcert",
        "sslcrl",
        "options",
        "target_session_attrs",
        "keepalives",
        "keepalives_idle",
        "service",
    ):
        if key in extra:
            params[key] = extra[key]
    kwargs = {k: v for k, v in params.items() if v not in (None, "")} | kwargs
    where = f"Airflow connection {opts.conn_id!r}: {conn.host}:{conn.port or 5432}/{conn.schema or ''}"
    return "", kwargs, where


def connect(target: Target) -> PostgresEngine:
    return PostgresEngine(target)
