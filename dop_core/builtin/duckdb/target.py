"""The options of a duckdb target (light: parsing imports this, never DuckDB)."""

from __future__ import annotations

from typing import Any

import attrs

from dop_core.config import bounds


def _warehouse_file(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("the warehouse path is empty: give a file such as .dop/warehouse.duckdb")
    if value.rstrip().endswith(("/", "\\")) or value.strip() in (".", ".."):
        raise ValueError(f"the warehouse path {value!r} is a folder: give a file such as .dop/warehouse.duckdb")
    return value


@attrs.frozen
class DuckDBTarget:
    """``{engine: duckdb, ...}``"""

    path: str = attrs.field(default=".dop/warehouse.duckdb", metadata={
        "path": True, "parse": _warehouse_file, "expected": "a file path such as .dop/warehouse.duckdb, or ':memory:'",
        "schema": {"type": "string", "pattern": r"\S"},
        "doc": "the warehouse file, relative to the project folder (':memory:' for a throw-away one); inside "
               "the project or a folder of data_paths"})
    lock_timeout: float = attrs.field(default=600.0, metadata={
        **bounds.seconds("write e.g. 600 (10 minutes), or 0 not to wait", shortest=0),
        "doc": "seconds a task waits for another task to release the warehouse file"})
    threads: int | None = attrs.field(default=None, metadata={
        **bounds.whole_number(1, fix="write e.g. 4, or leave the key out for all cores", high=1024),
        "doc": "DuckDB worker threads (default: all cores)"})
    memory_limit: str | None = attrs.field(default=None, metadata={"doc": "e.g. 4GB"})


def openlineage_dataset(target: Any, table: str) -> tuple[str, str]:
    """OpenLineage's naming of a DuckDB table: namespace ``duckdb://<absolute path of the file>``, the name as
    written."""
    from dop_core.config.paths import resolve_project_path

    path = getattr(target.typed_options, "path", None)
    if not isinstance(path, str):
        return f"duckdb://{target.name}", table
    return f"duckdb://{path if path.startswith(':') else resolve_project_path(target, path)}", table
