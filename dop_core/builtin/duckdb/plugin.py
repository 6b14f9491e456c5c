"""The built-in ``duckdb`` engine: an embedded DuckDB warehouse file, the default target."""

from __future__ import annotations

from dop_core.contract.hookspecs import hookimpl
from dop_core.contract.records import EngineType


@hookimpl
def dop_engines() -> list[EngineType]:
    # The options model lives in a light module of its own (parsing imports no client library),
    # imported when a target is validated or a cached project read.
    return [EngineType(name="duckdb", dialect="duckdb", options="dop_core.builtin.duckdb.target:DuckDBTarget",
                       connect="dop_core.builtin.duckdb.engine:connect",
                       lock="dop_core.builtin.duckdb.engine:warehouse_lock", single_catalog=True,
                       openlineage="dop_core.builtin.duckdb.target:openlineage_dataset",
                       description="embedded DuckDB warehouse file (local development, tests, CI)")]
