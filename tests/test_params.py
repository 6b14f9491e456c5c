"""Run-time context DOP's operators prepare: dates for asset-triggered runs, params from Variables."""

from __future__ import annotations

import datetime as dt
import types

from dop_core.operators.params import fill_dates, with_variable_params
from dop_core.validate import validate_project


def test_asset_triggered_runs_get_dates_from_run_after():
    run_after = dt.datetime(2024, 6, 3, 4, 5, 6, tzinfo=dt.UTC)
    context = {"logical_date": None, "dag_run": types.SimpleNamespace(run_after=run_after)}
    fill_dates(context)
    assert (context["ds"], context["ds_nodash"], context["ts"]) == ("2024-06-03", "20240603",
                                                                    "2024-06-03T04:05:06+00:00")


def test_scheduled_runs_keep_their_dates():
    context = {"logical_date": dt.datetime(2024, 1, 1, tzinfo=dt.UTC), "ds": "2024-01-01",
               "dag_run": types.SimpleNamespace(run_after=dt.datetime(2024, 6, 3, tzinfo=dt.UTC))}
    fill_dates(context)
    assert context["ds"] == "2024-01-01"


def test_operators_dop_did_not_write_get_the_mixin_once():
    from airflow.providers.standard.operators.empty import EmptyOperator

    cls = with_variable_params(EmptyOperator)
    assert cls is with_variable_params(EmptyOperator) and cls.__name__ == "EmptyOperator"
    assert issubclass(cls, EmptyOperator)


def test_asset_schedule_on_a_table_nobody_writes_is_a_warning(dop_project, dop_plugin_manager):
    dop_project.dag("producer", "schema: retail\ntasks:\n  - identifier: daily_revenue\n"
                    "    kind: {action: materialization, target: table}\n", sql={"daily_revenue": "SELECT 1 AS x"})
    dop_project.dag("consumer", "schedule_interval: {assets: [retail.daily_revenue, retail.daily_revenu]}\n"
                    "tasks: []\n")
    report = validate_project(dop_project.root)
    assert report.ok
    (warning,) = report.problems
    assert warning.severity == "warning" and warning.location.line == 1
    assert "no DAG of this project writes 'retail.daily_revenu'" in warning.message
    assert warning.fix == "did you mean 'retail.daily_revenue'?"
