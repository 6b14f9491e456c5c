"""Unit tests: the plugin registered directly on a fresh DOP plugin manager (``dop_core.testing``)."""

from __future__ import annotations

import datetime as dt

import pytest

import {{ cookiecutter.package_name }}.plugin
from dop_core import ConfigError
from dop_core.testing import build_dag_from_yaml
from {{ cookiecutter.package_name }}.operator import {{ cookiecutter.class_prefix }}MessageOperator
from {{ cookiecutter.package_name }}.options import MessageOptions

CONFIG = """\
schedule_interval: "@daily"
tasks:
  - identifier: say_hello
    kind: {action: {{ cookiecutter.action }}, target: message}
    options:
      text: "hello on {% raw %}{{ ds }}{% endraw %}"
      repeat: 2
  - identifier: say_bye
    kind: {action: {{ cookiecutter.action }}, target: message}
    dependencies: [say_hello]
    options: {text: bye, level: warning, timeout: 30s}
"""


@pytest.fixture
def plugin(register_plugin):
    """The plugin registered for one test (and unregistered after it)."""
    return register_plugin({{ cookiecutter.package_name }}.plugin, name="{{ cookiecutter.entry_point }}")


def test_registers_the_task_kind(plugin) -> None:
    task_type = plugin.task_type("{{ cookiecutter.action }}", "message")
    assert task_type.options_model is MessageOptions
    assert task_type.provider == "{{ cookiecutter.entry_point }}"


def test_builds_a_dag(dop_project, plugin) -> None:
    dop_project.dag("greetings", CONFIG)
    dag = dop_project.build()["dop__greetings"]
    assert sorted(dag.task_ids) == ["say_bye", "say_hello"]
    hello, bye = dag.get_task("say_hello"), dag.get_task("say_bye")
    assert isinstance(hello, {{ cookiecutter.class_prefix }}MessageOperator)
    assert hello.text == "hello on {% raw %}{{ ds }}{% endraw %}" and hello.repeat == 2
    assert bye.level == "warning" and bye.execution_timeout == dt.timedelta(seconds=30)
    assert bye.upstream_task_ids == {"say_hello"}


def test_wrong_option_type_names_the_line(tmp_path, plugin) -> None:
    config = """\
        tasks:
          - identifier: say_hello
            kind: {action: {{ cookiecutter.action }}, target: message}
            options:
              text: hello
              level: loud
        """
    with pytest.raises(ConfigError) as info:
        build_dag_from_yaml(config, tmp_path / "project")
    assert "config.yaml:6:" in str(info.value)
    assert "'loud' is not allowed here" in str(info.value)


def test_validate_reports_out_of_range(tmp_path, plugin) -> None:
    config = """\
        tasks:
          - identifier: say_hello
            kind: {action: {{ cookiecutter.action }}, target: message}
            options: {text: hello, repeat: 0}
        """
    with pytest.raises(ConfigError) as info:
        build_dag_from_yaml(config, tmp_path / "project")
    assert "config.yaml:4:" in str(info.value) and "repeat is 0" in str(info.value)


def test_missing_text_is_reported(tmp_path, plugin) -> None:
    config = """\
        tasks:
          - identifier: say_hello
            kind: {action: {{ cookiecutter.action }}, target: message}
        """
    with pytest.raises(ConfigError) as info:
        build_dag_from_yaml(config, tmp_path / "project")
    assert "missing required key 'text'" in str(info.value)


@pytest.mark.parametrize("repeat", [2, 0])
def test_dop_validate_finds_what_building_would_without_building(dop_project, plugin, repeat) -> None:
    """The kind declares validate_covers_build: `dop validate` finds what it finds when it builds the DAG."""
    from dop_core.testing import check_both_ways

    dop_project.dag("greetings", CONFIG.replace("repeat: 2", f"repeat: {repeat}"))
    found = check_both_ways(dop_project.root)
    assert found.dags_built == [] and found.unbuilt == found.built
    assert len(found.unbuilt) == (repeat == 0)
    assert all("config.yaml:7:" in p and "repeat is 0" in p for p in found.unbuilt)


def test_execute_returns_the_message() -> None:
    operator = {{ cookiecutter.class_prefix }}MessageOperator(task_id="t", text="hi", repeat=3)
    assert operator.execute({}) == "hi"


def test_registering_imports_only_the_plugin_module() -> None:
    """Airflow imports the plugin at every parse of the DAG files, whether a DAG uses it or not: keep it
    light (the options model and the operator load when a task of this kind is validated or built)."""
    from dop_core.testing import registration_imports

    assert registration_imports("{{ cookiecutter.package_name }}.plugin") == [
        "{{ cookiecutter.package_name }}", "{{ cookiecutter.package_name }}.plugin"]
