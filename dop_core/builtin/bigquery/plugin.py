"""The built-in ``bigquery`` engine: Google BigQuery (production) through apache-airflow-providers-google."""

from __future__ import annotations

from dop_core.contract.hookspecs import hookimpl
from dop_core.contract.records import EngineType
from dop_core.extras import GOOGLE_EXTRA


@hookimpl
def dop_engines() -> list[EngineType]:
    return [EngineType(name="bigquery", dialect="bigquery", options="dop_core.builtin.bigquery.target:BigQueryTarget",
                       connect="dop_core.builtin.bigquery.engine:connect", requires=GOOGLE_EXTRA,
                       openlineage="dop_core.builtin.bigquery.target:openlineage_dataset",
                       description="Google BigQuery through apache-airflow-providers-google")]
