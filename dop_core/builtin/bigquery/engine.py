"""Google BigQuery: the production warehouse, through apache-airflow-providers-google.

Credentials come from an Airflow connection (``gcp_conn_id``, optionally impersonating a chain of
service accounts) via :class:`~airflow.providers.google.cloud.hooks.bigquery.BigQueryHook`; with
``api_endpoint`` set (an emulator, in tests) the client talks to that endpoint anonymously instead.

Every statement runs as one query job carrying the target's labels (plus ``dop_dag``/``dop_task``
inside an Airflow task), its location and ``job_timeout``. The writes DOP makes are single atomic
statements (a ``MERGE`` replaces partitions or all rows), so a failed or killed run leaves the table
as it was; staged results live in ``<table>__dop_tmp_<random>`` tables that expire on their own.
BigQuery has no lock DOP could hold across jobs, so each run stages under its own name: two runs of
one table (a backfill with several active runs) never read or drop each other's staged rows.

This module imports no google-cloud code at import time: DAG parsing must stay light.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
from collections.abc import Iterator, Sequence
from typing import Any

from dop_core.builtin.bigquery.target import BigQueryTarget
from dop_core.config.identifiers import Relation, check_delimiter, check_identifier
from dop_core.config.models import IntegerRange, Partitioning, Target
from dop_core.contract.engine import Argument, Engine, QueryResult
from dop_core.contract.shape import ColumnShape, TableShape
from dop_core.errors import EngineError
from dop_core.secrets import redact
from dop_core.sql.dialects import SqlError

log = logging.getLogger(__name__)

#: staged results of incremental runs expire after this long, so a killed run cleans up after itself
STAGED_EXPIRATION_HOURS = 24
STAGED_SUFFIX = "__dop_tmp"
_STAGED_NAME = re.compile(rf"{STAGED_SUFFIX}_[0-9a-f]{{12}}\Z")

_TIME_UNITS = {"hour": "HOUR", "day": "DAY", "month": "MONTH", "year": "YEAR"}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class BigQueryError(EngineError):
    """A BigQuery job or API call failed; the message has the job's errors and the SQL sent."""

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        #: the HTTP status of the failure (404: a dataset or table does not exist)
        self.code = code


def _label(value: str) -> str:
    """A valid BigQuery label value: lowercase letters, digits, ``_`` and ``-``, at most 63 characters."""
    return re.sub(r"[^a-z0-9_-]", "_", value.lower())[:63]


#: how a procedure argument's mode is written before its name (IN is the default)
_MODES = {"IN": "", "OUT": "OUT ", "INOUT": "INOUT "}


def _mode(argument: Argument) -> str:
    mode = _MODES.get(argument.mode.upper())
    if mode is None:
        raise EngineError(f"argument {argument.name}: mode {argument.mode!r} is not one of IN, OUT, INOUT")
    return mode


def _sql_type(text: str, what: str, dialect: str = "bigquery", templated: bool = False) -> str:
    """One SQL type written in ``dialect``, as sqlglot renders it in BigQuery's (never the text as written)."""
    from dop_core.sql.dialects import translate_type

    try:
        return translate_type(text, dialect, "bigquery", templated)
    except SqlError as exc:
        raise EngineError(
            f"{text!r} is not a SQL type for {what} ({exc}): write e.g. STRING, DATE, ARRAY<INT64>"
            + (" or ANY TYPE" if templated else "")
        ) from None


class BigQueryEngine(Engine):
    dialect = "bigquery"
    single_catalog = False

    def __init__(self, target: Target, client: Any = None):
        super().__init__(target)
        opts = target.typed_options or BigQueryTarget(**target.options)
        self.options: BigQueryTarget = opts
        self.location = opts.location
        self.job_timeout = float(opts.job_timeout)
        self.client = client if client is not None else self._client(opts)
        self.project: str = opts.project or self.client.project
        if not self.project:
            raise EngineError(
                f"target {target.name!r}: no BigQuery project; set `project:` on the target "
                f"or a project on the Airflow connection {opts.gcp_conn_id!r}"
            )

    # -- connection -----------------------------------------------------------------------------
    def _client(self, opts: BigQueryTarget) -> Any:
        if opts.api_endpoint:
            from google.auth.credentials import AnonymousCredentials
            from google.cloud import bigquery

            if not opts.project:
                raise EngineError(f"target {self.target.name!r}: with api_endpoint set, also set `project:`")
            return bigquery.Client(
                project=opts.project,
                location=opts.location,
                credentials=AnonymousCredentials(),
                client_options={"api_endpoint": opts.api_endpoint},
            )
        from airflow.providers.google.cloud.hooks.bigquery import BigQueryHook

        try:
            hook = BigQueryHook(
                gcp_conn_id=opts.gcp_conn_id,
                impersonation_chain=opts.impersonation_chain,
                location=opts.location,
                use_legacy_sql=False,
            )
            return hook.get_client(project_id=opts.project or hook.project_id, location=opts.location)
        except Exception as exc:
            raise EngineError(
                f"target {self.target.name!r}: cannot open a BigQuery client with the Airflow connection "
                f"{opts.gcp_conn_id!r}"
                + (f" impersonating {opts.impersonation_chain}" if opts.impersonation_chain else "")
                + f": {type(exc).__name__}: {redact(str(exc))}. Define the connection in Airflow "
                "(Admin > Connections, or AIRFLOW_CONN_... in the environment) "
                "or set gcp_conn_id on the target."
            ) from None

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close()

    @property
    def labels(self) -> dict[str, str]:
        """Labels of every job: the target's, plus the DAG and task running it (inside Airflow)."""
        labels = {"dop_target": _label(self.target.name)}
        for key, env in (("dop_dag", "AIRFLOW_CTX_DAG_ID"), ("dop_task", "AIRFLOW_CTX_TASK_ID")):
            if os.environ.get(env):
                labels[key] = _label(os.environ[env])
        labels.update({str(k): str(v) for k, v in self.options.labels.items()})
        return labels

    # -- jobs -----------------------------------------------------------------------------------
    def _run(self, sql: str) -> Any:
        """Run ``sql`` as one query job, wait for it, return its row iterator (errors as EngineError)."""
        import concurrent.futures

        import requests
        from google.api_core import exceptions as gexc
        from google.auth.exceptions import GoogleAuthError
        from google.cloud import bigquery

        config = bigquery.QueryJobConfig(
            labels=self.labels, use_legacy_sql=False, job_timeout_ms=int(self.job_timeout * 1000)
        )
        # Bound the client's retries by job_timeout (by default it retries API calls for 10 minutes and
        # jobs for 40; job_retry=None on insert drops its fixed 10-minute insert retry), an endpoint that
        # does not answer by `retries`, and log every retry.
        job = None
        try:
            job = self.client.query(
                sql,
                job_config=config,
                location=self.location,
                retry=self._retry("request"),
                job_retry=None,
                timeout=self.options.request_timeout,
            )
            return job.result(timeout=self.job_timeout, retry=self._retry("request"), job_retry=self._retry("job"))
        except concurrent.futures.TimeoutError:
            if job is not None:
                with contextlib.suppress(Exception):
                    job.cancel()
            raise EngineError(
                f"BigQuery job {getattr(job, 'job_id', '?')} did not finish within "
                f"job_timeout={self.job_timeout:.0f}s and was cancelled; raise job_timeout on the "
                f"target {self.target.name!r}\n{_numbered(sql)}"
            ) from None
        except gexc.GoogleAPIError as exc:
            raise BigQueryError(self._describe(exc, job, sql), getattr(exc, "code", None)) from None
        except GoogleAuthError as exc:
            raise BigQueryError(f"{self._auth_failure(exc)}\n{_numbered(sql)}") from None
        except requests.exceptions.RequestException as exc:
            raise BigQueryError(f"{self._unreachable(exc)}\n{_numbered(sql)}") from None

    @property
    def endpoint(self) -> str:
        """The BigQuery API's address, as messages name it."""
        return self.options.api_endpoint or "https://bigquery.googleapis.com"

    def _retry(self, what: str) -> Any:
        """How a failed ``request`` to the API or a failed ``job`` is retried: as the client does for errors
        BigQuery reports (rate limits, server errors) within job_timeout, at most ``retries`` times when the
        endpoint does not answer; every retry logged as it happens."""
        from google.api_core.retry import Retry
        from google.cloud.bigquery.retry import _job_should_retry, _should_retry

        predicate = _should_retry if what == "request" else _job_should_retry
        unanswered = 0

        def should_retry(exc: Exception) -> bool:
            nonlocal unanswered
            if not predicate(exc):
                return False
            if _no_answer(exc):
                unanswered += 1
                return unanswered <= self.options.retries
            return True

        def on_error(exc: Exception) -> None:
            count = f" {unanswered} of {self.options.retries}" if _no_answer(exc) else ""
            log.warning("BigQuery %s to %s failed (%s); retry%s", what, self.endpoint, redact(_short(exc)), count)

        timeout = self.job_timeout if what == "job" else min(self.job_timeout, 600.0)
        return Retry(predicate=should_retry, initial=1.0, maximum=10.0, multiplier=2.0, timeout=timeout,
                     on_error=on_error)

    def _unreachable(self, exc: Exception, timeout: float | None = None) -> str:
        """The message of a request the API did not answer (within ``timeout``; default request_timeout)."""
        import requests

        opts = self.options
        what = (f"did not answer within {timeout:g}s" if timeout else
                f"did not answer within {opts.request_timeout:g}s (request_timeout)")
        if not isinstance(exc, requests.exceptions.Timeout):
            what = f"cannot be reached ({_short(exc)})"
        return (f"target {self.target.name!r}: the BigQuery API at {self.endpoint} {what} in {opts.retries + 1} "
                "attempt(s). Check the endpoint and the network (proxy, firewall), or raise request_timeout or "
                "retries on the target")

    def _auth_failure(self, exc: Exception) -> str:
        opts = self.options
        who = f" impersonating {opts.impersonation_chain}" if opts.impersonation_chain else ""
        return redact(
            f"BigQuery refused the credentials of the Airflow connection {opts.gcp_conn_id!r}{who}: "
            f"{type(exc).__name__}: {exc}. Check the connection's key or workload identity, and that "
            "it may impersonate the service account(s) (roles/iam.serviceAccountTokenCreator)"
        )

    def _describe(self, exc: Any, job: Any, sql: str) -> str:
        errors = [
            e
            for e in (getattr(job, "errors", None) or getattr(exc, "errors", None) or [])
            if isinstance(e, dict)
        ]
        messages = [e["message"].strip() for e in errors if e.get("message")]
        if not messages:
            messages = [str(getattr(exc, "message", None) or exc).strip()]
        cause = getattr(exc, "cause", None)  # a RetryError gave up after this error
        if cause is not None:
            from google.auth.exceptions import GoogleAuthError

            if isinstance(cause, GoogleAuthError):
                return self._auth_failure(cause) + f" (gave up: {messages[0]})\n{_numbered(sql)}"
            messages.append(f"last error: {type(cause).__name__}: {cause}")
        reasons = sorted({e["reason"] for e in errors if e.get("reason")})
        job_id = getattr(job, "job_id", None)
        head = f"BigQuery job {job_id} failed" if job_id else "BigQuery request failed"
        where = f" in {self.location}" if self.location else ""
        text = (
            f"{head}{where}"
            + (f" ({', '.join(reasons)})" if reasons else "")
            + ": "
            + "; ".join(dict.fromkeys(messages))
            + f"\n{_numbered(sql)}"
        )
        return redact(_ANSI.sub("", text))

    def execute(self, sql: str) -> None:
        self._run(sql)

    def query(self, sql: str) -> QueryResult:
        # Iterating the result pages through the REST API: no BigQuery Storage client is created
        # (the equivalent of create_bqstorage_client=False), which is fine for DOP's small results.
        result = self._run(sql)
        columns = [f.name for f in (result.schema or [])]
        return QueryResult(columns, [tuple(row.values()) for row in result] if columns else [])

    # -- names ----------------------------------------------------------------------------------
    def quote(self, name: str) -> str:
        return "`" + str(name).replace("\\", "\\\\").replace("`", "\\`") + "`"

    def qualified(self, relation: Relation) -> str:
        """``project.dataset.name``: the relation's database is the BigQuery project (default: target's)."""
        return ".".join(
            self.quote(p) for p in (relation.database or self.project, relation.schema, relation.name)
        )

    def qualified_schema(self, schema: str, database: str | None = None) -> str:
        return f"{self.quote(database or self.project)}.{self.quote(schema)}"

    @staticmethod
    def _literal(value: str) -> str:
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    # -- inspection -----------------------------------------------------------------------------
    def _information_schema(self, relation: Relation, view: str, where: str = "") -> list[tuple[Any, ...]]:
        sql = (
            f"SELECT * FROM {self.qualified_schema(relation.schema, relation.database)}"
            f".INFORMATION_SCHEMA.{view} "
            f"WHERE table_name = {self._literal(relation.name)}{where}"
        )
        if view == "COLUMNS":
            columns = "SELECT column_name, data_type, is_nullable"
            sql = sql.replace("SELECT *", columns, 1) + " ORDER BY ordinal_position"
        else:
            sql = sql.replace("SELECT *", "SELECT table_name", 1)
        try:
            return self.query(sql).rows
        except BigQueryError as exc:
            if exc.code == 404:  # a dataset that does not exist (yet) has no tables
                return []
            raise

    def columns(self, relation: Relation) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self._information_schema(relation, "COLUMNS")]

    def table_exists(self, relation: Relation) -> bool:
        return bool(self._information_schema(relation, "TABLES", " AND table_type = 'BASE TABLE'"))

    def table_shape(self, relation: Relation) -> TableShape:
        """Columns (``is_nullable``: NO for REQUIRED) and the partitioning BigQuery keeps in the table's
        metadata (``timePartitioning`` / ``rangePartitioning``); its data type is the column's type."""
        columns = tuple(ColumnShape(r[0], r[1], r[2] != "NO") for r in self._information_schema(relation, "COLUMNS"))
        table = self._table(relation)
        return TableShape(columns, None if table is None else _partitioning_of(table, columns))

    def _table(self, relation: Relation) -> Any:
        """The table's metadata (``tables.get``), or None if it does not exist."""
        from google.api_core import exceptions as gexc
        from google.api_core.retry import Retry
        from google.cloud.bigquery.retry import DEFAULT_RETRY

        ref = f"{relation.database or self.project}.{relation.schema}.{relation.name}"
        retry: Retry = DEFAULT_RETRY.with_timeout(min(self.job_timeout, 600.0))
        try:
            return self.client.get_table(ref, retry=retry, timeout=min(self.job_timeout, 300.0))
        except gexc.NotFound:
            return None
        except gexc.GoogleAPIError as exc:
            raise BigQueryError(self._describe(exc, None, f"-- tables.get {ref}"), getattr(exc, "code", None)) from None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        raise EngineError(
            "BigQuery runs each statement as its own job: DOP's BigQuery writes are single atomic "
            "statements (MERGE), not transactions spanning several calls"
        )
        yield  # pragma: no cover

    # -- DDL ------------------------------------------------------------------------------------
    def create_schema(self, schema: str, database: str | None = None) -> None:
        options = f" OPTIONS(location = {self._literal(self.location)})" if self.location else ""
        self.execute(f"CREATE SCHEMA IF NOT EXISTS {self.qualified_schema(schema, database)}{options}")

    def partition_by(self, partitioning: Partitioning) -> str:
        """The ``PARTITION BY`` expression of a table partitioned as ``partitioning`` says."""
        return self._key(self.quote(partitioning.field), partitioning, clause=True)

    def partition_key(self, column: str, partitioning: Partitioning) -> str:
        return self._key(self.quote(column), partitioning)

    @staticmethod
    def _key(col: str, p: Partitioning, clause: bool = False) -> str:
        """SQL of the partition a row belongs to (``clause``: as written after PARTITION BY)."""
        unit = _TIME_UNITS[p.granularity]
        if p.data_type == "int64":
            assert p.range is not None
            r = p.range
            if clause:
                return f"RANGE_BUCKET({col}, GENERATE_ARRAY({r.start}, {r.end}, {r.interval}))"
            # the first value of the row's bucket (RANGE_BUCKET itself is a bucket number, and the
            # emulator cannot evaluate it outside PARTITION BY)
            return f"CAST({r.start} + {r.interval} * FLOOR(({col} - {r.start}) / {r.interval}) AS INT64)"
        if p.data_type == "date":
            return col if p.granularity == "day" else f"DATE_TRUNC({col}, {unit})"
        if p.data_type == "timestamp":
            return f"DATE({col})" if p.granularity == "day" else f"TIMESTAMP_TRUNC({col}, {unit})"
        return f"DATE({col})" if p.granularity == "day" else f"DATETIME_TRUNC({col}, {unit})"

    @staticmethod
    def _key_type(p: Partitioning) -> str:
        if p.data_type == "int64":
            return "INT64"
        if p.granularity == "day" or p.data_type == "date":
            return "DATE"
        return p.data_type.upper()

    def temp_relation(self, relation: Relation) -> Relation:
        """``<table>__dop_tmp_<12 hex digits>``: a name of this run's own (runs of one table may overlap)."""
        return relation.with_name(f"{relation.name}{STAGED_SUFFIX}_{secrets.token_hex(6)}")

    def is_staged(self, relation: Relation) -> bool:
        return bool(_STAGED_NAME.search(relation.name))

    def create_table_as(
        self,
        relation: Relation,
        select_sql: str,
        partitioning: Partitioning | None,
        replace: bool = True,
        temporary: bool = False,
    ) -> None:
        """``CREATE [OR REPLACE] TABLE ... [PARTITION BY ...] AS``; staged tables expire by themselves.

        A staged table (:meth:`temp_relation`, or ``temporary``) is not partitioned: it only feeds the MERGE.
        """
        staged = temporary or self.is_staged(relation)
        if replace and not staged:
            table = self._table(relation)
            # the spec ignores the data type: what a table's partitioning column is does not matter here
            if table is not None and self._spec(_partitioning_of(table, ())) != self._spec(partitioning):
                self._rebuild(relation, select_sql, partitioning)
                return
        self.execute(self._create_sql(relation, select_sql, None if staged else partitioning, replace, staged))

    def _create_sql(
        self, relation: Relation, select_sql: str, partitioning: Partitioning | None, replace: bool, expires: bool
    ) -> str:
        verb = "CREATE OR REPLACE TABLE" if replace else "CREATE TABLE"
        clauses = []
        if partitioning is not None:
            clauses.append(f"PARTITION BY {self.partition_by(partitioning)}")
        if expires:
            clauses.append(
                "OPTIONS(expiration_timestamp = TIMESTAMP_ADD(CURRENT_TIMESTAMP(), "
                f"INTERVAL {STAGED_EXPIRATION_HOURS} HOUR))"
            )
        head = " ".join([verb, self.qualified(relation), *clauses])
        return f"{head} AS\n{select_sql}"

    @staticmethod
    def _spec(p: Partitioning | None) -> tuple[Any, ...] | None:
        """What BigQuery compares when a table is replaced: the field and its unit or integer range."""
        if p is None:
            return None
        if p.data_type == "int64" and p.range is not None:
            return (p.field.lower(), p.range.start, p.range.end, p.range.interval)
        return (p.field.lower(), p.granularity)

    def _rebuild(self, relation: Relation, select_sql: str, partitioning: Partitioning | None) -> None:
        """Replace a table by one partitioned otherwise: BigQuery refuses ``CREATE OR REPLACE`` over a table
        with another partitioning spec ("Cannot replace a table with a different partitioning spec").

        The new table is built first, beside the old one (a failing query leaves the old table as it
        was); then one script drops the old table and copies the new one into its place.
        """
        built = self.temp_relation(relation)
        self.execute(self._create_sql(built, select_sql, partitioning, replace=False, expires=True))
        try:
            self.execute(
                f"DROP TABLE {self.qualified(relation)};\n"
                + self._create_sql(relation, f"SELECT * FROM {self.qualified(built)}", partitioning, False, False)
            )
        except BigQueryError as exc:
            raise BigQueryError(
                f"{exc}\nThe new rows are kept in {built} until it expires ({STAGED_EXPIRATION_HOURS} hours).",
                exc.code,
            ) from None
        self.drop_table(built)

    def _insert_clause(self, staged: Relation) -> str:
        names = [n for n, _ in self.columns(staged)]
        if not names:
            raise EngineError(f"staged table {staged} has no columns (it does not exist?)")
        cols = ", ".join(self.quote(n) for n in names)
        return f"INSERT ({cols}) VALUES ({cols})"

    def replace_all(self, target: Relation, staged: Relation) -> None:
        """Replace every row of ``target`` by ``staged``'s in one atomic MERGE (keeps partitioning)."""
        self.execute(
            f"MERGE {self.qualified(target)} AS dop_target\n"
            f"USING {self.qualified(staged)} AS dop_staged ON FALSE\n"
            "WHEN NOT MATCHED BY SOURCE THEN DELETE\n"
            f"WHEN NOT MATCHED THEN {self._insert_clause(staged)}"
        )

    def replace_partitions(self, target: Relation, staged: Relation, partitioning: Partitioning) -> int:
        """Replace the partitions present in ``staged`` with one atomic MERGE; return how many.

        One script: the partitions are collected into a variable, then a single MERGE deletes the
        target's rows in those partitions (``NOT MATCHED BY SOURCE``) and inserts the staged rows.
        Rows whose partition column is NULL form one partition of their own (BigQuery's ``__NULL__``).
        """
        rows = self.query(
            self.replace_partitions_sql(target, staged, partitioning, self._insert_clause(staged))
        ).rows
        return int(rows[0][0]) if rows else 0

    def replace_partitions_sql(
        self, target: Relation, staged: Relation, partitioning: Partitioning, insert: str
    ) -> str:
        """The script of :meth:`replace_partitions` (``insert``: its ``INSERT (cols) VALUES (cols)``)."""
        col = self.quote(partitioning.field)
        staged_key = self._key(col, partitioning)
        target_key = self._key(f"dop_target.{col}", partitioning)
        return (
            f"DECLARE dop_partitions ARRAY<{self._key_type(partitioning)}> DEFAULT "
            f"(SELECT ARRAY_AGG(DISTINCT {staged_key}) FROM {self.qualified(staged)} "
            f"WHERE {col} IS NOT NULL);\n"
            f"DECLARE dop_null_partition BOOL DEFAULT "
            f"(SELECT IFNULL(LOGICAL_OR({col} IS NULL), FALSE) FROM {self.qualified(staged)});\n"
            f"MERGE {self.qualified(target)} AS dop_target\n"
            f"USING {self.qualified(staged)} AS dop_staged ON FALSE\n"
            f"WHEN NOT MATCHED BY SOURCE AND ({target_key} IN UNNEST(dop_partitions) "
            f"OR (dop_null_partition AND dop_target.{col} IS NULL)) THEN DELETE\n"
            f"WHEN NOT MATCHED THEN {insert};\n"
            "SELECT IFNULL(ARRAY_LENGTH(dop_partitions), 0) + IF(dop_null_partition, 1, 0) AS partitions;"
        )

    def create_view(self, relation: Relation, select_sql: str) -> None:
        self.execute(f"CREATE OR REPLACE VIEW {self.qualified(relation)} AS\n{select_sql}")

    def create_function(
        self, relation: Relation, arguments: Sequence[Argument], body: str, returns: str | None,
        dialect: str = "bigquery",
    ) -> None:
        """A SQL UDF; arguments of type ``ANY TYPE`` make it a templated function."""
        args = ", ".join(
            f"{self.quote(check_identifier(a.name, 'argument name'))} "
            f"{_sql_type(a.type, f'argument {a.name}', dialect, templated=True)}"
            for a in arguments
        )
        ret = f" RETURNS {_sql_type(returns, 'returns', dialect)}" if returns else ""
        self.execute(f"CREATE OR REPLACE FUNCTION {self.qualified(relation)}({args}){ret} AS (\n{body}\n)")

    def create_procedure(
        self, relation: Relation, arguments: Sequence[Argument], body: str, dialect: str = "bigquery"
    ) -> None:
        if dialect != self.dialect:
            body = self.translate(body, dialect)
        body = body.strip()
        if not body.endswith(";"):
            body += ";"
        args = ", ".join(
            f"{_mode(a)}{self.quote(check_identifier(a.name, 'argument name'))} "
            f"{_sql_type(a.type, f'argument {a.name}', dialect)}"
            for a in arguments
        )
        self.execute(f"CREATE OR REPLACE PROCEDURE {self.qualified(relation)}({args})\nBEGIN\n{body}\nEND")

    def drop_table(self, relation: Relation) -> None:
        self.execute(f"DROP TABLE IF EXISTS {self.qualified(relation)}")

    # -- seeds ----------------------------------------------------------------------------------
    def load_csv(
        self, relation: Relation, path: str, columns: dict[str, str] | None, delimiter: str, header: bool
    ) -> int:
        """Replace ``relation`` with a local CSV file through one load job (WRITE_TRUNCATE: atomic)."""
        import concurrent.futures

        import requests
        from google.api_core import exceptions as gexc
        from google.auth.exceptions import GoogleAuthError
        from google.cloud import bigquery

        config = bigquery.LoadJobConfig(
            source_format=bigquery.SourceFormat.CSV,
            field_delimiter=check_delimiter(delimiter),
            skip_leading_rows=1 if header else 0,
            write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE,
            labels=self.labels,
        )
        if columns:
            config.schema = [
                bigquery.SchemaField(check_identifier(name, "column name"), _bigquery_type(typ))
                for name, typ in columns.items()
            ]
        else:
            config.autodetect = True
        destination = f"{relation.database or self.project}.{relation.schema}.{relation.name}"
        job = None
        try:
            with open(path, "rb") as handle:
                job = self.client.load_table_from_file(
                    handle,
                    destination,
                    job_config=config,
                    location=self.location,
                    timeout=min(self.job_timeout, 300.0),
                )
            job.result(timeout=self.job_timeout)
        except concurrent.futures.TimeoutError:
            raise EngineError(
                f"BigQuery load job {getattr(job, 'job_id', '?')} of {path} did not finish within "
                f"job_timeout={self.job_timeout:.0f}s"
            ) from None
        except gexc.GoogleAPIError as exc:
            raise BigQueryError(
                self._describe(exc, job, f"-- load job: {path} -> {destination}"), getattr(exc, "code", None)
            ) from None
        except GoogleAuthError as exc:
            raise BigQueryError(self._auth_failure(exc)) from None
        except requests.exceptions.RequestException as exc:
            raise BigQueryError(self._unreachable(exc, min(self.job_timeout, 300.0))) from None
        return int(job.output_rows) if job.output_rows is not None else self.row_count(relation)


_PARTITION_TYPES = {"DATE": "date", "DATETIME": "datetime", "TIMESTAMP": "timestamp"}


def _partitioning_of(table: Any, columns: tuple[ColumnShape, ...]) -> Partitioning | None:
    """The partitioning kept in a table's metadata; a time partitioning's data type is its column's type."""
    ranged = table.range_partitioning
    if ranged is not None:
        r = ranged.range_
        return Partitioning(field=ranged.field, data_type="int64", range=IntegerRange(r.start, r.end, r.interval))
    timed = table.time_partitioning
    if timed is None:
        return None
    field = timed.field or "_PARTITIONTIME"  # ingestion-time partitioning (never made by DOP)
    types = {c.name.lower(): c.type.upper() for c in columns}
    data_type = _PARTITION_TYPES.get(types.get(field.lower(), "TIMESTAMP"), "timestamp")
    return Partitioning(field=field, data_type=data_type, granularity=str(timed.type_ or "DAY").lower())


def _bigquery_type(text: str) -> str:
    """A column type of a seed in BigQuery's spelling (BIGINT -> INT64, VARCHAR -> STRING, ...)."""
    from dop_core.sql.dialects import translate_type

    for dialect in ("bigquery", "duckdb"):
        try:
            return translate_type(text, dialect, "bigquery")
        except SqlError:
            continue
    raise EngineError(f"{text!r} is not a column type BigQuery knows (e.g. STRING, INT64, DATE, NUMERIC)")


def _no_answer(exc: Exception) -> bool:
    """Whether ``exc`` says the endpoint did not answer (no connection, or no reply in time)."""
    import requests
    from google.auth.exceptions import TransportError

    return isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout | TransportError)


def _short(exc: Exception) -> str:
    """``exc`` in a few words: its type and the operating system's reason (``[Errno 111] Connection refused``)."""
    import requests

    text = str(exc)
    if reason := re.search(r"\[Errno -?\d+\][^'\")]*", text):
        text = reason.group(0)
    elif isinstance(exc, requests.exceptions.RequestException):
        text = ""  # urllib3's pool and URL, nothing a user needs
    text = " ".join(text.split())[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _numbered(sql: str, limit: int = 60) -> str:
    lines = sql.splitlines() or [""]
    width = len(str(min(len(lines), limit)))
    shown = [f"  {i:>{width}} | {line}" for i, line in enumerate(lines[:limit], start=1)]
    if len(lines) > limit:
        shown.append(f"  ... ({len(lines) - limit} more lines)")
    return "SQL sent:\n" + "\n".join(shown)


def connect(target: Target) -> BigQueryEngine:
    from dop_core.extras import GOOGLE_EXTRA

    GOOGLE_EXTRA.require(f"target {target.name!r} (engine bigquery)")
    return BigQueryEngine(target)


__all__ = ["BigQueryEngine", "BigQueryError", "BigQueryTarget", "connect", "redact"]
