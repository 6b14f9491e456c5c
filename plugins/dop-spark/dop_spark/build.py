"""Turn a validated Spark task into its operator: local mode on DuckDB targets, Dataproc on BigQuery.

Runs at DAG-parse time: it imports neither pyspark nor google-cloud (the operators import them in
``execute``).
"""

from __future__ import annotations

import pathlib
from typing import Any

from dop_core import DopError, Relation, TaskBuild, resolve_project_path, table_asset
from dop_spark import __version__
from dop_spark import settings as spark_settings
from dop_spark.validate import input_name, parse_table, script_path

#: Spark conf of every Dataproc job unless plugins.spark or the task sets it
DATAPROC_CONF = {"spark.sql.session.timeZone": "UTC"}
#: set by DOP on Dataproc: the job registers its inputs in its own throw-away catalog, never in a
#: cluster's Hive metastore
DATAPROC_FIXED_CONF = {
    "spark.sql.catalogImplementation": "in-memory",
    "spark.sql.warehouse.dir": "file:///tmp/dop-spark-warehouse",
}


def build(b: TaskBuild) -> Any:
    settings: spark_settings.SparkSettings = b.settings  # plugins.spark for the target, merged and checked by DOP
    inputs = [parse_table(t) for t in b.options.inputs]
    names = [input_name(t) for t in b.options.inputs]
    output = parse_table(b.options.output) if b.options.output else b.relation
    lineage = {
        "inlets": [table_asset(b.project, f"{r.schema}.{r.name}") for r in inputs],
        "outlets": [table_asset(b.project, f"{output.schema}.{output.name}")],
    }
    if b.target.engine == "duckdb":
        return _local(b, settings, inputs, names, output, lineage)
    if b.target.engine == "bigquery":
        return _dataproc(b, settings, inputs, names, output, lineage)
    raise DopError(
        f"task {b.task_id!r}: Spark tasks run on duckdb (Spark local mode) or bigquery (Dataproc) "
        f"targets; target {b.target.name!r} is {b.target.engine}"
    )


def _script(b: TaskBuild) -> str | None:
    if b.task.kind.target != "pyspark":
        return None
    return str(resolve_project_path(b.project, script_path(b.folder, b.task_id), what="PySpark script"))


def _py_files(b: TaskBuild) -> list[str]:
    return [str(resolve_project_path(b.project, p, base=b.folder, what="py_files entry")) for p in b.options.py_files]


def _local(
    b: TaskBuild,
    settings: spark_settings.SparkSettings,
    inputs: list[Relation],
    names: list[str],
    output: Relation,
    lineage: dict[str, Any],
) -> Any:
    from dop_spark.local import DopSparkLocalOperator

    kind = f"spark/{b.task.kind.target}"
    return DopSparkLocalOperator(
        kind=kind,
        target=b.target,
        input_tables=inputs,
        input_names=names,
        output_table=output,
        sql=b.sql_template if kind == "spark/sql" else None,
        sql_file=b.sql_template,
        script=_script(b),
        conf={**(settings.conf or {}), **b.options.conf},
        packages=[*(settings.packages or []), *b.options.packages],
        py_files=_py_files(b),
        master=settings.master or "local[*]",
        work_dir=str(b.project.dop_dir / "spark" / b.dag.dag_id / b.task_id),
        keep_files=bool(settings.keep_files),
        **lineage,
        **b.operator_kwargs(),
    )


def _bigquery_table(rel: Relation, project: str | None) -> str:
    database = rel.database or project
    return ".".join(p for p in (database, rel.schema, rel.name) if p)


def _dataproc(
    b: TaskBuild,
    settings: spark_settings.SparkSettings,
    inputs: list[Relation],
    names: list[str],
    output: Relation,
    lineage: dict[str, Any],
) -> Any:
    from dop_spark.dataproc import RUN_PLACEHOLDER, DopDataprocSparkOperator, batch_id_prefix, label

    target_options = b.target.typed_options
    bq_project = getattr(target_options, "project", None)
    gcp_project = settings.project or bq_project
    if not settings.region or not settings.staging_bucket:
        raise DopError(
            f"task {b.task_id!r}: Spark on BigQuery target {b.target.name!r} needs plugins.spark "
            "region and staging_bucket in dop_project.yml (`dop validate` shows where)"
        )
    kind = f"spark/{b.task.kind.target}"
    mode = settings.mode or "serverless"
    base = f"{settings.staging_bucket}/{b.project.name}/{b.dag.dag_id}/{b.task_id}"
    runner_uri = f"{settings.staging_bucket}/{b.project.name}/_dop/dop_spark_job-{__version__}.py"
    spec_uri = f"{base}/runs/{RUN_PLACEHOLDER}/spec.json"
    py_files = {p: f"{base}/py_files/{pathlib.PurePath(p).name}" for p in _py_files(b)}
    connector: dict[str, str] = {"parentProject": gcp_project} if gcp_project else {}
    spec_inputs = [
        {
            "name": name,
            "schema": r.schema,
            "table": r.name,
            "format": "bigquery",
            "options": {"table": _bigquery_table(r, bq_project), **connector},
        }
        for r, name in zip(inputs, names, strict=True)
    ]
    out_database = output.database or (b.database if not b.options.output else None)
    write: dict[str, str] = {"writeMethod": settings.write_method or "direct"}
    if settings.temporary_gcs_bucket:
        write["temporaryGcsBucket"] = settings.temporary_gcs_bucket
    spec_output = {
        "name": f"{output.schema}.{output.name}",
        "format": "bigquery",
        "mode": "overwrite",
        "options": {
            "table": _bigquery_table(Relation(output.schema, output.name, out_database), bq_project),
            **write,
            **connector,
        },
    }
    properties = {**DATAPROC_CONF, **(settings.conf or {}), **b.options.conf, **DATAPROC_FIXED_CONF}
    packages = [*(settings.packages or []), *b.options.packages]
    if packages:
        properties["spark.jars.packages"] = ",".join(packages)
    pyspark = {
        "main_python_file_uri": runner_uri,
        "args": ["--spec", spec_uri],
        "python_file_uris": list(py_files.values()),
        "jar_file_uris": list(settings.jars or []),
    }
    labels = {label(k): label(str(v)) for k, v in (getattr(target_options, "labels", None) or {}).items()}
    labels.update({"dop-dag": label(b.dag.dag_id), "dop-task": label(b.task_id)})
    batch = job = None
    if mode == "serverless":
        execution: dict[str, Any] = {}
        if settings.service_account:
            execution["service_account"] = settings.service_account
        if settings.subnetwork_uri:
            execution["subnetwork_uri"] = settings.subnetwork_uri
        if settings.network_tags:
            execution["network_tags"] = list(settings.network_tags)
        if b.task.execution_timeout is not None:  # Dataproc ends the batch too, not only the Airflow task
            execution["ttl"] = f"{int(b.task.execution_timeout.total_seconds())}s"
        batch = {
            "pyspark_batch": pyspark,
            "runtime_config": {
                "version": settings.runtime_version or spark_settings.DEFAULT_RUNTIME_VERSION,
                "properties": properties,
            },
            "labels": labels,
        }
        if execution:
            batch["environment_config"] = {"execution_config": execution}
    else:
        job = {
            "placement": {"cluster_name": settings.cluster_name},
            "pyspark_job": {**pyspark, "properties": properties},
            "labels": labels,
        }
        if gcp_project:
            job["reference"] = {"project_id": gcp_project}
    return DopDataprocSparkOperator(
        kind=kind,
        mode=mode,
        region=settings.region,
        project_id=gcp_project,
        staging=settings.staging_bucket,
        spec_inputs=spec_inputs,
        spec_output=spec_output,
        batch=batch,
        job=job,
        sql=b.sql_template if kind == "spark/sql" else None,
        sql_file=b.sql_template,
        script=_script(b),
        py_files=py_files,
        gcp_conn_id=getattr(target_options, "gcp_conn_id", None) or "google_cloud_default",
        impersonation_chain=getattr(target_options, "impersonation_chain", None),
        batch_id_prefix=batch_id_prefix(b.dag.dag_id, b.task_id) if mode == "serverless" else None,
        **lineage,
        **b.operator_kwargs(),
    )
