"""Egress: what the core's ``egress`` task action hands a destination, and the writing they share.

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
import posixpath
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal, Protocol

import attrs

from dop_core.errors import DopError
from dop_core.identifiers import DELIMITER_EXPECTED, DELIMITER_SCHEMA, Relation, check_delimiter
from dop_core.secrets import redact

if TYPE_CHECKING:
    from dop_core.engines.base import Engine
    from dop_core.project import Target

log = logging.getLogger(__name__)

FORMATS = ("csv", "parquet", "jsonl")
COMPRESSIONS = ("none", "gzip", "zstd", "snappy")
OVERWRITE_POLICIES = ("replace", "skip", "fail")
SUCCESS_MARKER = "_SUCCESS"

_SUFFIX_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".tsv": "csv", ".txt": "csv",
                   ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}
_SUFFIX_COMPRESSIONS = {".gz": "gzip", ".gzip": "gzip", ".zst": "zstd", ".zstd": "zstd"}


def _source(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a table name: write schema.table")
    Relation.parse(value)
    return value


@attrs.frozen
class EgressOptions:
    """The options every egress task takes; the destination's own keys sit beside them (flat)."""

    path: str = attrs.field(metadata={
        "doc": "where the file goes (Jinja: {{ ds }}...): a local path (relative to the project folder), "
               "an fsspec URL, gs://bucket/key, or a remote SFTP path — as the destination expects"})
    source: str | None = attrs.field(default=None, metadata={
        "parse": _source, "expected": "schema.table or database.schema.table",
        "doc": "the warehouse table to export; without it, the result of the task's sql/<identifier>.sql"})
    format: Literal["csv", "parquet", "jsonl"] | None = attrs.field(default=None, metadata={
        "doc": "file format; default: from the path's extension (.csv, .tsv, .parquet, .jsonl, .json)"})
    header: bool = attrs.field(default=True, metadata={
        "doc": "csv: write the column names as the first line"})
    delimiter: str | None = attrs.field(default=None, metadata={
        "parse": check_delimiter, "expected": DELIMITER_EXPECTED, "schema": DELIMITER_SCHEMA,
        "doc": "csv: field delimiter, one character (default ',', or a tab for a .tsv path)"})
    compression: Literal["none", "gzip", "zstd", "snappy"] | None = attrs.field(default=None, metadata={
        "doc": "none, gzip, zstd, or snappy (parquet only); default: snappy for parquet, else from the "
               "path's extension (.gz, .zst) or none"})
    overwrite: Literal["replace", "skip", "fail"] = attrs.field(default="replace", metadata={
        "doc": "when the file exists: replace it (a retry gives the same result), skip the export, or fail"})
    success_marker: bool = attrs.field(default=False, metadata={
        "doc": "write an empty _SUCCESS file beside the exported file once it is in place"})
    # the destination's keys as written (structured against its own model by the egress validator)
    # (name and alias start with "_": never a YAML key of their own)
    _extra: dict[str, Any] = attrs.field(factory=dict, alias="_extra", metadata={"rest": True})
    # ... and once structured: an instance of the destination's options model
    _destination: Any = attrs.field(default=None, alias="_destination")

    @property
    def extra(self) -> dict[str, Any]:
        """The keys that are not common options: the destination's, as written in the YAML."""
        return self._extra

    @property
    def destination(self) -> Any:
        """The destination's typed options (set before a destination's ``validate`` is called)."""
        return self._destination


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


def _strip_template(path: str) -> str:
    return path.split("?")[0].rstrip("/")


class FormatError(ValueError):
    """Options that do not make a file format; ``key`` is the option to point at."""

    def __init__(self, message: str, key: str, expected: str):
        super().__init__(message)
        self.key = key
        self.expected = expected


def file_format(options: EgressOptions) -> FileFormat:
    """The format of an egress task's file: explicit options, else what the path's extension says.

    Raises :class:`FormatError` with a message fit for the user when they cannot be combined.
    """
    name = posixpath.basename(_strip_template(options.path)).lower()
    suffixes = pathlib.PurePosixPath(name).suffixes
    compression_from_path = _SUFFIX_COMPRESSIONS.get(suffixes[-1]) if suffixes else None
    if compression_from_path:
        suffixes = suffixes[:-1]
    kind = options.format or (_SUFFIX_FORMATS.get(suffixes[-1]) if suffixes else None)
    if kind is None:
        raise FormatError(f"cannot tell the file format from the path {options.path!r}", "path",
                          "format: csv, parquet or jsonl, or a path ending in "
                          ".csv, .tsv, .parquet, .jsonl, .json")
    compression = options.compression or ("snappy" if kind == "parquet" else compression_from_path or "none")
    if compression == "snappy" and kind != "parquet":
        raise FormatError(f"snappy compression is for parquet files, not {kind}", "compression",
                          "none, gzip or zstd for csv and jsonl files")
    delimiter = options.delimiter or ("\t" if suffixes and suffixes[-1] == ".tsv" else ",")
    return FileFormat(kind, options.header, delimiter, compression)  # type: ignore[arg-type]


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
        from dop_core.plugins import get_registry

        return str(get_registry().named("engine", self.target.engine).dialect)

    def connect(self) -> Engine:
        """Open the target's warehouse engine (a context manager; close it before long uploads)."""
        from dop_core.operators.sql import connect

        return connect(self.target)

    def query(self, engine: Engine) -> str:
        """The SELECT producing the rows to export, in ``engine``'s dialect (SqlError unless the task's SQL is
        exactly one read-only query: it is pasted into ``COPY (...) TO`` or ``EXPORT DATA ... AS``)."""
        if self.source is not None:
            return f"SELECT * FROM {engine.qualified(self.source)}"
        assert self.sql is not None
        from dop_core.engines.sql import check_query

        check_query(self.sql, self.dialect)
        return engine.translate(self.sql.strip().rstrip(";"), self.dialect)

    @property
    def owner(self) -> str:
        """A short token naming this task (its DAG and id) in its temporary files: see :func:`temp_name`."""
        return task_token(self.dag_id, self.task_id)

    def local_path(self) -> pathlib.Path:
        """``path`` as a local file: a relative path resolves against the project folder; it must stay inside
        the project or one of its data folders (:class:`~dop_core.paths.OutsideProject` otherwise)."""
        from dop_core.paths import resolve_project_path

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
    task (``$TMPDIR/dop-egress-<owner>-*``), where the folders of this task's killed runs are removed first."""
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        yield folder
        return
    prefix = f"{SCRATCH_PREFIX}{owner}-"
    base = pathlib.Path(tempfile.gettempdir())
    with contextlib.suppress(OSError):
        for stale in base.glob(prefix + "*"):
            if stale.is_dir() and not stale.is_symlink() and stale.stat().st_uid == os.getuid():
                shutil.rmtree(stale, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        yield pathlib.Path(tmp)


__all__ = ["EgressOptions", "ExportRequest", "ExportResult", "FileFormat", "FormatError", "Publisher",
           "Written", "beside", "file_format", "marker_path", "publish_export", "task_token", "temp_name",
           "temp_prefix"]
