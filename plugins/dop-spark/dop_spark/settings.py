"""dop-spark's settings: ``plugins: {spark: {...}}`` in ``dop_project.yml``, optionally per target.

Example::

    plugins:
      spark:
        conf: {spark.sql.shuffle.partitions: 8}      # Spark conf of every job, on every target
        targets:
          local:                                     # a DuckDB target: Spark local mode
            master: local[2]
          prod:                                      # a BigQuery target: Dataproc
            mode: serverless                         # or cluster (with cluster_name)
            region: europe-west2
            staging_bucket: gs://my-bucket/dop-spark
            service_account: dop-spark@my-project.iam.gserviceaccount.com

Light module: parse time imports it (no pyspark, no google-cloud).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

import attrs

if TYPE_CHECKING:
    from dop_core import Problem, SettingsContext

SUPPORTED_ENGINES = ("duckdb", "bigquery")
DEFAULT_RUNTIME_VERSION = "2.2"
GCS_URI = re.compile(r"gs://[a-z0-9][a-z0-9._-]{1,220}[a-z0-9](/.*)?")


def _gcs_uri(value: Any) -> str:
    if not isinstance(value, str) or not GCS_URI.fullmatch(value):
        raise ValueError(f"{value!r} is not a Cloud Storage location: write gs://bucket or gs://bucket/prefix")
    return value.rstrip("/")


def _bucket(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"(gs://)?[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]", value):
        raise ValueError(f"{value!r} is not a bucket name: write my-bucket (no gs://, no path)")
    return value.removeprefix("gs://")


def _scalar_conf(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ValueError("conf is a mapping of Spark properties, e.g. {spark.sql.shuffle.partitions: 8}")
    out = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key:
            raise ValueError(f"{key!r} is not a Spark property name")
        if isinstance(item, bool):
            item = "true" if item else "false"
        if not isinstance(item, str | int | float):
            raise ValueError(f"the value of {key!r} must be a string, number or boolean, not {type(item).__name__}")
        out[key] = str(item)
    return out


CONF_EXPECTED = "a mapping of Spark property -> string, number or boolean"


@attrs.frozen
class SparkSettings:
    """What can be set under ``plugins.spark`` and, per target, under ``plugins.spark.targets.<name>`` (DOP reads
    both with this model and merges a target's keys over the others, conf, packages and jars combined: see
    dop_core.PluginSettings)."""

    conf: dict[str, str] | None = attrs.field(
        default=None,
        metadata={
            "parse": _scalar_conf,
            "expected": CONF_EXPECTED,
            "merge": "update",
            "doc": "Spark conf of every job (per-target conf and a task's options.conf are merged over it)",
        },
    )
    packages: list[str] | None = attrs.field(
        default=None,
        metadata={
            "merge": "extend",
            "doc": "Maven coordinates (group:artifact:version) added to every job's spark.jars.packages",
        },
    )
    # local (DuckDB) targets
    master: str | None = attrs.field(
        default=None, metadata={"doc": "local targets: the Spark master (default local[*])"}
    )
    keep_files: bool | None = attrs.field(
        default=None,
        metadata={
            "doc": "local targets: keep .dop/spark/<run>/ (exported inputs, output, job spec) after a successful job"
        },
    )
    # BigQuery targets: Dataproc
    mode: Literal["serverless", "cluster"] | None = attrs.field(
        default=None,
        metadata={
            "doc": "BigQuery targets: serverless (Dataproc Serverless batches, default) or cluster (a job on "
            "cluster_name)"
        },
    )
    region: str | None = attrs.field(
        default=None, metadata={"doc": "BigQuery targets: the Dataproc region, e.g. europe-west2 (required)"}
    )
    staging_bucket: str | None = attrs.field(
        default=None,
        metadata={
            "parse": _gcs_uri,
            "expected": "gs://bucket or gs://bucket/prefix",
            "doc": "BigQuery targets: where DOP uploads the job runner, job specs and py_files (required)",
        },
    )
    project: str | None = attrs.field(
        default=None,
        metadata={"doc": "BigQuery targets: the GCP project Dataproc runs in (default: the target's project)"},
    )
    cluster_name: str | None = attrs.field(
        default=None, metadata={"doc": "BigQuery targets, mode cluster: the existing Dataproc cluster"}
    )
    runtime_version: str | None = attrs.field(
        default=None,
        metadata={
            "doc": "BigQuery targets, mode serverless: the Dataproc Serverless runtime "
            f"(default {DEFAULT_RUNTIME_VERSION})"
        },
    )
    service_account: str | None = attrs.field(
        default=None,
        metadata={"doc": "BigQuery targets, mode serverless: the service account the batch runs as"},
    )
    subnetwork_uri: str | None = attrs.field(
        default=None, metadata={"doc": "BigQuery targets, mode serverless: the VPC subnetwork of the batch"}
    )
    network_tags: list[str] | None = attrs.field(
        default=None, metadata={"doc": "BigQuery targets, mode serverless: network tags of the batch"}
    )
    jars: list[str] | None = attrs.field(
        default=None,
        metadata={
            "merge": "extend",
            "doc": "BigQuery targets: gs:// jar URIs added to every job (e.g. a pinned Spark BigQuery connector)"
        },
    )
    write_method: Literal["direct", "indirect"] | None = attrs.field(
        default=None,
        metadata={
            "doc": "BigQuery targets: how the Spark BigQuery connector writes the output "
            "(default direct: the "
            "Storage Write API; indirect: Parquet files in temporary_gcs_bucket, then a load job)"
        },
    )
    temporary_gcs_bucket: str | None = attrs.field(
        default=None,
        metadata={
            "parse": _bucket,
            "expected": "a bucket name",
            "doc": "BigQuery targets, write_method indirect: the bucket for the connector's temporary files",
        },
    )


def settings_problems(ctx: SettingsContext) -> Iterator[Problem]:
    """``plugins.spark`` as it applies to each target Spark tasks may run on (DOP structured it and runs this
    once per project that has Spark tasks): a production target's missing Dataproc settings are found on a
    laptop too."""
    for target in ctx.project.targets.values():
        if target.engine in SUPPORTED_ENGINES or target.name == ctx.target.name:
            yield from check_target(ctx, target)


def check_target(ctx: SettingsContext, target: Any) -> Iterator[Problem]:
    """Problems that keep Spark tasks from running on ``target`` (located in dop_project.yml)."""
    if target.engine not in SUPPORTED_ENGINES:
        yield ctx.problem(
            ("targets", target.name, "engine"),
            f"Spark tasks cannot run on target {target.name!r} (engine {target.engine})",
            "a duckdb target (Spark local mode) or a bigquery target (Dataproc)",
            "run the DAG on another target, or remove its spark tasks",
        )
        return
    if target.engine != "bigquery":
        return
    effective: SparkSettings = ctx.settings_for(target)
    here = ("plugins", "spark", "targets", target.name)
    example = (
        f"plugins: {{spark: {{targets: {{{target.name}: {{region: europe-west2, "
        "staging_bucket: gs://my-bucket/dop-spark}}}}"
    )
    missing = [k for k in ("region", "staging_bucket") if getattr(effective, k) is None]
    if missing:
        own_block = target.name in ((ctx.project.plugins.get("spark") or {}).get("targets") or {})
        yield ctx.problem(
            here if own_block else ("targets", target.name),
            f"Spark tasks on the BigQuery target {target.name!r} run on Dataproc, "
            f"which needs {' and '.join(missing)}",
            "plugins.spark (or plugins.spark.targets." + target.name + ") with region and staging_bucket",
            f"add to dop_project.yml: {example}",
        )
    if (effective.mode or "serverless") == "cluster" and not effective.cluster_name:
        yield ctx.problem(
            here,
            f"mode cluster on target {target.name!r} needs cluster_name",
            "the name of an existing Dataproc cluster",
            "add `cluster_name: ...` or use mode: serverless",
        )
    if effective.write_method == "indirect" and not effective.temporary_gcs_bucket:
        yield ctx.problem(
            here,
            "write_method indirect needs temporary_gcs_bucket",
            "a bucket for the Spark BigQuery connector's temporary files",
            "add `temporary_gcs_bucket: my-bucket` or use write_method: direct",
        )
