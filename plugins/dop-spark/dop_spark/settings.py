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
from typing import Any, Literal

import attrs

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
    """What can be set under ``plugins.spark`` and, per target, under ``plugins.spark.targets.<name>``."""

    conf: dict[str, str] | None = attrs.field(
        default=None,
        metadata={
            "parse": _scalar_conf,
            "expected": CONF_EXPECTED,
            "doc": "Spark conf of every job (per-target conf and a task's options.conf are merged over it)",
        },
    )
    packages: list[str] | None = attrs.field(
        default=None,
        metadata={"doc": "Maven coordinates (group:artifact:version) added to every job's spark.jars.packages"},
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


@attrs.frozen
class SparkPluginSettings(SparkSettings):
    targets: dict[str, SparkSettings] = attrs.field(
        factory=dict,
        metadata={"doc": "settings per DOP target name (same keys as above), over the project-wide ones"},
    )


def for_target(settings: SparkPluginSettings, target_name: str) -> SparkSettings:
    """The effective settings of one target: its own keys over the project-wide ones (conf merged)."""
    merged = {f.name: getattr(settings, f.name) for f in attrs.fields(SparkSettings)}
    override = settings.targets.get(target_name)
    if override is not None:
        for f in attrs.fields(SparkSettings):
            value = getattr(override, f.name)
            if value is None:
                continue
            if f.name == "conf":
                value = {**(merged["conf"] or {}), **value}
            elif f.name in ("packages", "jars"):
                value = [*(merged[f.name] or []), *value]
            merged[f.name] = value
    return SparkSettings(**merged)


def load(project: Any) -> tuple[SparkPluginSettings, list[Any]]:
    """``plugins.spark`` of the project, structured, with the problems found (located in dop_project.yml)."""
    raw = (getattr(project, "plugins", None) or {}).get("spark")
    if raw is None:
        return SparkPluginSettings(), []
    from dop_core import MISSING, Problem, Structurer, did_you_mean

    problems: list[Any] = []
    assert project.document is not None
    typed = Structurer(project.document, problems).structure(raw, SparkPluginSettings, ("plugins", "spark"))
    if typed is MISSING:
        return SparkPluginSettings(), problems
    for name in typed.targets:
        if name not in project.targets:
            problems.append(
                Problem(
                    project.document.at(("plugins", "spark", "targets", name), key=True),
                    f"plugins.spark.targets names {name!r}, which is not a target",
                    "one of " + ", ".join(project.targets),
                    did_you_mean(name, project.targets) or "rename it or remove it",
                )
            )
    return typed, problems


def check_target(project: Any, settings: SparkPluginSettings, target: Any) -> list[Any]:
    """Problems that keep Spark tasks from running on ``target`` (located in dop_project.yml)."""
    from dop_core import Problem

    doc = project.document
    assert doc is not None
    here = ("plugins", "spark", "targets", target.name)
    effective = for_target(settings, target.name)
    problems = []
    if target.engine not in SUPPORTED_ENGINES:
        problems.append(
            Problem(
                doc.at(("targets", target.name, "engine")),
                f"Spark tasks cannot run on target {target.name!r} (engine {target.engine})",
                "a duckdb target (Spark local mode) or a bigquery target (Dataproc)",
                "run the DAG on another target, or remove its spark tasks",
            )
        )
        return problems
    if target.engine != "bigquery":
        return problems
    example = (
        f"plugins: {{spark: {{targets: {{{target.name}: {{region: europe-west2, "
        "staging_bucket: gs://my-bucket/dop-spark}}}}"
    )
    missing = [k for k in ("region", "staging_bucket") if getattr(effective, k) is None]
    if missing:
        where = here if target.name in settings.targets else ("targets", target.name)
        problems.append(
            Problem(
                doc.at(where),
                f"Spark tasks on the BigQuery target {target.name!r} run on Dataproc, "
                f"which needs {' and '.join(missing)}",
                "plugins.spark (or plugins.spark.targets." + target.name + ") with region and staging_bucket",
                f"add to dop_project.yml: {example}",
            )
        )
    if (effective.mode or "serverless") == "cluster" and not effective.cluster_name:
        problems.append(
            Problem(
                doc.at(here),
                f"mode cluster on target {target.name!r} needs cluster_name",
                "the name of an existing Dataproc cluster",
                "add `cluster_name: ...` or use mode: serverless",
            )
        )
    if effective.write_method == "indirect" and not effective.temporary_gcs_bucket:
        problems.append(
            Problem(
                doc.at(here),
                "write_method indirect needs temporary_gcs_bucket",
                "a bucket for the Spark BigQuery connector's temporary files",
                "add `temporary_gcs_bucket: my-bucket` or use write_method: direct",
            )
        )
    return problems
