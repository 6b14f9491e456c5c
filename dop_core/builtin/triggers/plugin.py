"""Built-in trigger kinds: what DAGs and tasks wait for (``triggers: [{kind: ..., options: ...}]``).

``external_task``, ``sql``, ``file``, ``gcs_object`` and ``bigquery_table``, registered through
:func:`dop_core.contract.hookspecs.dop_trigger_types` like any plugin's. Every kind takes the wait options
(``poke_interval``, ``timeout``, ``mode``, ``soft_fail``); the options models live in
:mod:`dop_core.builtin.triggers.options`, imported only when a config uses a trigger. ``build`` runs at
parse time and imports only Airflow's base classes and the standard provider; clients (DuckDB, fsspec
backends, google-cloud) are imported by the sensors when they run. See docs/triggers.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from dop_core.config.durations import format_duration
from dop_core.config.models import DAG_ID_PREFIX
from dop_core.contract.contexts import TriggerBuild, ValidationContext
from dop_core.contract.hookspecs import hookimpl
from dop_core.contract.records import TriggerType
from dop_core.errors import Problem, did_you_mean
from dop_core.extras import GOOGLE_EXTRA

if TYPE_CHECKING:
    from dop_core.builtin.triggers.options import ExternalTaskOptions, GoogleOptions


def _validate_wait(ctx: ValidationContext) -> Iterator[Problem]:
    o = ctx.options  # each within its bounds (see WaitOptions); together:
    if o.timeout < o.poke_interval:
        yield ctx.problem(("options", "timeout"), f"timeout ({format_duration(o.timeout)}) is shorter than "
                          f"poke_interval ({format_duration(o.poke_interval)}): the condition would be checked at "
                          "most once",
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
    """Task ids of another DOP DAG (its tasks, those with an error of their own included, and wait tasks), or None
    if its config does not load."""
    from dop_core.config.models import trigger_task_ids
    from dop_core.config.project import parse_dag_config

    config = parse_dag_config(folder, [])
    if config is None:
        return None
    ids = config.written_task_ids
    ids |= set(trigger_task_ids(config, config.triggers, None))
    for task in config.tasks:
        ids |= set(trigger_task_ids(config, task.triggers, task))
    return ids


def _waits_for(options: ExternalTaskOptions) -> str | None:
    """The DOP DAG of this project waited for (None for a DAG outside it)."""
    return None if options.external else options.dag.removeprefix(DAG_ID_PREFIX)


def _external_task_inputs(ctx: ValidationContext) -> list[str]:
    """The config of the DOP DAG waited for (its task ids are checked)."""
    dag = _waits_for(ctx.options)
    return [] if dag is None else [str(ctx.project.orchestration_dir / dag / "config.yaml")]


def _external_task(build: TriggerBuild) -> Any:
    from airflow.providers.standard.sensors.external_task import ExternalTaskSensor

    from dop_core.contract.variable_params import with_variable_params

    o: ExternalTaskOptions = build.options
    return with_variable_params(ExternalTaskSensor)(
        external_dag_id=external_dag_id(o), external_task_id=o.task, execution_delta=o.delta,
        allowed_states=list(o.allowed_states), failed_states=list(o.failed_states) or None,
        **_wait_kwargs(build))


# --- sql -----------------------------------------------------------------------------------------------

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
    from dop_core.builtin.triggers.operators import DopSqlSensor

    sql_file = str(build.sql_path.relative_to(build.folder)) if build.sql_path is not None else None
    return DopSqlSensor(target=build.target, dialect=build.project.dialect, sql=build.options.sql or sql_file or "",
                        sql_file=sql_file, kind="trigger/sql", **_wait_kwargs(build))


# --- file ----------------------------------------------------------------------------------------------

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
    from dop_core.builtin.triggers.operators import DopFileSensor

    return DopFileSensor(filepath=file_path(build), storage_options=dict(build.options.storage_options) or None,
                         **_wait_kwargs(build))


# --- gcs_object and bigquery_table (apache-airflow-providers-google, built lazily) ----------------------
# Their wait tasks are DOP's own thin sensors, made from options their models already checked (bucket, object,
# table, partition, impersonation_chain) and the wait options _validate_wait checks as Airflow's sensor would:
# building one can refuse nothing validation lets through, so `dop validate` need not build them.

def _google(build: TriggerBuild) -> dict[str, Any]:
    o: GoogleOptions = build.options
    target = build.target.typed_options if build.target.engine == "bigquery" else None
    conn = o.gcp_conn_id or getattr(target, "gcp_conn_id", None) or "google_cloud_default"
    chain = o.impersonation_chain if o.impersonation_chain is not None else getattr(target, "impersonation_chain",
                                                                                    None)
    return {"gcp_conn_id": conn, "impersonation_chain": chain, "deferrable": o.deferrable, **_wait_kwargs(build)}


def _gcs_object(build: TriggerBuild) -> Any:
    from dop_core.builtin.triggers.operators import DopGcsObjectSensor

    return DopGcsObjectSensor(bucket=build.options.bucket, object=build.options.object, **_google(build))


def _bigquery_table(build: TriggerBuild) -> Any:
    from dop_core.builtin.triggers.operators import DopBigQueryTableSensor
    from dop_core.builtin.triggers.options import split_table

    project, dataset, table = split_table(build.options.table)
    if project is None and build.target.engine == "bigquery":
        project = getattr(build.target.typed_options, "project", None)
    return DopBigQueryTableSensor(project_id=project, dataset_id=dataset, table_id=table,
                                  partition_id=build.options.partition, **_google(build))


_OPTIONS = "dop_core.builtin.triggers.options:"  # imported only when a config uses the trigger


@hookimpl
def dop_trigger_types() -> list[TriggerType]:
    return [
        TriggerType(kind="external_task", options=_OPTIONS + "ExternalTaskOptions", build=_external_task,
                    validate=_validate_external_task, inputs=_external_task_inputs, waits_for=_waits_for,
                    validate_covers_build=True,
                    description="another DAG's run (or one of its tasks) at the same logical date, or delta earlier"),
        TriggerType(kind="sql", options=_OPTIONS + "SqlOptions", build=_sql, validate=_validate_sql,
                    sql_file="optional", sql="query", inputs=(), validate_covers_build=True,
                    description="a SQL condition on the target's warehouse, re-checked until it holds"),
        TriggerType(kind="file", options=_OPTIONS + "FileOptions", build=_file, validate=_validate_file, inputs=(),
                    validate_covers_build=True,
                    description="a local path or glob, or any fsspec URL, appearing"),
        TriggerType(kind="gcs_object", options=_OPTIONS + "GcsObjectOptions", build=_gcs_object,
                    validate=_validate_wait, inputs=(), requires=GOOGLE_EXTRA, validate_covers_build=True,
                    description="an object (or glob) in a GCS bucket; deferrable"),
        TriggerType(kind="bigquery_table", options=_OPTIONS + "BigQueryTableOptions", build=_bigquery_table,
                    validate=_validate_wait, inputs=(), requires=GOOGLE_EXTRA, validate_covers_build=True,
                    description="a BigQuery table or one of its partitions; deferrable"),
    ]
