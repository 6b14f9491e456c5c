"""Built-in warehouse engines: ``duckdb`` (embedded, the default) and ``bigquery`` (production)."""

from __future__ import annotations

from typing import Any

from dop_core.extras import GOOGLE_EXTRA
from dop_core.hookspecs import hookimpl
from dop_core.records import EngineType


def _duckdb(target: Any) -> Any:
    from dop_core.engines.duckdb import connect

    return connect(target)


def _bigquery(target: Any) -> Any:
    GOOGLE_EXTRA.require(f"target {target.name!r} (engine bigquery)")
    from dop_core.engines.bigquery import connect

    return connect(target)


@hookimpl
def dop_engines() -> list[EngineType]:
    # The options models live in a light module of their own (parsing imports no client library),
    # imported when a target is validated or a cached project read.
    return [
        EngineType(name="duckdb", dialect="duckdb", options="dop_core.engines.targets:DuckDBTarget",
                   connect=_duckdb, single_catalog=True,
                   description="embedded DuckDB warehouse file (local development, tests, CI)"),
        EngineType(name="bigquery", dialect="bigquery", options="dop_core.engines.targets:BigQueryTarget",
                   connect=_bigquery, requires=GOOGLE_EXTRA,
                   description="Google BigQuery through apache-airflow-providers-google"),
    ]
