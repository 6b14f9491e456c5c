"""What the original DOP accepted means what it meant: empty keys, disabled DAGs, Airflow 1 operator paths,
its start date and its defaults; what DOP refuses says exactly what to write instead."""

from __future__ import annotations

import datetime as dt
import re
import warnings

import pytest

from dop_core.validate.project import validate_project

EMPTY = "airflow.providers.standard.operators.empty.EmptyOperator"


@pytest.fixture
def project(dop_project, dop_plugin_manager):
    return dop_project


def problems(project) -> list[str]:
    return [str(p) for p in validate_project(project.root).problems]


def test_an_empty_arguments_key_is_no_arguments(project):
    project.dag("dummy", """\
        schema: s
        tasks:
          - identifier: i_am_the_dummy_dependency
            kind:
              action: airflow_operator
              target: airflow.providers.standard.operators.empty.EmptyOperator
            options:
              arguments:
            dependencies:
          - identifier: udf
            kind: {action: materialization, target: udf}
            options:
              arguments:
        """, sql={"udf": "1"})
    assert problems(project) == []
    dag = project.build()["dop__dummy"]
    assert sorted(dag.task_ids) == ["i_am_the_dummy_dependency", "udf"]
    assert dag.get_task("udf").options.arguments == []


@pytest.mark.parametrize(("yaml", "shown"), [
    ("retries:", "an empty value (null) is not an integer"),
    ("retries: yes please", "'yes please' is not a whole number"),
    ("schedule_interval: 2024-01-31", "2024-01-31 is not a schedule"),
    ("catchup: 2024-01-31", "2024-01-31 is not true or false"),
    ("retry_delay: 2024-01-31", "2024-01-31 is not a duration"),
])
def test_messages_spell_values_as_yaml_never_as_python(project, yaml, shown):
    project.dag("d", f"{yaml}\ntasks: []\n")
    found = problems(project)
    assert len(found) == 1 and shown in found[0], found
    assert not re.search(r"\bNone\b|datetime\.|<class|Traceback", found[0])


DISABLED = """\
# To run this example: set enabled to true
enabled: false
schema: s
tasks:
  - identifier: start
    kind: {action: airflow_operator, target: airflow.operators.dummy_operator.DummyOperator}
  - identifier: dataflow_template
    kind:
      action: airflow_operator
      target: airflow.contrib.operators.dataflow_operator.DataflowTemplateOperator
    options:
      arguments: {template: gs://dataflow-templates/latest/Word_Count}
    dependencies: [start]
  - identifier: no_sql_file_yet
    kind: {action: materialization, target: table}
    dependencies: [dataflow_template]
"""


def test_a_disabled_dag_is_checked_as_written_but_nothing_it_names_is_resolved(project):
    project.dag("disabled", DISABLED)
    assert problems(project) == []  # no operator imported, no SQL file looked for
    assert project.build() == {}  # and Airflow never sees it
    project.dag("disabled", DISABLED.replace("dependencies: [start]", "dependencies: [strat]"))
    found = problems(project)
    assert len(found) == 1 and "config.yaml:13:20: error: unknown dependency 'strat'" in found[0]
    assert project.build() == {}  # a broken disabled DAG is not a broken DAG in Airflow either


def test_graph_compile_and_run_of_a_disabled_dag(project):
    from click.testing import CliRunner

    from dop_core.cli.main import main

    project.dag("disabled", DISABLED)
    at = ["--project", str(project.root)]
    graph = CliRunner().invoke(main, ["graph", "disabled", *at])
    assert graph.exit_code == 0, graph.output
    assert "dataflow_template[\"dataflow_template<br/>DataflowTemplateOperator\"]" in graph.stdout
    assert "    start --> dataflow_template" in graph.stdout
    compiled = CliRunner().invoke(main, ["compile", "disabled", *at])
    assert compiled.exit_code == 0 and compiled.stdout == ""
    assert "dop__disabled is disabled (`enabled: false` at " in compiled.stderr
    assert "config.yaml:2:10)" in compiled.stderr and "set `enabled: true` to compile or run it" in compiled.stderr
    run = CliRunner().invoke(main, ["run", "disabled", "--date", "2021-01-01", *at])
    assert run.exit_code == 1 and "dop__disabled is disabled" in run.stderr


@pytest.mark.parametrize(("path", "severity", "message", "fix"), [
    ("airflow.operators.bash_operator.BashOperator", "warning",
     "is an Airflow 1/2 path; DOP builds airflow.providers.standard.operators.bash.BashOperator instead",
     "write `target: airflow.providers.standard.operators.bash.BashOperator` (from apache-airflow-providers-standard)"),
    ("airflow.contrib.operators.bigquery_operator.BigQueryOperator", "error",
     "its successor is airflow.providers.google.cloud.operators.bigquery.BigQueryInsertJobOperator (from "
     "apache-airflow-providers-google), which takes other arguments",
     "write `target: airflow.providers.google.cloud.operators.bigquery.BigQueryInsertJobOperator` (pip install "
     "'apache-airflow-providers-google') and rewrite options.arguments for it"),
    ("airflow.contrib.operators.kubernetes_pod_operator.KubernetesPodOperator", "error",
     "on Airflow 3 this operator is airflow.providers.cncf.kubernetes.operators.pod.KubernetesPodOperator, which "
     "cannot be imported here",
     "pip install 'apache-airflow-providers-cncf-kubernetes' and write "
     "`target: airflow.providers.cncf.kubernetes.operators.pod.KubernetesPodOperator`"),
    ("airflow.contrib.operators.made_up_operator.MadeUpOperator", "error",
     "is an Airflow 1 path: Airflow 3 has no airflow.contrib",
     "find its provider's class in https://airflow.apache.org/docs/apache-airflow-providers/"),
])
def test_an_airflow_1_operator_path_names_its_airflow_3_class_and_distribution(project, path, severity, message,
                                                                                fix):
    project.dag("old", f"tasks:\n  - identifier: op\n    kind: {{action: airflow_operator, target: {path}}}\n"
                "    options: {arguments: {bash_command: echo hi}}\n")  # what the drop-in BashOperator needs
    found = validate_project(project.root).problems
    assert len(found) == 1
    assert (found[0].severity, found[0].location.line, found[0].location.column) == (severity, 3, 46)
    assert message in found[0].message and found[0].fix is not None and fix in found[0].fix


def test_every_successor_of_an_installed_provider_is_an_operator_class():
    import importlib.util

    from airflow.sdk import BaseOperator

    from dop_core.builtin.airflow_operator.moved import MOVED_OPERATORS
    from dop_core.builtin.airflow_operator.operator import import_operator

    checked = 0
    for moved in {m.path: m for m in MOVED_OPERATORS.values()}.values():
        package = ".".join(moved.path.split(".")[:3])
        if "beam" in moved.path or "dataflow" in moved.path or importlib.util.find_spec(package) is None:
            continue  # a provider (or its apache-beam extra) this environment does not install
        with warnings.catch_warnings():  # a provider's own deprecated imports (standard's PythonSensor)
            warnings.simplefilter("ignore")
            assert issubclass(import_operator(moved.path), BaseOperator), moved.path
        checked += 1
    assert checked >= 30


def test_a_dag_gets_the_original_defaults_and_its_config_overrides_them(project, monkeypatch):
    from dop_core.build.dags import dag_concurrency

    project.dag("defaults", f"""\
        timezone: Europe/London
        tasks:
          - identifier: a
            kind: {{action: airflow_operator, target: {EMPTY}}}
          - identifier: b
            kind: {{action: airflow_operator, target: {EMPTY}}}
            retries: 0
        """)
    project.dag("own", f"""\
        start_date: 2024-06-01
        retries: 1
        retry_delay: 1m
        max_active_runs: 1
        max_active_tasks: 8
        catchup: true
        tasks:
          - identifier: a
            kind: {{action: airflow_operator, target: {EMPTY}}}
        """)
    monkeypatch.delenv("AIRFLOW_VAR_DAG_CONCURRENCY", raising=False)
    dag_concurrency.cache_clear()
    dags = project.build()
    original, own = dags["dop__defaults"], dags["dop__own"]
    a = original.get_task("a")
    assert (a.retries, a.retry_delay) == (3, dt.timedelta(minutes=5))
    assert original.get_task("b").retries == 0
    assert (original.max_active_runs, original.max_active_tasks, original.catchup) == (5, 2, False)
    # midnight in the DAG's time zone (London kept summer time all through 1970)
    assert original.start_date.isoformat() == "1969-12-31T23:00:00+00:00"
    b = own.get_task("a")
    assert (b.retries, b.retry_delay, own.max_active_runs, own.max_active_tasks, own.catchup) == (
        1, dt.timedelta(minutes=1), 1, 8, True)
    assert own.start_date.isoformat() == "2024-06-01T00:00:00+00:00"
    # the Airflow Variable DAG_CONCURRENCY sets the default, as the original's did
    monkeypatch.setenv("AIRFLOW_VAR_DAG_CONCURRENCY", "7")
    dag_concurrency.cache_clear()
    try:
        assert project.build()["dop__defaults"].max_active_tasks == 7
    finally:
        dag_concurrency.cache_clear()


def test_dag_concurrency_comes_from_a_configured_secrets_backend_first(project, monkeypatch, tmp_path):
    """A secrets backend (here Airflow's local-file one) is asked before the environment, as Airflow does."""
    from airflow.sdk.configuration import clear_secrets_backends_cache

    from dop_core.build.dags import dag_concurrency

    project.dag("defaults", f"tasks:\n  - identifier: a\n    kind: {{action: airflow_operator, target: {EMPTY}}}\n")
    variables = tmp_path / "variables.json"
    variables.write_text('{"DAG_CONCURRENCY": "5"}')
    monkeypatch.setenv("AIRFLOW_VAR_DAG_CONCURRENCY", "7")
    monkeypatch.setenv("AIRFLOW__SECRETS__BACKEND", "airflow.secrets.local_filesystem.LocalFilesystemBackend")
    monkeypatch.setenv("AIRFLOW__SECRETS__BACKEND_KWARGS", f'{{"variables_file_path": "{variables}"}}')
    dag_concurrency.cache_clear()
    clear_secrets_backends_cache()
    try:
        assert project.build()["dop__defaults"].max_active_tasks == 5
    finally:
        dag_concurrency.cache_clear()
        clear_secrets_backends_cache()


def test_catchup_needs_a_start_date(project):
    project.dag("late", f"catchup: true\ntasks:\n  - identifier: a\n    kind: {{action: airflow_operator, "
                        f"target: {EMPTY}}}\n")
    found = problems(project)
    assert len(found) == 1 and "config.yaml:1:10: error: catchup: true without a start_date" in found[0]
    assert "fix: add `start_date: YYYY-MM-DD`" in found[0]


def test_a_run_before_an_explicit_start_date_is_refused_naming_it(project):
    from click.testing import CliRunner

    from dop_core.cli.main import main

    project.dag("late", f"start_date: 2024-06-01\ntasks:\n  - identifier: a\n    kind: {{action: airflow_operator, "
                        f"target: {EMPTY}}}\n")
    result = CliRunner().invoke(main, ["run", "late", "--date", "2024-05-31", "--project", str(project.root)])
    assert result.exit_code == 1
    assert ("dop__late starts on 2024-06-01 (start_date in its config.yaml): a run for 2024-05-31 would run no task; "
            "choose --date 2024-06-01 or later") in result.stderr
