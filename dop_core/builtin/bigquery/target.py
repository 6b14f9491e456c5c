"""The options of a bigquery target (light: parsing imports this, never google-cloud)."""

from __future__ import annotations

from typing import Any

import attrs

from dop_core.config import bounds


def _chain(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ValueError("impersonation_chain is a service account email or a list of them")


@attrs.frozen
class BigQueryTarget:
    """``{engine: bigquery, ...}``"""

    project: str | None = attrs.field(default=None, metadata={
        "doc": "GCP project that runs the jobs and holds the datasets (default: the connection's)"})
    location: str | None = attrs.field(default=None, metadata={"doc": "BigQuery location, e.g. EU or europe-west2"})
    gcp_conn_id: str = attrs.field(default="google_cloud_default", metadata={
        "doc": "Airflow connection with the credentials (never put keys in the repo)"})
    impersonation_chain: Any = attrs.field(default=None, metadata={
        "parse": _chain, "schema": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
        "doc": "service account(s) to impersonate, e.g. dop-runner@PROJECT.iam.gserviceaccount.com"})
    labels: dict[str, str] = attrs.field(factory=dict, metadata={"doc": "labels added to every job"})
    job_timeout: float = attrs.field(default=3600.0, metadata={
        **bounds.seconds("write e.g. 3600 (an hour)"), "doc": "seconds to wait for one query job"})
    request_timeout: float = attrs.field(default=10.0, metadata={
        **bounds.seconds("write e.g. 10", longest=3600),
        "doc": "seconds one request to the BigQuery API may take to connect and answer (waiting for a job is "
               "job_timeout)"})
    retries: int = attrs.field(default=2, metadata={
        **bounds.whole_number(0, fix="write 0 for no retry, or a few, e.g. 2", high=100),
        "doc": "times a request the BigQuery API did not answer (timeout, refused connection) is retried, each "
               "retry logged"})
    api_endpoint: str | None = attrs.field(default=None, metadata={
        "doc": "BigQuery API endpoint override (an emulator in tests); anonymous credentials are used with it"})


def openlineage_dataset(target: Any, table: str) -> tuple[str, str]:
    """OpenLineage's naming of a BigQuery table: namespace ``bigquery``, name ``project.dataset.table`` (the
    target's project when the SQL names none)."""
    project = getattr(target.typed_options, "project", None)
    return "bigquery", f"{project}.{table}" if project and table.count(".") == 1 else table
