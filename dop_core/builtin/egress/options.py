"""The options every egress task takes (:class:`EgressOptions`) and the file format they ask for.

The destination's own keys sit beside the common ones (flat) and are checked against the destination's
options model by the egress kind's validator (:mod:`dop_core.builtin.egress.plugin`).
"""

from __future__ import annotations

import pathlib
import posixpath
from typing import Any, Literal

import attrs

from dop_core.config.identifiers import DELIMITER_EXPECTED, DELIMITER_SCHEMA, Relation, check_delimiter
from dop_core.contract.egress import FileFormat

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


