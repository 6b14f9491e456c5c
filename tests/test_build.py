"""Projects in the original DOP format become Airflow DAGs with exactly the tasks and edges of their configs."""

from __future__ import annotations

import pathlib
import shutil

import pytest

from dop_core.errors import ConfigError
from dop_core.testing import build_dag_from_yaml

RETAIL = pathlib.Path(__file__).parent / "projects" / "retail"


@pytest.fixture
def retail(tmp_path):
    root = tmp_path / "retail"
    shutil.copytree(RETAIL, root, ignore=shutil.ignore_patterns(".dop"))
    return root


def dagbag(folder: pathlib.Path):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(folder), bundle_name="dags-folder")


def edges(dag):
    return {(up, t.task_id) for t in dag.tasks for up in t.upstream_task_ids}


def config_edges(config_path: pathlib.Path):
    from dop_core.config.yaml import load_yaml

    data = load_yaml(config_path.read_text(), str(config_path)).data
    return ({t["identifier"] for t in data["tasks"]},
            {(d, t["identifier"]) for t in data["tasks"] for d in t.get("dependencies", [])})


def test_dagbag_builds_every_enabled_dag_with_its_tasks_and_edges(retail, dop_plugin_manager):
    bag = dagbag(retail / "dags")
    assert bag.import_errors == {}
    assert sorted(bag.dag_ids) == ["dop__daily_sales", "dop__reporting"]  # disabled_dag is absent
    for name in ("daily_sales", "reporting"):
        dag = bag.dags.get(f"dop__{name}")
        tasks, expected_edges = config_edges(retail / "orchestration" / name / "config.yaml")
        assert set(dag.task_ids) == tasks
        assert edges(dag) == expected_edges


def test_dag_settings_come_from_the_config(retail, dop_plugin_manager):
    dag = dagbag(retail / "dags").dags.get("dop__daily_sales")
    assert dag.schedule == "0 4 * * *"  # cron strings are kept as written
    assert str(dag.timezone.name) == "Europe/London"
    assert "dop" in dag.tags
    assert dag.params["min_amount"] == 0
    full_refresh = dag.params.get_param("full_refresh")
    assert full_refresh.value is False and full_refresh.schema["type"] == ["boolean", "null"]
    assert "`orchestration/daily_sales/config.yaml` of project `retail`" in dag.doc_md  # where the UI's reader finds the config
    revenue = dag.get_task("daily_revenue")
    # Airflow loads the SQL file into the template field, so the UI shows the SQL (and renders it per run)
    assert revenue.template_fields == ("sql", "sql_as_sent") and "retail.udf_clean_store(store)" in revenue.sql
    notify = dag.get_task("notify")
    assert type(notify).__name__ == "BashOperator"
    assert notify.execution_timeout.total_seconds() == 300  # '5m' became a timedelta
    assert [a.uri for a in revenue.outlets] == ["x-dop://retail/retail.daily_revenue"]


def test_one_broken_config_does_not_hide_the_others(retail, dop_plugin_manager):
    broken = retail / "orchestration" / "broken"
    broken.mkdir()
    (broken / "config.yaml").write_text("schema: retail\ntasks:\n  - identifier: x\n    kind: {action: nope, target: y}\n")
    bag = dagbag(retail / "dags")
    assert bag.import_errors == {}
    assert sorted(bag.dag_ids) == ["dop__broken", "dop__daily_sales", "dop__reporting"]
    stand_in = bag.dags.get("dop__broken")
    assert stand_in.task_ids == ["config_error"]
    assert "dop:config-error" in stand_in.tags
    assert "broken/config.yaml:4:20: error: unknown action 'nope'" in stand_in.doc_md
    assert len(bag.dags.get("dop__daily_sales").tasks) == 10


def test_a_broken_project_file_is_an_import_error_of_the_dag_file(retail, dop_plugin_manager):
    (retail / "dop_project.yml").write_text("name: retail\ndialect: klingon\n")
    bag = dagbag(retail / "dags")
    assert bag.dag_ids == []
    (error,) = bag.import_errors.values()
    assert "dop_project.yml:2:10: error: 'klingon' is not one of" in error


def test_assertion_sensor_waits_an_hour_by_default_and_takes_the_wait_options(tmp_path, dop_plugin_manager):
    dag = build_dag_from_yaml(
        """
        schedule_interval: "@daily"
        tasks:
          - identifier: fresh
            kind: {action: assertion, target: assertion_sensor}
          - identifier: quick
            kind: {action: assertion, target: assertion_sensor}
            options: {timeout: 10m, poke_interval: 15s, mode: poke, soft_fail: true}
        """, tmp_path / "p", sql={"fresh": "SELECT TRUE AS success", "quick": "SELECT TRUE AS success"})
    fresh, quick = dag.get_task("fresh"), dag.get_task("quick")
    assert (fresh.timeout, fresh.poke_interval, fresh.mode, fresh.soft_fail) == (3600, 60, "reschedule", False)
    assert (quick.timeout, quick.poke_interval, quick.mode, quick.soft_fail) == (600, 15, "poke", True)


def test_build_dag_from_yaml_helper_and_triggers_of_errors(tmp_path, dop_plugin_manager):
    dag = build_dag_from_yaml(
        """
        schedule_interval: "@daily"
        tasks:
          - identifier: a
            kind: {action: airflow_operator, target: airflow.providers.standard.operators.empty.EmptyOperator}
          - identifier: b
            kind: {action: airflow_operator, target: airflow.providers.standard.operators.empty.EmptyOperator}
            dependencies: [a]
            retries: 3
            retry_delay: {minutes: 2}
        """, tmp_path / "p")
    assert dag.dag_id == "dop__test"
    b = dag.get_task("b")
    assert b.retries == 3 and b.retry_delay.total_seconds() == 120
    with pytest.raises(ConfigError, match=r"config.yaml:2:5: error: unknown key 'identifer'"):
        build_dag_from_yaml("tasks:\n  - identifer: a\n", tmp_path / "q")


def test_airflow_operator_arguments_are_checked_by_airflow(tmp_path, dop_plugin_manager):
    from dop_core.check.project import check_project
    from dop_core.testing import ProjectFactory

    factory = ProjectFactory(tmp_path / "p")
    factory.dag("bad_args", """
        tasks:
          - identifier: x
            kind: {action: airflow_operator, target: airflow.providers.standard.operators.bash.BashOperator}
            options:
              arguments: {bash_comand: "echo hi"}
        """)
    report = check_project(factory.root)
    assert not report.ok
    (problem,) = report.problems
    assert str(problem).startswith(f"{factory.root}/orchestration/bad_args/config.yaml:6:7: error: task 'x' cannot "
                                   "be built: TypeError: missing keyword argument 'bash_command'")


def test_custom_task_type_from_a_registered_plugin(tmp_path, register_plugin):
    import attrs

    from dop_core import TaskType, hookimpl

    @attrs.frozen
    class GreetOptions:
        who: str = "world"

    class Greeter:
        @hookimpl
        def dop_task_types(self):
            from airflow.providers.standard.operators.bash import BashOperator

            return [TaskType(action="greet", target="bash", options=GreetOptions,
                             build=lambda b: BashOperator(bash_command=f"echo hello {b.options.who}",
                                                          **b.operator_kwargs()))]

    register_plugin(Greeter(), name="greeter")
    dag = build_dag_from_yaml("tasks:\n  - identifier: hi\n    kind: {action: greet, target: bash}\n"
                              "    options: {who: DOP}\n", tmp_path / "p")
    assert dag.get_task("hi").bash_command == "echo hello DOP"
    with pytest.raises(ConfigError, match=r"config.yaml:5:7: error: unknown key 'whom'"):
        build_dag_from_yaml("tasks:\n  - identifier: hi\n    kind: {action: greet, target: bash}\n"
                            "    options:\n      whom: DOP\n", tmp_path / "q")


def test_building_pauses_the_garbage_collector_and_resumes_it_as_it_was(retail, dop_plugin_manager, monkeypatch):
    import gc

    from dop_core.build import dags as build

    seen = []
    real = build.build_dag
    monkeypatch.setattr(build, "build_dag", lambda *a, **k: (seen.append(gc.isenabled()), real(*a, **k))[1])
    assert gc.isenabled()
    assert set(build.build_dags(retail)) == {"dop__daily_sales", "dop__reporting"}
    assert seen and not any(seen) and gc.isenabled()  # paused while building, on again after
    gc.disable()
    try:
        build.build_dags(retail)
        assert not gc.isenabled()  # a caller's own choice is kept
    finally:
        gc.enable()
    (retail / "dop_project.yml").write_text("name: [broken\n")
    with pytest.raises(ConfigError):
        build.build_dags(retail)
    assert gc.isenabled()  # and after a failure


FROZEN = """
import gc, sys, weakref
from dop_core import build_dags

before = gc.get_freeze_count()
dags = build_dags(sys.argv[1])
frozen = gc.get_freeze_count()
dag = weakref.ref(dags["dop__daily_sales"])
in_sight = any(o is dag() for o in gc.get_objects())
del dags
gc.collect()
again = build_dags(sys.argv[1])
print(before, frozen > 0, in_sight, dag() is None, gc.get_freeze_count() == frozen, len(again))
"""


def test_the_first_build_of_a_process_freezes_what_it_held_not_what_it_builds(retail):
    import subprocess
    import sys

    from dop_core.testing import clean_env

    out = subprocess.run([sys.executable, "-c", FROZEN, str(retail)], env=clean_env(), capture_output=True,
                         text=True, check=False, timeout=120)
    assert out.returncode == 0, out.stderr
    # nothing frozen before; the process's objects frozen by the first build; the DAGs it built still in the
    # collector's sight and freed once dropped (cycles: DAG <-> task); a second build freezes nothing more
    assert out.stdout.split() == ["0", "True", "True", "True", "True", "2"]
