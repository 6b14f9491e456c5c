"""The dop-egress plugin: registers the ``file``, ``gcs`` and ``sftp`` egress destinations.

Light on purpose (every parse of the DAG files imports it): the options models live in
:mod:`dop_egress.options`, imported when an egress task is validated; each destination's ``export``
imports its client library (fsspec, google-cloud-storage, paramiko) only when it runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dop_core import GOOGLE_EXTRA, EgressType, Problem, ValidationContext, hookimpl


def _validate_file(ctx: ValidationContext) -> Iterator[Problem]:
    """A local path (not a URL, not templated: those are checked when the task runs) stays inside the project."""
    from dop_core import OutsideProject, resolve_project_path

    path = ctx.options.path.strip()
    if ("://" in path and not path.startswith("file://")) or "{" in path:
        return
    try:
        resolve_project_path(ctx.project, path.removeprefix("file://"), what="egress path")
    except OutsideProject as exc:
        yield ctx.problem(("options", "path"), exc.message, "a path inside the project or a declared data folder",
                          exc.fix)


def _validate_gcs(ctx: ValidationContext) -> Iterator[Problem]:
    path = ctx.options.path.strip()
    if not path.startswith("gs://") or len(path) <= len("gs://") or "/" not in path[len("gs://"):]:
        yield ctx.problem(("options", "path"), f"{path!r} is not a gs:// object URL",
                          "gs://<bucket>/<object>, e.g. gs://my-bucket/exports/{{ ds }}/revenue.parquet",
                          "write the bucket and the object name")


def _validate_sftp(ctx: ValidationContext) -> Iterator[Problem]:
    path = ctx.options.path.strip()
    if "://" in path:
        yield ctx.problem(("options", "path"), f"{path!r} is a URL; the sftp destination takes a remote path",
                          "a path on the server, e.g. /upload/revenue_{{ ds }}.csv",
                          "put the host in the Airflow connection (options.conn_id) and only the path here")


def _export_file(request: Any) -> Any:
    from dop_egress.file import export

    return export(request)


def _export_gcs(request: Any) -> Any:
    from dop_egress.gcs import export

    return export(request)


def _export_sftp(request: Any) -> Any:
    from dop_egress.sftp import export

    return export(request)


@hookimpl
def dop_egress_types() -> list[EgressType]:
    return [
        EgressType(name="file", export=_export_file, options="dop_egress.options:FileOptions", validate=_validate_file,
                   inputs=(),
                   description="a local file (relative to the project folder) or any fsspec URL"),
        EgressType(name="gcs", export=_export_gcs, options="dop_egress.options:GcsOptions", validate=_validate_gcs,
                   inputs=(),
                   requires=GOOGLE_EXTRA,
                   description="a Google Cloud Storage object: exported by BigQuery itself, or uploaded"),
        EgressType(name="sftp", export=_export_sftp, options="dop_egress.options:SftpOptions", validate=_validate_sftp,
                   inputs=(),
                   description="a file on an SFTP server, through an Airflow connection"),
    ]
