"""DAG params: typed (by their value or a declared schema) and enforced for the trigger form, run conf and
Airflow Variables; and the run-time context DOP's operators prepare (dates for asset-triggered runs)."""

from __future__ import annotations

import datetime as dt
import pathlib
import types

import pytest

from dop_core.contract.variable_params import fill_dates, with_variable_params
from dop_core.validate.project import validate_project


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


# --- typed params ------------------------------------------------------------------------------------------

PLAIN_PARAMS = """\
schedule_interval: "@daily"
params:
  days: 7
  rate: 0.5
  country: GB
  dry_run: false
  ids: [1, 2, 3]
  names: [a, b]
  filters: {region: EU}
  since: 2024-01-31
tasks: []
"""


def test_a_plain_param_gets_the_type_of_its_value(tmp_path):
    from dop_core.testing import build_dag_from_yaml

    dag = build_dag_from_yaml(PLAIN_PARAMS, tmp_path)
    schemas = {key: dag.params.get_param(key).schema for key in dag.params}
    assert schemas == {
        "days": {"type": "integer"}, "rate": {"type": "number"}, "country": {"type": "string"},
        "dry_run": {"type": "boolean"}, "ids": {"type": "array", "items": {"type": "integer"}},
        "names": {"type": "array", "items": {"type": "string"}}, "filters": {"type": "object"},
        "since": {"type": "string", "format": "date"},
        "full_refresh": {"type": ["boolean", "null"], "title": "Full refresh"}}  # optional: not a required toggle
    # a YAML date becomes the ISO text Airflow's date picker shows (params are JSON)
    assert dag.params["since"] == "2024-01-31" and dag.params["days"] == 7


def test_a_param_declared_like_airflows_param(tmp_path):
    from dop_core.testing import build_dag_from_yaml

    dag = build_dag_from_yaml("params:\n  days:\n    default: 7\n    type: integer\n    minimum: 1\n"
                              "    maxLength: 3\n    description: days to rebuild\n    title: Lookback\n"
                              "  region: {default: EU, enum: [EU, US], section: Where}\ntasks: []\n", tmp_path)
    days = dag.params.get_param("days")
    assert (days.value, days.description) == (7, "days to rebuild")
    assert days.schema == {"type": "integer", "minimum": 1, "maxLength": 3, "title": "Lookback"}
    # no type given: the default's type, beside the declared keywords
    assert dag.params.get_param("region").schema == {"type": "string", "enum": ["EU", "US"], "section": "Where"}


@pytest.mark.parametrize(("params", "where", "text"), [
    ("  days: {default: 0, type: integer, minimum: 1}\n", (3, 19),
     "the default of param 'days' does not fit its schema: 0 is less than the minimum of 1"),
    ("  days: {default: 7, type: integer, minimun: 1}\n", (3, 37), "unknown key 'minimun'"),
    ("  day: {default: 2024-01-01, type: date}\n", (3, 36),
     "'date' is not a JSON schema type (write type: string, format: date)"),
    ("  days: {type: integer, minimum: 1}\n", (3, 9), "param 'days' has no default"),
    ("  days: {default: seven, type: integer}\n", (3, 19), "'seven' is not of type 'integer'"),
])
def test_a_param_whose_declaration_is_wrong_is_reported_where_it_is(tmp_path, dop_plugin_manager, params, where,
                                                                      text):
    from dop_core.testing import ProjectFactory

    factory = ProjectFactory(tmp_path)
    factory.dag("p", "schema: s\nparams:\n" + params + "tasks: []\n")
    report = validate_project(tmp_path)
    (error,) = [p for p in report.problems if p.severity == "error"]
    assert (error.location.line, error.location.column) == where, str(error)
    assert text in error.message


def test_each_dag_gets_its_own_schemas_answer_when_dags_declare_alike_schemas(tmp_path, dop_plugin_manager):
    """A schema's check is remembered across the DAGs of a parse: a schema found wrong once is reported in
    every DAG that declares it, and a DAG declaring a good one is not blamed."""
    from dop_core.testing import ProjectFactory

    factory = ProjectFactory(tmp_path)
    factory.dag("a", "schema: s\nparams:\n  days: {default: 7, type: integer, minimum: 1}\ntasks: []\n")
    for name in ("b", "c"):
        factory.dag(name, "schema: s\nparams:\n  code: {default: ab, type: string, minLength: -1}\ntasks: []\n")
    factory.dag("d", "schema: s\nparams:\n  code: {default: ab, type: string, minLength: 1}\ntasks: []\n")
    report = validate_project(tmp_path)
    errors = sorted((pathlib.Path(p.location.path).parent.name, p.message) for p in report.problems
                    if p.severity == "error")
    assert errors == [(name, "param 'code' has an invalid schema: -1 is less than the minimum of 0") for name in "bc"]


def test_a_param_without_a_type_is_a_warning(tmp_path, dop_plugin_manager):
    from dop_core.testing import ProjectFactory

    ProjectFactory(tmp_path).dag("p", "params:\n  anything: null\ntasks: []\n")
    report = validate_project(tmp_path)
    assert report.ok
    (warning,) = report.problems
    assert warning.severity == "warning" and warning.location.line == 2
    assert "param 'anything' has no type" in warning.message


def _serialized(dag):
    """The DAG as the scheduler and the API (the trigger form) see it: serialized, then read back."""
    from airflow.serialization.serialized_objects import DagSerialization

    data = DagSerialization.to_dict(dag)
    return data, DagSerialization.from_dict(data)


def test_the_trigger_form_and_the_api_refuse_a_value_of_another_type(tmp_path):
    from airflow.sdk.exceptions import ParamValidationError

    from dop_core.testing import build_dag_from_yaml

    dag = build_dag_from_yaml("params:\n  days: 7\n  since: 2024-01-31\ntasks:\n"
                              "  - {identifier: t, kind: {action: materialization, target: view}, schema: s}\n",
                              tmp_path, sql={"t": "SELECT {{ params.days }} AS d"})
    data, served = _serialized(dag)
    # what Airflow's API does with a trigger form's values or a run's conf before it creates the run
    for conf in ({"days": "7 DAY) OR TRUE --"}, {"days": 7.5}, {"since": "2024-01-31' OR '1'='1"},
                 {"full_refresh": "yes"}):
        with pytest.raises(ParamValidationError, match="Invalid input for param"):
            served.params.deep_merge(conf).validate()
    assert served.params.deep_merge({"days": 30, "since": "2024-02-29"}).validate()["days"] == 30
    # the form's widgets come from the schema: a number field, a date picker
    assert served.params.get_param("days").schema["type"] == "integer"
    assert served.params.get_param("since").schema == {"type": "string", "format": "date"}
    # the params live once, on the DAG: no task carries a copy of them into the Airflow DB
    assert [t["__var"].get("params") for t in data["dag"]["tasks"]] == [None]


@pytest.mark.parametrize(("text", "schema", "value"), [
    ("35", {"type": "integer"}, 35),
    ("35.0", {"type": "integer"}, 35),
    ("0.5", {"type": "number"}, 0.5),
    ("35", {"type": "string"}, "35"),
    ("GB", {"type": "string"}, "GB"),
    ('"GB"', {"type": "string"}, "GB"),
    ("true", {"type": "boolean"}, True),
    ("[1, 2]", {"type": "array", "items": {"type": "integer"}}, [1, 2]),
    ("2024-02-29", {"type": "string", "format": "date"}, "2024-02-29"),
])
def test_a_variable_is_taken_in_the_params_type(text, schema, value):
    from dop_core.contract.variable_params import variable_value

    assert variable_value("dop__d", "k", text, schema) == value


@pytest.mark.parametrize(("text", "schema", "expected"), [
    ("7 DAY) OR TRUE --", {"type": "integer", "minimum": 1}, "not an integer (minimum 1)"),
    ("0", {"type": "integer", "minimum": 1}, "0 is less than the minimum of 1"),
    ("1; id", {"type": "number"}, "not a number"),
    ("2024-01-31'; DROP TABLE t; --", {"type": "string", "format": "date"}, "not a date (YYYY-MM-DD)"),
    ("yes", {"type": "boolean"}, "not true or false"),
    ("FR", {"type": "string", "enum": ["GB", "US"]}, "one of 'GB', 'US'"),
])
def test_a_variable_of_another_type_fails_the_task_naming_the_variable(text, schema, expected):
    from dop_core.contract.variable_params import ParamValueError, variable_value

    with pytest.raises(ParamValueError) as caught:
        variable_value("dop__d", "k", text, schema)
    message = str(caught.value)
    assert message.startswith(f"param 'k' of DAG dop__d: the Airflow Variable dop__d.k holds {text!r}, which is")
    assert expected in message and "the task did not run" in message


def test_dop_run_refuses_a_conf_value_of_another_type(dop_project):
    from dop_core.testing import run_dop

    dop_project.dag("d", "params:\n  days: 7\ntasks: []\n")
    result = run_dop("run", "d", "--date", "2024-06-01", "--conf", '{"days": "7; DROP TABLE t"}',
                     cwd=dop_project.root)
    assert result.returncode == 1
    assert ("error: param 'days' of DAG dop__d: --conf gives '7; DROP TABLE t', which is not an integer"
            in result.stderr)
    assert "the run was not started" in result.stderr and "Traceback" not in result.stderr
