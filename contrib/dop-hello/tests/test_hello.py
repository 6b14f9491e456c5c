"""dop-hello, tested both ways: through its installed entry point, and registered directly."""

from __future__ import annotations

import json

import dop_hello.plugin
import pytest

from dop_core import ConfigError
from dop_core.testing import build_dag_from_yaml, run_dop

CONFIG = """\
tasks:
  - identifier: greet
    kind: {action: hello, target: echo}
    options: {greeting: hi, name: "{{ ds }}", times: 2}
  - identifier: done
    kind: {action: hello, target: noop}
    dependencies: [greet]
"""


def test_dop_plugins_lists_the_installed_entry_point() -> None:
    result = run_dop("plugins", "--format", "json")
    assert result.returncode == 0, result.stderr
    plugins = {p["name"]: p for p in json.loads(result.stdout)}
    hello = plugins["hello"]
    assert hello["distribution"] == "dop-hello"
    assert hello["version"] == "0.1.0"
    assert not hello["builtin"] and hello["error"] is None
    assert hello["registers"] == ["task_types:hello/echo", "task_types:hello/noop"]


def test_dop_plugins_text_and_disable_switch() -> None:
    shown = run_dop("plugins")
    assert "hello  (dop-hello 0.1.0)" in shown.stdout
    assert "  task_types:hello/echo" in shown.stdout
    hidden = run_dop("plugins", env={"DOP_DISABLE_PLUGINS": "hello"})
    assert hidden.returncode == 0 and "dop-hello" not in hidden.stdout
    other_only = run_dop("plugins", env={"DOP_PLUGINS": "no_such_plugin"})
    assert "dop-hello" not in other_only.stdout


def test_project_builds_through_the_entry_point(dop_project, installed_plugins) -> None:
    # no register_plugin here: a new process-wide registry autoloads the installed entry points
    dop_project.dag("hello", CONFIG)
    dag = dop_project.build()["dop__hello"]
    greet = dag.get_task("greet")
    assert type(greet).__name__ == "BashOperator"
    assert greet.bash_command == "echo 'hi, {{ ds }}!'; echo 'hi, {{ ds }}!'"
    assert type(dag.get_task("done")).__name__ == "EmptyOperator"
    assert dag.get_task("done").upstream_task_ids == {"greet"}


def test_registered_directly(dop_project, register_plugin) -> None:
    registry = register_plugin(dop_hello.plugin, name="hello")
    assert registry.task_type("hello", "echo").provider == "hello"
    dop_project.dag("hello", CONFIG)
    dag = dop_project.build()["dop__hello"]
    assert sorted(dag.task_ids) == ["done", "greet"]


def test_bad_options_point_at_the_line(tmp_path, register_plugin) -> None:
    register_plugin(dop_hello.plugin, name="hello")
    config = """\
        tasks:
          - identifier: greet
            kind: {action: hello, target: echo}
            options:
              greeting: ""
              times: 50
        """
    with pytest.raises(ConfigError) as info:
        build_dag_from_yaml(config, tmp_path / "project")
    text = str(info.value)
    assert "config.yaml:5:" in text and "is not a greeting" in text
    # the options model failed, so the cross-field check did not run on half-built options
    assert "times is 50" not in text


def test_validate_hook_reports_out_of_range(tmp_path, register_plugin) -> None:
    register_plugin(dop_hello.plugin, name="hello")
    config = """\
        tasks:
          - identifier: greet
            kind: {action: hello, target: echo}
            options:
              times: 50
        """
    with pytest.raises(ConfigError) as info:
        build_dag_from_yaml(config, tmp_path / "project")
    assert "config.yaml:5:" in str(info.value) and "times is 50" in str(info.value)


@pytest.mark.parametrize("times", [2, 50])
def test_dop_validate_finds_what_building_would_without_building(dop_project, register_plugin, times) -> None:
    """Both kinds declare validate_covers_build: `dop validate` reports what it reports when it builds the DAG."""
    from dop_core.testing import check_both_ways

    register_plugin(dop_hello.plugin, name="hello")
    dop_project.dag("hello", CONFIG.replace("times: 2", f"times: {times}"))
    found = check_both_ways(dop_project.root)
    assert found.dags_built == [] and found.unbuilt == found.built
    assert [p.split("\n")[0] for p in found.unbuilt] == ([] if times == 2 else [
        f"{dop_project.root}/orchestration/hello/config.yaml:4:54: error: times is 50"])


def test_a_cold_dop_validate_imports_no_airflow(dop_project) -> None:
    from dop_core.testing import cold_check

    dop_project.dag("hello", CONFIG)
    assert cold_check(dop_project.root) == ([], False)


def test_without_the_plugin_the_action_is_unknown(tmp_path, dop_plugin_manager) -> None:
    with pytest.raises(ConfigError) as info:
        build_dag_from_yaml(CONFIG, tmp_path / "project")
    assert "unknown action 'hello'" in str(info.value)


@pytest.mark.slow
def test_dop_run_says_hello(dop_project) -> None:
    dop_project.dag("hello", CONFIG)
    result = run_dop("run", "hello", "--date", "2024-03-01", cwd=dop_project.root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "greet" in result.stdout and "success" in result.stdout
    logs = list((dop_project.root / ".dop" / "logs" / "runs" / "dop__hello").glob("2024-03-01*.log"))
    assert "hi, 2024-03-01!" in logs[0].read_text()


def test_registering_dop_hello_imports_only_its_plugin_module() -> None:
    from dop_core.testing import registration_imports

    assert registration_imports("dop_hello.plugin") == ["dop_hello", "dop_hello.plugin"]
