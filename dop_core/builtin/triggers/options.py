"""Options models of the built-in triggers, imported only to validate a config that uses one (or to read
a cached one): a parse of unchanged DAGs without triggers never defines these classes."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import attrs

from dop_core.config import bounds
from dop_core.contract.wait import WaitOptions


@attrs.frozen(kw_only=True)
class ExternalTaskOptions(WaitOptions):
    dag: str = attrs.field(metadata={
        "doc": "the DAG to wait for: a DOP DAG of this project by folder name (or its dop__ id); any other "
               "DAG id with external: true"})
    task: str | None = attrs.field(default=None, metadata={"doc": "the task to wait for (default: the whole DAG run)"})
    delta: dt.timedelta | None = attrs.field(default=None, metadata={
        **bounds.duration("write e.g. 1d (yesterday's run)", shortest=dt.timedelta(0)),
        "doc": "wait for the run this long BEFORE this run's logical date (e.g. 1d: yesterday's run)"})
    external: bool = attrs.field(default=False, metadata={
        "doc": "dag is an Airflow DAG id outside this DOP project, used exactly as written"})
    allowed_states: list[str] = attrs.field(factory=lambda: ["success"], metadata={
        "doc": "states that end the wait successfully"})
    failed_states: list[str] = attrs.field(factory=lambda: ["failed"], metadata={
        "doc": "states that fail the wait at once (instead of waiting until timeout)"})


@attrs.frozen(kw_only=True)
class SqlOptions(WaitOptions):
    sql: str | None = attrs.field(default=None, metadata={
        "doc": "the condition's query (Jinja-templated); default: the file sql/<identifier>.sql"})


@attrs.frozen(kw_only=True)
class FileOptions(WaitOptions):
    path: str = attrs.field(metadata={
        "doc": "a path or glob (Jinja-templated, e.g. landing/{{ ds }}/*.csv); relative paths resolve against the "
               "project folder; any fsspec URL (gs://, s3://, sftp://...) works with its fsspec package installed"})
    storage_options: dict[str, Any] = attrs.field(factory=dict, metadata={
        "doc": "keyword arguments of the fsspec file system (e.g. {anon: true})"})


_BUCKET = re.compile(r"[a-z0-9][a-z0-9_.\-]{1,220}[a-z0-9]")


def _bucket(value: Any) -> str:
    text = str(value)
    if text.startswith("gs://"):
        raise ValueError(f"{text!r}: write the bucket name alone, without gs:// (e.g. {text[5:].split('/')[0]!r}); "
                         "the path inside the bucket goes in `object`")
    if "{{" in text:
        return text
    if not _BUCKET.fullmatch(text) or ".." in text or (len(text) > 63 and "." not in text):
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


_PROJECT = re.compile(r"([a-z][a-z0-9.\-]*:)?[a-z][a-z0-9\-]{4,28}[a-z0-9]")
_DATASET = re.compile(r"[A-Za-z0-9_]{1,1024}")
_TABLE = re.compile(r"[\w\-$]{1,1024}")
_PARTITION = re.compile(r"\d{4}|\d{6}|\d{8}|\d{10}|-?\d+|__NULL__|__UNPARTITIONED__")


def split_table(value: Any) -> tuple[str | None, str, str]:
    """``(project or None, dataset, table)`` of ``[project.]dataset.table``; ValueError if invalid."""
    text = str(value).strip("`")
    parts = text.split(".")
    if len(parts) not in (2, 3):
        raise ValueError(f"{text!r} is not a BigQuery table: write project.dataset.table or dataset.table")
    project = parts[0] if len(parts) == 3 else None
    dataset, table = parts[-2], parts[-1]
    if project is not None and "{{" not in project and not _PROJECT.fullmatch(project):
        raise ValueError(f"{project!r} is not a GCP project id (6-30 lowercase letters, digits and dashes)")
    if "{{" not in dataset and not _DATASET.fullmatch(dataset):
        raise ValueError(f"{dataset!r} is not a BigQuery dataset name (letters, digits and underscores)")
    if "{{" not in table and not _TABLE.fullmatch(table):
        raise ValueError(f"{table!r} is not a BigQuery table name (letters, digits, underscores, dashes)")
    return project, dataset, table


def _table(value: Any) -> str:
    split_table(value)
    return str(value).strip("`")


def _partition(value: Any) -> str:
    text = str(value)
    if "{{" in text or _PARTITION.fullmatch(text):
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
