"""The egress API: what the ``egress`` task kind hands a destination, and the writing destinations share.

A destination (an :class:`dop_core.EgressType` registered by a plugin) gets an
:class:`ExportRequest` and returns an :class:`ExportResult`. Most destinations let the core write
the file locally with DuckDB (:meth:`ExportRequest.write_local`) and only move bytes: they give
:func:`publish_export` a :class:`Publisher` (``exists``/``publish``/``remove``) and it applies the
overwrite policy, the atomic hand-over and the ``_SUCCESS`` marker. A destination that can export
natively (BigQuery straight to a bucket) does the work itself.

Importing this module is cheap (parse time): DuckDB and pyarrow are imported inside functions.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pathlib
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal, Protocol

import attrs

from dop_core.config.identifiers import Relation
from dop_core.errors import DopError
from dop_core.secrets import redact

if TYPE_CHECKING:
    from dop_core.config.models import Target
    from dop_core.contract.engine import Engine

log = logging.getLogger(__name__)

SUCCESS_MARKER = "_SUCCESS"


@attrs.frozen
class FileFormat:
    """How the exported file is written."""

    kind: Literal["csv", "parquet", "jsonl"]
    header: bool = True
    delimiter: str = ","
    compression: str = "none"  # none, gzip, zstd, snappy

    @property
    def extension(self) -> str:
        ext = {"csv": ".csv", "parquet": ".parquet", "jsonl": ".jsonl"}[self.kind]
        if self.kind != "parquet":
            ext += {"gzip": ".gz", "zstd": ".zst"}.get(self.compression, "")
        return ext

    def duckdb_options(self) -> str:
        """The options of DuckDB's ``COPY ... TO`` for this format."""
        if self.kind == "parquet":
            codec = "uncompressed" if self.compression == "none" else self.compression
            return f"FORMAT parquet, COMPRESSION '{codec}'"
        opts = [f"FORMAT {'csv' if self.kind == 'csv' else 'json'}", f"COMPRESSION '{self.compression}'"]
        if self.kind == "csv":
            opts += [f"HEADER {'true' if self.header else 'false'}", f"DELIMITER '{self.delimiter}'"]
        return ", ".join(opts)

    def __str__(self) -> str:
        return self.kind + ("" if self.compression in ("none", "snappy") else f"+{self.compression}")


@attrs.frozen
class ExportResult:
    """What an export did: the log line and the task's XCom are made from it."""

    rows: int | None
    bytes: int
    where: str
    skipped: bool = False
    files: tuple[str, ...] = ()

    def summary(self, fmt: FileFormat | None = None) -> str:
        if self.skipped:
            return f"skipped: {self.where} already exists (overwrite: skip)"
        rows = "an unknown number of" if self.rows is None else f"{self.rows:,}"
        kind = f" as {fmt}" if fmt is not None else ""
        size = f"{self.bytes} bytes"
        if self.bytes >= 1000:
            size = f"{human_bytes(self.bytes)}, {self.bytes:,} bytes"
        return f"exported {rows} rows ({size}){kind} to {self.where}"

    def xcom(self) -> dict[str, Any]:
        return {"rows": self.rows, "bytes": self.bytes, "where": self.where, "skipped": self.skipped}


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"


@attrs.frozen
class Written:
    """A file :meth:`ExportRequest.write_local` wrote."""

    path: pathlib.Path
    rows: int
    bytes: int


@attrs.frozen
class ExportRequest:
    """One egress task run, as its destination's ``export`` receives it.

    ``path`` is rendered (Jinja done) and holds any credentials in clear (a URL's password): show it
    through :func:`dop_core.secrets.redact` (its repr does). ``options`` is the destination's own
    options model.
    Exactly one of ``source`` (a table) and ``sql`` (a rendered query in ``dialect``, the
    project's SQL dialect) is set.
    """

    task_id: str
    target: Target
    dialect: str
    path: str = attrs.field(repr=redact)
    format: FileFormat
    options: Any
    project_root: pathlib.Path
    source: Relation | None = None
    sql: str | None = None
    overwrite: Literal["replace", "skip", "fail"] = "replace"
    success_marker: bool = False
    #: where the destination logs (the task's logger when the operator runs it)
    logger: Any = attrs.field(default=log, eq=False, repr=False)
    #: the task's DAG: with ``task_id``, names the task in its temporary files (see :attr:`owner`)
    dag_id: str = ""

    def __attrs_post_init__(self) -> None:
        if (self.source is None) == (self.sql is None):
            raise ValueError("an ExportRequest needs exactly one of source and sql")

    @property
    def engine_dialect(self) -> str:
        """The dialect of the target's engine (``duckdb``, ``bigquery``...), without connecting."""
        from dop_core.contract.registry import get_registry

        return str(get_registry().named("engine", self.target.engine).dialect)

    def connect(self) -> Engine:
        """Open the target's warehouse engine (a context manager; close it before long uploads)."""
        from dop_core.contract.runtime import connect

        return connect(self.target)

    def query(self, engine: Engine) -> str:
        """The SELECT producing the rows to export, in ``engine``'s dialect (SqlError unless the task's SQL is
        exactly one read-only query: it is pasted into ``COPY (...) TO`` or ``EXPORT DATA ... AS``)."""
        if self.source is not None:
            return f"SELECT * FROM {engine.qualified(self.source)}"
        assert self.sql is not None
        from dop_core.sql.dialects import check_query

        check_query(self.sql, self.dialect)
        return engine.translate(self.sql.strip().rstrip(";"), self.dialect)

    @property
    def owner(self) -> str:
        """A short token naming this task (its DAG and id) in its temporary files: see :func:`temp_name`."""
        return task_token(self.dag_id, self.task_id)

    def local_path(self) -> pathlib.Path:
        """``path`` as a local file: a relative path resolves against the project folder; it must stay inside
        the project or one of its data folders (:class:`~dop_core.config.paths.OutsideProject` otherwise)."""
        from dop_core.config.paths import resolve_project_path

        text = self.path.removeprefix("file://")
        owner = self.target if self.target.root is not None else attrs.evolve(self.target, root=self.project_root)
        return resolve_project_path(owner, pathlib.Path(text).expanduser(), base=self.project_root,
                                    what="egress path")

    def write_local(self, dest: pathlib.Path) -> Written:
        """Write the rows to the local file ``dest`` in :attr:`format`; the engine is closed on return.

        On DuckDB the warehouse writes the file itself (``COPY (query) TO``); on other engines the
        rows are fetched and written by an in-memory DuckDB. ``dest`` is removed if writing fails.
        """
        try:
            with self.connect() as engine:
                sql = self.query(engine)
                con = getattr(engine, "con", None)
                if engine.dialect == "duckdb" and con is not None:
                    rows = _copy_to(con, sql, dest, self.format)
                else:
                    result = engine.query(sql)
                    rows = _write_rows(result.columns, result.rows, dest, self.format)
        except BaseException:
            with contextlib.suppress(OSError):
                dest.unlink()
            raise
        return Written(dest, rows, dest.stat().st_size)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _copy_to(con: Any, sql: str, dest: pathlib.Path, fmt: FileFormat) -> int:
    found = con.execute(f"COPY ({sql}) TO {_literal(str(dest))} ({fmt.duckdb_options()})").fetchall()
    return int(found[0][0]) if found else 0


def _write_rows(columns: list[str], rows: list[tuple[Any, ...]], dest: pathlib.Path, fmt: FileFormat) -> int:
    import duckdb
    import pyarrow as pa

    table = pa.Table.from_pylist([dict(zip(columns, r, strict=True)) for r in rows],
                                 schema=None if rows else pa.schema([(c, pa.string()) for c in columns]))
    con = duckdb.connect()
    try:
        con.register("dop_egress_rows", table)
        return _copy_to(con, "SELECT * FROM dop_egress_rows", dest, fmt)
    finally:
        con.close()


class Publisher(Protocol):
    """How :func:`publish_export` moves a finished local file to a destination.

    ``publish`` must be atomic: readers see the old object or the whole new one, never a part
    (upload to a temporary name, then rename/copy into place; remove the temporary on failure).
    """

    def where(self, path: str) -> str:
        """``path`` as the log shows it (an absolute path, a URL)."""

    def exists(self, path: str) -> bool: ...

    def publish(self, local: pathlib.Path, path: str) -> None: ...

    def remove(self, path: str) -> None:
        """Remove ``path`` if it exists."""

    def scratch_dir(self, path: str) -> pathlib.Path | None:
        """A local folder to write the file in before :meth:`publish` (None: a temporary folder)."""

    # Optional: ``remove_stale(path, prefix) -> list[str]`` removes the entries of ``path``'s folder whose
    # name starts with ``prefix`` (temporary files a killed run of the same task left behind) and returns
    # what it removed; :func:`publish_export` calls it before writing. A publisher staging a file beside
    # its final name should stage it under ``local.name`` (the local file's name, which carries the prefix).


def marker_path(path: str) -> str:
    """The ``_SUCCESS`` marker beside ``path`` (same folder or prefix)."""
    head = path.rstrip("/").rpartition("/")[0]
    return f"{head}/{SUCCESS_MARKER}" if head else SUCCESS_MARKER


def task_token(dag_id: str, task_id: str) -> str:
    """A short token of one task (its DAG and id), safe in file names."""
    return hashlib.sha256(f"{dag_id}\0{task_id}".encode()).hexdigest()[:10]


def temp_prefix(path: str, owner: str = "") -> str:
    """The start of every temporary name :func:`temp_name` gives ``path`` for ``owner`` (no folder)."""
    name = path.rstrip("/").rpartition("/")[2]
    return f".{name}.dop-tmp-{owner}-" if owner else f".{name}.dop-tmp-"


def beside(path: str, name: str) -> str:
    """``name`` in the folder of ``path`` (a local path, a URL, a remote path, an object key)."""
    head = path.rstrip("/").rpartition("/")[0]
    return f"{head}/{name}" if head else name


def temp_name(path: str, owner: str = "") -> str:
    """A hidden temporary name in the same folder as ``path``: ``.<name>.dop-tmp-<owner>-<random>``.

    ``owner`` is the task's token (:attr:`ExportRequest.owner`): the next run of the same task finds the
    leftovers of a killed run by that prefix and removes them, never touching other tasks' files.
    """
    return beside(path, temp_prefix(path, owner) + uuid.uuid4().hex[:12])


def publish_export(request: ExportRequest, publisher: Publisher) -> ExportResult:
    """Write the request's rows locally and hand the file to ``publisher``, with the overwrite policy.

    The ``_SUCCESS`` marker (when asked for) is removed before the file is replaced and written
    after it is in place, so a reader waiting for the marker never sees a file in the making.
    """
    where = redact(publisher.where(request.path))
    marker = marker_path(request.path) if request.success_marker else None
    _remove_stale(publisher, request, [request.path, *([marker] if marker else [])])
    if publisher.exists(request.path):
        if request.overwrite == "fail":
            raise DopError(f"{where} already exists and the task's overwrite policy is 'fail' "
                           "(use overwrite: replace to replace it, or skip to keep it)")
        if request.overwrite == "skip":
            return ExportResult(None, 0, where, skipped=True)
    scratch = publisher.scratch_dir(request.path)
    with _scratch(scratch, request.owner) as folder:
        local = folder / pathlib.PurePosixPath(temp_name(request.path, request.owner)).name
        written = request.write_local(local)
        request.logger.info("wrote %s rows (%s) to the local file %s; publishing to %s", f"{written.rows:,}",
                            human_bytes(written.bytes), local, where)
        try:
            if marker is not None:
                publisher.remove(marker)
            publisher.publish(local, request.path)
        finally:
            with contextlib.suppress(OSError):
                local.unlink()
        files = [where]
        if marker is not None:
            empty = folder / temp_name(SUCCESS_MARKER, request.owner)
            empty.write_bytes(b"")
            try:
                publisher.publish(empty, marker)
            finally:
                with contextlib.suppress(OSError):
                    empty.unlink()
            files.append(redact(publisher.where(marker)))
    return ExportResult(written.rows, written.bytes, where, files=tuple(files))


def _remove_stale(publisher: Publisher, request: ExportRequest, paths: list[str]) -> None:
    """Remove what killed runs of this task left beside ``paths`` (their ``.<name>.dop-tmp-<owner>-*``)."""
    remove = getattr(publisher, "remove_stale", None)
    if remove is None:
        return
    for path in paths:
        for gone in remove(path, temp_prefix(path, request.owner)) or ():
            request.logger.info("removed %s, left behind by an earlier run of this task that did not finish", gone)


SCRATCH_PREFIX = "dop-egress-"


@contextlib.contextmanager
def _scratch(folder: pathlib.Path | None, owner: str) -> Iterator[pathlib.Path]:
    """The local folder the file is written in: the publisher's, else a temporary folder named after the
    task and this process (``$TMPDIR/dop-egress-<owner>-<pid>-*``), where the folders of this task's killed
    runs are removed first: those of a process that no longer runs (another run of the same task, for another
    date, may be writing in its own)."""
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        yield folder
        return
    prefix = f"{SCRATCH_PREFIX}{owner}-"
    base = pathlib.Path(tempfile.gettempdir())
    with contextlib.suppress(OSError):
        for stale in base.glob(prefix + "*"):
            if stale.is_dir() and not stale.is_symlink() and stale.stat().st_uid == os.getuid() and \
                    not _running(stale.name[len(prefix):].split("-", 1)[0]):
                shutil.rmtree(stale, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix=f"{prefix}{os.getpid()}-") as tmp:
        yield pathlib.Path(tmp)


def _running(pid: str) -> bool:
    """Whether the process ``pid`` (a scratch folder's owner) still runs."""
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:  # it runs, as another user
        return True
    return True


__all__ = ["ExportRequest", "ExportResult", "FileFormat", "Publisher", "Written", "beside", "marker_path",
           "publish_export", "task_token", "temp_name", "temp_prefix"]
