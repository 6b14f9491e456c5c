"""The ``gcs`` destination: a Google Cloud Storage object.

On a BigQuery target, BigQuery writes the file itself (``EXPORT DATA`` to a temporary prefix of the
bucket), and DOP copies the result into place and deletes the temporary objects. On any other
engine (DuckDB locally) the core writes the file and it is uploaded with google-cloud-storage.

An object in GCS appears only once its upload is complete (a failed single-shot or resumable
upload creates nothing), so an upload straight to the final name never publishes half a file;
with ``overwrite: fail`` the upload carries ``if_generation_match=0`` so a racing writer cannot be
overwritten either. The client honours ``STORAGE_EMULATOR_HOST`` (tests use an emulator);
otherwise credentials come from the Airflow connection through the google provider's GCSHook.
"""

from __future__ import annotations

import contextlib
import logging
import mimetypes
import os
import pathlib
from typing import Any

from dop_core import (
    DopError,
    ExportRequest,
    ExportResult,
    FileFormat,
    beside,
    marker_path,
    publish_export,
    temp_name,
    temp_prefix,
)

log = logging.getLogger(__name__)

COMPOSE_LIMIT = 32  # source objects per compose request


def split_url(url: str) -> tuple[str, str]:
    """``gs://bucket/key`` -> ``(bucket, key)``."""
    if not url.startswith("gs://"):
        raise DopError(f"{url!r} is not a gs:// URL (write gs://<bucket>/<object>)")
    bucket, _, key = url[len("gs://"):].partition("/")
    if not bucket or not key or key.endswith("/"):
        raise DopError(f"{url!r} names no object (write gs://<bucket>/<object>)")
    return bucket, key


def storage_client(options: Any) -> Any:
    """A google-cloud-storage client: anonymous against an emulator, else from the Airflow connection."""
    from google.cloud import storage

    if os.environ.get("STORAGE_EMULATOR_HOST"):
        from google.auth.credentials import AnonymousCredentials

        return storage.Client(project=options.project or "dop-local", credentials=AnonymousCredentials())
    from airflow.providers.google.cloud.hooks.gcs import GCSHook

    hook = GCSHook(gcp_conn_id=options.gcp_conn_id, impersonation_chain=options.impersonation_chain)
    client = hook.get_conn()
    if options.project:
        client = storage.Client(project=options.project, credentials=client._credentials)
    return client


class GcsPublisher:
    """Uploads finished files to their final object names (GCS objects appear whole or not at all)."""

    def __init__(self, client: Any, overwrite: str = "replace"):
        self.client = client
        self.overwrite = overwrite

    def _blob(self, url: str) -> Any:
        bucket, key = split_url(url)
        return self.client.bucket(bucket).blob(key)

    def where(self, path: str) -> str:
        return path

    def exists(self, path: str) -> bool:
        return bool(self._blob(path).exists())

    def scratch_dir(self, path: str) -> None:
        return None

    def publish(self, local: pathlib.Path, path: str) -> None:
        from google.api_core.exceptions import PreconditionFailed

        blob = self._blob(path)
        content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        precondition = 0 if self.overwrite == "fail" and not path.endswith("/_SUCCESS") else None
        try:
            blob.upload_from_filename(str(local), content_type=content_type, if_generation_match=precondition)
        except PreconditionFailed:
            raise DopError(f"{path} was created by someone else during the export "
                           "(overwrite: fail)") from None

    def remove(self, path: str) -> None:
        from google.api_core.exceptions import NotFound

        with contextlib.suppress(NotFound):
            self._blob(path).delete()

    def remove_stale(self, path: str, prefix: str) -> list[str]:
        """Delete the objects under ``<folder>/<prefix>*`` (what a killed export of this task left)."""
        from google.api_core.exceptions import NotFound

        bucket, key = split_url(path)
        removed = []
        for blob in self.client.list_blobs(bucket, prefix=beside(key, prefix)):
            with contextlib.suppress(NotFound):
                blob.delete()
                removed.append(f"gs://{bucket}/{blob.name}")
        return removed


def export(request: ExportRequest) -> ExportResult:
    split_url(request.path)
    client = storage_client(request.options)
    publisher = GcsPublisher(client, request.overwrite)
    if request.engine_dialect == "bigquery":
        return export_from_bigquery(request, publisher)
    return publish_export(request, publisher)


# -- BigQuery writes the file itself --------------------------------------------------------------
_BQ_FORMATS = {"csv": "CSV", "parquet": "PARQUET", "jsonl": "JSON"}


def _export_data_options(uri: str, fmt: FileFormat, header: bool) -> str:
    opts = [f"uri='{uri}'", f"format='{_BQ_FORMATS[fmt.kind]}'", "overwrite=true"]
    if fmt.kind == "csv":
        delimiter = fmt.delimiter.replace("\\", "\\\\").replace("'", "\\'")
        opts += [f"header={'true' if header else 'false'}", f"field_delimiter='{delimiter}'"]
    if fmt.compression != "none":
        if fmt.kind != "parquet" and fmt.compression != "gzip":
            raise DopError(f"BigQuery exports {fmt.kind} files with gzip compression only, "
                           f"not {fmt.compression}")
        opts.append(f"compression='{fmt.compression.upper()}'")
    return ", ".join(opts)


def export_from_bigquery(request: ExportRequest, publisher: GcsPublisher) -> ExportResult:
    """``EXPORT DATA`` to a temporary prefix beside the final object, then copy/compose into place."""
    bucket_name, key = split_url(request.path)
    fmt = request.format
    where = request.path
    for gone in publisher.remove_stale(request.path, temp_prefix(key, request.owner)):
        request.logger.info("removed %s, left behind by an earlier run of this task that did not finish", gone)
    if publisher.exists(request.path):
        if request.overwrite == "fail":
            raise DopError(f"{where} already exists and the task's overwrite policy is 'fail'")
        if request.overwrite == "skip":
            return ExportResult(None, 0, where, skipped=True)
    prefix = temp_name(key, request.owner) + "/"
    # with a header, shards each carry one: export without and put our own in front when composing
    uri = f"gs://{bucket_name}/{prefix}part-*{fmt.extension}"
    bucket = publisher.client.bucket(bucket_name)
    rows = None
    try:
        with request.connect() as engine:
            sql = request.query(engine)
            columns = engine.query(f"SELECT * FROM ({sql}) AS q LIMIT 0").columns if fmt.kind == "csv" else []
            engine.execute(f"EXPORT DATA OPTIONS({_export_data_options(uri, fmt, False)}) AS\n{sql}")
            if request.source is not None:
                rows = engine.row_count(request.source)
        parts = sorted(publisher.client.list_blobs(bucket_name, prefix=prefix), key=lambda b: b.name)
        if not parts:
            raise DopError(f"BigQuery's EXPORT DATA wrote nothing under gs://{bucket_name}/{prefix}")
        sources = list(parts)
        if fmt.kind == "csv" and fmt.header:
            head = bucket.blob(prefix + "header" + fmt.extension)
            line = (fmt.delimiter.join(columns) + "\n").encode()
            if fmt.compression == "gzip":  # gzip members concatenate into one valid gzip stream
                import gzip

                line = gzip.compress(line)
            head.upload_from_string(line)
            sources.insert(0, head)
        final = bucket.blob(key)
        if len(sources) == 1:
            _rewrite(sources[0], final)
        elif fmt.kind == "parquet":
            raise DopError(f"BigQuery split the export into {len(parts)} parquet files, which cannot be "
                           "joined "
                           "into one; export csv or jsonl, or a smaller result")
        else:
            _compose(bucket, sources, final, prefix)
        final.reload()
        size = int(final.size or 0)
        if request.success_marker:
            bucket.blob(split_url(marker_path(request.path))[1]).upload_from_string(b"")
    finally:
        for blob in publisher.client.list_blobs(bucket_name, prefix=prefix):
            with contextlib.suppress(Exception):
                blob.delete()
    return ExportResult(rows, size, where)


def _rewrite(source: Any, dest: Any) -> None:
    token, _done, _total = dest.rewrite(source)
    while token is not None:
        token, _done, _total = dest.rewrite(source, token=token)


def _compose(bucket: Any, sources: list[Any], final: Any, prefix: str) -> None:
    """Compose any number of objects in order (32 per request), the last step into ``final``."""
    level = 0
    while len(sources) > COMPOSE_LIMIT:
        merged = []
        for i in range(0, len(sources), COMPOSE_LIMIT):
            blob = bucket.blob(f"{prefix}compose-{level}-{i // COMPOSE_LIMIT:05d}")
            blob.compose(sources[i:i + COMPOSE_LIMIT])
            merged.append(blob)
        sources, level = merged, level + 1
    final.compose(sources)
