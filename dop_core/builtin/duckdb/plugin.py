"""Built-in warehouse engines: ``duckdb`` (embedded, the default) and ``bigquery`` (production)."""

from __future__ import annotations

from typing import Any

from dop_core.contract.hookspecs import hookimpl
from dop_core.contract.records import EngineType


def _duckdb(target: Any) -> Any:
    from dop_core.builtin.duckdb.engine import connect

    return connect(target)


def _bigquery(target: Any) -> Any:
    from dop_core.builtin.bigquery.engine import connect

    return connect(target)


@hookimpl
def dop_engines() -> list[EngineType]:
    # The options models live in a light module of their own (parsing imports no client library),
    # imported when a target is validated or a cached project read.
    return [
        EngineType(name="duckdb", dialect="duckdb", options="dop_core.builtin.duckdb.target:DuckDBTarget",
                   connect=_duckdb, single_catalog=True,
                   description="embedded DuckDB warehouse file (local development, tests, CI)"),
        EngineType(name="bigquery", dialect="bigquery", options="dop_core.builtin.duckdb.target:BigQueryTarget",
                   connect=_bigquery,
                   description="Google BigQuery through apache-airflow-providers-google"),
    ]
