"""The built-in ``duckdb`` engine: an embedded DuckDB warehouse file, the default target."""

from __future__ import annotations

from typing import Any

from dop_core.contract.hookspecs import hookimpl
from dop_core.contract.records import EngineType


def _duckdb(target: Any) -> Any:
    from dop_core.builtin.duckdb.engine import connect

    return connect(target)


@hookimpl
def dop_engines() -> list[EngineType]:
    # The options model lives in a light module of its own (parsing imports no client library),
    # imported when a target is validated or a cached project read.
    return [EngineType(name="duckdb", dialect="duckdb", options="dop_core.builtin.duckdb.target:DuckDBTarget",
                       connect=_duckdb, single_catalog=True,
                       description="embedded DuckDB warehouse file (local development, tests, CI)")]
