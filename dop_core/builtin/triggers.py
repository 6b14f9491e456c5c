"""Built-in trigger kinds: what DAGs and tasks wait for (``triggers: [{kind: ..., options: ...}]``).

``external_task``, ``sql``, ``file``, ``gcs_object`` and ``bigquery_table``, registered through
:func:`dop_core.hookspecs.dop_trigger_types` like any plugin's. Every kind takes the wait options of
:class:`WaitOptions` (``poke_interval``, ``timeout``, ``mode``, ``soft_fail``). ``build`` runs at parse
time and imports only Airflow's base classes and the standard provider; clients (DuckDB, fsspec
backends, google-cloud) are imported by the sensors when they run. See docs/triggers.md.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any, Literal

import attrs

from dop_core.build.context import TriggerBuild, ValidationContext
from dop_core.errors import Problem, did_you_mean
from dop_core.hookspecs import hookimpl
from dop_core.project import DAG_ID_PREFIX
from dop_core.records import TriggerType


@attrs.frozen(kw_only=True)
class WaitOptions:
    """Options every trigger kind takes: how often to check, for how long, and what waiting costs."""

    poke_interval: dt.timedelta = attrs.field(default=dt.timedelta(seconds=60), metadata={
        "doc": "time between checks, e.g. 30s"})
    timeout: dt.timedelta = attrs.field(default=dt.timedelta(hours=6), metadata={
        "doc": "give up after this long (the wait task fails, or is skipped with soft_fail)"})
    mode: Literal["poke", "reschedule"] = attrs.field(default="reschedule", metadata={
        "doc": "reschedule frees the worker slot between checks; poke keeps it (for checks every few seconds)"})
    soft_fail: bool = attrs.field(default=False, metadata={
        "doc": "on timeout, skip the wait task (and what depends on it) instead of failing"})

    def sensor_kwargs(self) -> dict[str, Any]:
        return {"poke_interval": self.poke_interval.total_seconds(), "timeout": self.timeout.total_seconds(),
                "mode": self.mode, "soft_fail": self.soft_fail}


def _validate_wait(ctx: ValidationContext) -> Iterator[Problem]:
    o = ctx.options
    if o.poke_interval <= dt.timedelta(0):
        yield ctx.problem(("options", "poke_interval"), "poke_interval must be longer than zero",
                          "a duration such as 30s or 5m")
    if o.timeout < o.poke_interval:
        yield ctx.problem(("options", "timeout"), f"timeout ({o.timeout}) is shorter than poke_interval "
                          f"({o.poke_interval}): the condition would be checked at most once",
                          "a timeout longer than poke_interval", "raise timeout or lower poke_interval")


def _wait_kwargs(build: TriggerBuild) -> dict[str, Any]:
    kwargs = {"task_id": build.task_id, **build.options.sensor_kwargs()}
    trig = build.trigger
    kwargs["doc_md"] = (f"DOP trigger `{trig.kind}` of " + (f"task `{build.for_task.identifier}`" if build.for_task
                                                             else "this DAG") + ": waits before it runs.")
    return kwargs


# --- external_task -------------------------------------------------------------------------------------

_DAG_RUN_STATES = ("success", "failed", "running", "queued")
_TI_STATES = ("success", "failed", "skipped", "upstream_failed", "removed", "up_for_retry", "running", "queued",
              "scheduled", "deferred", "up_for_reschedule", "restarting")


@attrs.frozen(kw_only=True)
class ExternalTaskOptions(WaitOptions):
    dag: str = attrs.field(metadata={
        "doc": "the DAG to wait for: a DOP DAG of this project by folder name (or its dop__ id); any other "
               "DAG id with external: true"})
    task: str | None = attrs.field(default=None, metadata={"doc": "the task to wait for (default: the whole DAG run)"})
    delta: dt.timedelta | None = attrs.field(default=None, metadata={
        "doc": "wait for the run this long BEFORE this run's logical date (e.g. 1d: yesterday's run)"})
    external: bool = attrs.field(default=False, metadata={
        "doc": "dag is an Airflow DAG id outside this DOP project, used exactly as written"})
    allowed_states: list[str] = attrs.field(factory=lambda: ["success"], metadata={
        "doc": "states that end the wait successfully"})
    failed_states: list[str] = attrs.field(factory=lambda: ["failed"], metadata={
        "doc": "states that fail the wait at once (instead of waiting until timeout)"})


def external_dag_id(options: ExternalTaskOptions) -> str:
    """The Airflow DAG id an external_task trigger waits for (the rule documented in docs/triggers.md)."""
    if options.external or options.dag.startswith(DAG_ID_PREFIX):
        return options.dag
    return DAG_ID_PREFIX + options.dag


def _validate_external_task(ctx: ValidationContext) -> Iterator[Problem]:
    yield from _validate_wait(ctx)
    o: ExternalTaskOptions = ctx.options
    states = _TI_STATES if o.task else _DAG_RUN_STATES
    what = "task" if o.task else "DAG run (no `task` given)"
    for key in ("allowed_states", "failed_states"):
        for i, state in enumerate(getattr(o, key)):
            if state not in states:
                yield ctx.problem(("options", key, i), f"{state!r} is not a state of a {what}",
                                  "one of " + ", ".join(states), did_you_mean(state, states))
    both = sorted(set(o.allowed_states) & set(o.failed_states))
    if both:
        written = "failed_states" if ctx.trigger is not None and "failed_states" in ctx.trigger.options else \
            "allowed_states"
        yield ctx.problem(("options", written), f"{', '.join(both)} is both an allowed and a failed state",
                          "states in one list only", "remove it from failed_states (or allowed_states)")
    if o.external:
        return
    name = o.dag.removeprefix(DAG_ID_PREFIX)
    folders = {f.name: f for f in ctx.project.dag_folders()}
    if name not in folders:
        yield ctx.problem(("options", "dag"), f"no DOP DAG {name!r} in this project",
                          "the folder name of a DAG under " + ctx.project.orchestration_dir.name + "/",
                          did_you_mean(name, folders) or "for a DAG outside DOP, add `external: true` and write its "
                          "Airflow DAG id")
        return
    if name == ctx.dag.name and not o.delta and not o.task:
        yield ctx.problem(("options", "dag"), "this trigger waits for its own DAG run", "another DAG, or a delta",
                          "set delta (e.g. 1d to wait for the previous day's run)")
    if o.task:
        ids = _task_ids(folders[name])
        if ids is not None and o.task not in ids:
            yield ctx.problem(("options", "task"), f"DAG {name!r} has no task {o.task!r}",
                              "one of " + ", ".join(sorted(ids)), did_you_mean(o.task, ids))


def _task_ids(folder: Any) -> set[str] | None:
    """Task ids of another DOP DAG (its tasks and wait tasks), or None if its config does not load."""
    from dop_core.project import parse_dag_config
    from dop_core.validate import trigger_task_ids

    config = parse_dag_config(folder, [])
    if config is None:
        return None
    ids = {t.identifier for t in config.tasks}
    ids |= set(trigger_task_ids(config, config.triggers, None))
    for task in config.tasks:
        ids |= set(trigger_task_ids(config, task.triggers, task))
    return ids


def _external_task(build: TriggerBuild) -> Any:
    from airflow.providers.standard.sensors.external_task import ExternalTaskSensor

    from dop_core.operators.params import with_variable_params

    o: ExternalTaskOptions = build.options
    return with_variable_params(ExternalTaskSensor)(
        external_dag_id=external_dag_id(o), external_task_id=o.task, execution_delta=o.delta,
        allowed_states=list(o.allowed_states), failed_states=list(o.failed_states) or None,
        **_wait_kwargs(build))


# --- sql -----------------------------------------------------------------------------------------------

@attrs.frozen(kw_only=True)
class SqlOptions(WaitOptions):
    sql: str | None = attrs.field(default=None, metadata={
        "doc": "the condition's query (Jinja-templated); default: the file sql/<identifier>.sql"})


def _validate_sql(ctx: ValidationContext) -> Iterator[Problem]:
    yield from _validate_wait(ctx)
    assert ctx.trigger is not None
    ident = ctx.trigger.identifier
    if ctx.options.sql is not None and not ctx.options.sql.strip():
        yield ctx.problem(("options", "sql"), "options.sql is empty", "a query returning success and description, "
                          "or one true/false column")
    elif ctx.options.sql is not None and ctx.sql_path is not None:
        yield ctx.problem(("options", "sql"), f"the condition is given twice: options.sql and sql/{ident}.sql",
                          "one of them", f"remove options.sql or the file sql/{ident}.sql")
    elif ctx.options.sql is None and ctx.sql_path is None:
        where = (f"the file sql/{ident}.sql does not exist" if ident
                 else "there is no options.sql and no identifier naming a file sql/<identifier>.sql")
        yield ctx.problem(("identifier",) if ident else ("kind",), f"this sql trigger has no condition: {where}",
                          "options.sql, or an identifier and the file sql/<identifier>.sql in the DAG folder",
                          f"create {ctx.dag.name}/sql/{ident}.sql" if ident else
                          "add `options: {sql: SELECT ...}`, or `identifier: <name>` and sql/<name>.sql")


def _sql(build: TriggerBuild) -> Any:
    from dop_core.operators.triggers import DopSqlSensor

    sql_file = str(build.sql_path.relative_to(build.folder)) if build.sql_path is not None else None
    return DopSqlSensor(target=build.target, dialect=build.project.dialect, sql=build.options.sql or sql_file or "",
                        sql_file=sql_file, kind="trigger/sql", **_wait_kwargs(build))


# --- file ----------------------------------------------------------------------------------------------

@attrs.frozen(kw_only=True)
class FileOptions(WaitOptions):
    path: str = attrs.field(metadata={
        "doc": "a path or glob (Jinja-templated, e.g. landing/{{ ds }}/*.csv); relative paths resolve against the "
               "project folder; any fsspec URL (gs://, s3://, sftp://...) works with its fsspec package installed"})
    storage_options: dict[str, Any] = attrs.field(factory=dict, metadata={
        "doc": "keyword arguments of the fsspec file system (e.g. {anon: true})"})


def _protocol(path: str) -> str | None:
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.\-]*)://", path)
    return match.group(1).lower() if match else None


def _validate_file(ctx: ValidationContext) -> Iterator[Problem]:
    yield from _validate_wait(ctx)
    path = ctx.options.path
    if not path.strip():
        yield ctx.problem(("options", "path"), "options.path is empty", "a path, a glob or an fsspec URL")
        return
    protocol = _protocol(path)
    if protocol and protocol not in ("file", "local"):
        from fsspec.registry import known_implementations, registry

        if protocol not in known_implementations and protocol not in registry:
            yield ctx.problem(("options", "path"), f"fsspec knows no file system {protocol!r}://",
                              "a local path or a URL such as gs://bucket/path, s3://..., sftp://...",
                              did_you_mean(protocol, known_implementations) or "check the URL's scheme")


def file_path(build: TriggerBuild) -> str:
    """The path the file trigger watches: a relative local path is anchored at the project folder."""
    path = build.options.path
    if _protocol(path) or path.startswith("/") or path.startswith("{{"):
        return path
    return str(build.project.root / path)


def _file(build: TriggerBuild) -> Any:
    from dop_core.operators.triggers import DopFileSensor

    return DopFileSensor(filepath=file_path(build), storage_options=dict(build.options.storage_options) or None,
                         **_wait_kwargs(build))


# --- gcs_object and bigquery_table (apache-airflow-providers-google, built lazily) ----------------------

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9_.\-]{1,220}[a-z0-9]$")


def _bucket(value: Any) -> str:
    text = str(value)
    if text.startswith("gs://"):
        raise ValueError(f"{text!r}: write the bucket name alone, without gs:// (e.g. {text[5:].split('/')[0]!r}); "
                         "the path inside the bucket goes in `object`")
    if "{{" in text:
        return text
    if not _BUCKET.match(text) or ".." in text or (len(text) > 63 and "." not in text):
        raise ValueError(f"{text!r} is not a GCS bucket name: 3-63 lowercase letters, digits, dashes, underscores "
                         "and dots, starting and ending with a letter or digit")
    return text


def _chain(value: Any) -> Any:
    if isinstance(value, str) or (isinstance(value, list) and value and all(isinstance(v, str) for v in value)):
        return value
    raise ValueError("impersonation_chain is a service account email or a list of them")


def _object(value: Any) -> str:
    text = str(value)
    if not text or text.startswith("/") or text.startswith("gs://"):
        raise ValueError(f"{text!r} is not an object name: write the path inside the bucket, without gs:// or a "
                         "leading slash (e.g. exports/{{ ds }}/data.csv)")
    return text


@attrs.frozen(kw_only=True)
class GoogleOptions(WaitOptions):
    gcp_conn_id: str | None = attrs.field(default=None, metadata={
        "doc": "Airflow connection (default: the BigQuery target's gcp_conn_id, else google_cloud_default)"})
    impersonation_chain: Any = attrs.field(default=None, metadata={
        "parse": _chain, "doc": "service account(s) to impersonate (default: the BigQuery target's)"})
    deferrable: bool = attrs.field(default=True, metadata={
        "doc": "wait in Airflow's triggerer, holding no worker slot (needs a triggerer running)"})


@attrs.frozen(kw_only=True)
class GcsObjectOptions(GoogleOptions):
    bucket: str = attrs.field(metadata={"parse": _bucket, "expected": "a bucket name such as my-landing-bucket",
                                        "doc": "the bucket, without gs://"})
    object: str = attrs.field(metadata={
        "parse": _object, "expected": "an object path such as exports/{{ ds }}/data.csv",
        "doc": "the object (Jinja-templated); with * ? or [ it is a glob and any match ends the wait"})


_PROJECT = re.compile(r"^([a-z][a-z0-9.\-]*:)?[a-z][a-z0-9\-]{4,28}[a-z0-9]$")
_DATASET = re.compile(r"^[A-Za-z0-9_]{1,1024}$")
_TABLE = re.compile(r"^[\w\-$]{1,1024}$")
_PARTITION = re.compile(r"^(\d{4}|\d{6}|\d{8}|\d{10}|-?\d+|__NULL__|__UNPARTITIONED__)$")


def split_table(value: Any) -> tuple[str | None, str, str]:
    """``(project or None, dataset, table)`` of ``[project.]dataset.table``; ValueError if invalid."""
    text = str(value).strip("`")
    parts = text.split(".")
    if len(parts) not in (2, 3):
        raise ValueError(f"{text!r} is not a BigQuery table: write project.dataset.table or dataset.table")
    project = parts[0] if len(parts) == 3 else None
    dataset, table = parts[-2], parts[-1]
    if project is not None and "{{" not in project and not _PROJECT.match(project):
        raise ValueError(f"{project!r} is not a GCP project id (6-30 lowercase letters, digits and dashes)")
    if "{{" not in dataset and not _DATASET.match(dataset):
        raise ValueError(f"{dataset!r} is not a BigQuery dataset name (letters, digits and underscores)")
    if "{{" not in table and not _TABLE.match(table):
        raise ValueError(f"{table!r} is not a BigQuery table name (letters, digits, underscores, dashes)")
    return project, dataset, table


def _table(value: Any) -> str:
    split_table(value)
    return str(value).strip("`")


def _partition(value: Any) -> str:
    text = str(value)
    if "{{" in text or _PARTITION.match(text):
        return text
    raise ValueError(f"{text!r} is not a BigQuery partition id: YYYYMMDD (e.g. {{{{ ds_nodash }}}}), YYYYMMDDHH, "
                     "YYYYMM, YYYY, an integer range start, __NULL__ or __UNPARTITIONED__")


@attrs.frozen(kw_only=True)
class BigQueryTableOptions(GoogleOptions):
    table: str = attrs.field(metadata={
        "parse": _table, "expected": "project.dataset.table, or dataset.table (the target's project)",
        "doc": "the table to wait for"})
    partition: str | None = attrs.field(default=None, metadata={
        "parse": _partition, "expected": "a partition id such as {{ ds_nodash }} or 20240131",
        "doc": "wait for this partition of the table (Jinja-templated) instead of the table"})


def _google(build: TriggerBuild) -> dict[str, Any]:
    o: GoogleOptions = build.options
    target = build.target.typed_options if build.target.engine == "bigquery" else None
    conn = o.gcp_conn_id or getattr(target, "gcp_conn_id", None) or "google_cloud_default"
    chain = o.impersonation_chain if o.impersonation_chain is not None else getattr(target, "impersonation_chain",
                                                                                    None)
    return {"gcp_conn_id": conn, "impersonation_chain": chain, "deferrable": o.deferrable, **_wait_kwargs(build)}


def _gcs_object(build: TriggerBuild) -> Any:
    from dop_core.operators.triggers import DopGcsObjectSensor

    return DopGcsObjectSensor(bucket=build.options.bucket, object=build.options.object, **_google(build))


def _bigquery_table(build: TriggerBuild) -> Any:
    from dop_core.operators.triggers import DopBigQueryTableSensor

    project, dataset, table = split_table(build.options.table)
    if project is None and build.target.engine == "bigquery":
        project = getattr(build.target.typed_options, "project", None)
    return DopBigQueryTableSensor(project_id=project, dataset_id=dataset, table_id=table,
                                  partition_id=build.options.partition, **_google(build))


@hookimpl
def dop_trigger_types() -> list[TriggerType]:
    return [
        TriggerType(kind="external_task", options=ExternalTaskOptions, build=_external_task,
                    validate=_validate_external_task,
                    description="another DAG's run (or one of its tasks) at the same logical date, or delta earlier"),
        TriggerType(kind="sql", options=SqlOptions, build=_sql, validate=_validate_sql, sql_file="optional",
                    description="a SQL condition on the target's warehouse, re-checked until it holds"),
        TriggerType(kind="file", options=FileOptions, build=_file, validate=_validate_file,
                    description="a local path or glob, or any fsspec URL, appearing"),
        TriggerType(kind="gcs_object", options=GcsObjectOptions, build=_gcs_object, validate=_validate_wait,
                    description="an object (or glob) in a GCS bucket; deferrable"),
        TriggerType(kind="bigquery_table", options=BigQueryTableOptions, build=_bigquery_table,
                    validate=_validate_wait, description="a BigQuery table or one of its partitions; deferrable"),
    ]
