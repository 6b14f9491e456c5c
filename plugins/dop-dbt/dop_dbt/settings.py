"""dop-dbt's settings: ``plugins: {dbt: {...}}`` in ``dop_project.yml``, optionally per target.

Example::

    plugins:
      dbt:
        requirement: ["dbt-core>=1.10,<1.12"]     # the DOP-managed virtualenv (adapter added per engine)
        results_table: dbt_run_results            # run_results.json rows land in <schema>.<this>
        docs_destination: .dop/dbt-docs           # where `docs generate` output is published
        targets:
          prod:                                   # overrides for the `prod` target
            mode: kubernetes
            image: europe-docker.pkg.dev/my-infra/dop/dbt:1.11
            docs_destination: gs://my-bucket/dbt-docs

Light module: parse time imports it (no dbt, no Kubernetes client).
"""

from __future__ import annotations

from typing import Any, Literal

import attrs

from dop_core import seconds, whole_number

DEFAULT_REQUIREMENT = "dbt-core>=1.10,<1.12"
#: the dbt adapter installed next to dbt-core for each DOP engine
ADAPTERS = {"duckdb": "dbt-duckdb", "bigquery": "dbt-bigquery"}


def _requirement(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{value!r} is not a requirement: write e.g. 'dbt-core>=1.10,<1.12' or a list of them")
    from packaging.requirements import InvalidRequirement, Requirement

    for item in value:
        try:
            Requirement(item)
        except InvalidRequirement as exc:
            raise ValueError(f"{item!r} is not a valid requirement: {exc}") from None
    return list(value)


REQUIREMENT_EXPECTED = "a pip requirement such as 'dbt-core>=1.10,<1.12', or a list of them"


@attrs.frozen
class DbtSettings:
    """What can be set under ``plugins.dbt`` and, per target, under ``plugins.dbt.targets.<name>`` (DOP reads
    both with this model and merges the target's keys over the others: see dop_core.PluginSettings)."""

    mode: Literal["local", "kubernetes"] | None = attrs.field(default=None, metadata={
        "doc": "local: dbt runs as a command on the Airflow worker (default); kubernetes: in a pod from `image`"})
    executable: str | None = attrs.field(default=None, metadata={
        "doc": "the dbt command to run (a name on PATH or a path); default: dbt from the DOP-managed virtualenv"})
    requirement: list[str] | None = attrs.field(default=None, metadata={
        "parse": _requirement, "expected": REQUIREMENT_EXPECTED,
        "doc": f"what the managed virtualenv installs (default {DEFAULT_REQUIREMENT!r} + the engine's adapter)"})
    venv: str | None = attrs.field(default=None, metadata={
        "doc": "folder of the managed virtualenv, relative to the project (default .dop/dbt-venv/<hash>)"})
    schema: str | None = attrs.field(default=None, metadata={
        "doc": "the schema (BigQuery dataset) dbt's models go to; default: the dbt project's folder name, as the "
               "original DOP (a task's own `schema:` wins)"})
    results_table: str | None = attrs.field(default=None, metadata={
        "doc": "table (in the task's schema, or schema.table) run_results.json rows are appended to; "
               "'none' to keep none (default dbt_run_results)"})
    docs_destination: str | None = attrs.field(default=None, metadata={
        "doc": "where `docs generate` output is published: a folder (relative to the project) or gs://bucket/prefix "
               "(default .dop/dbt-docs/<dbt project>)"})
    threads: int | None = attrs.field(default=None, metadata={
        **whole_number(1, fix="write e.g. 4, or leave the key out for 4", high=1024),
        "doc": "dbt threads in the profile (default 4)"})
    impersonate_service_account: str | None = attrs.field(default=None, metadata={
        "doc": "BigQuery: the service account dbt impersonates (default: the last of the target's "
               "impersonation_chain)"})
    # kubernetes mode
    image: str | None = attrs.field(default=None, metadata={
        "doc": "kubernetes: the image with dbt, the adapter and the service project (docker/Dockerfile)"})
    namespace: str | None = attrs.field(default=None, metadata={
        "doc": "kubernetes: namespace of the pod (Composer 2/3: composer-user-workloads)"})
    project_dir_in_image: str | None = attrs.field(default=None, metadata={
        "doc": "kubernetes: where the service project is in the image (default /opt/dop/project)"})
    kubernetes_conn_id: str | None = attrs.field(default=None, metadata={
        "doc": "kubernetes: Airflow connection of the cluster (default: in-cluster config)"})
    service_account_name: str | None = attrs.field(default=None, metadata={
        "doc": "kubernetes: the pod's Kubernetes service account (Workload Identity)"})
    node_selector: dict[str, str] | None = attrs.field(default=None, metadata={
        "doc": "kubernetes: node labels the pod must run on"})
    startup_timeout: int | None = attrs.field(default=None, metadata={
        **seconds("write e.g. 600 (10 minutes), or leave the key out for 600", longest=86400, whole=True),
        "doc": "kubernetes: seconds to wait for the pod to start (default 600)"})
    env: dict[str, str] | None = attrs.field(default=None, metadata={
        "doc": "environment variables given to dbt (never secrets: use Airflow connections)"})
