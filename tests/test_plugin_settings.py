"""A plugin's own settings (``plugins.<name>`` of dop_project.yml), declared once with ``dop_plugin_settings``:
DOP validates them once per project, at their line and column, merges a target's keys over the project-wide
ones, and hands the typed result to the plugin's contexts as ``settings``."""

from __future__ import annotations

import attrs
import pytest

from dop_core import PluginSettings, SettingsContext, TaskBuild, TaskType, ValidationContext, hookimpl
from dop_core.validate.project import validate_project


@attrs.frozen
class GreetSettings:
    greeting: str = "hello"
    times: int = 1


@attrs.frozen
class GreetOptions:
    pass


def _check(ctx: SettingsContext):
    if ctx.settings.times > 3:
        yield ctx.problem(ctx.where("times"), f"plugins.greet.times is {ctx.settings.times} on target "
                          f"{ctx.target.name!r}", "at most 3", "say it fewer times")


class Greeter:
    seen: list[object] = []

    @hookimpl
    def dop_plugin_settings(self):
        return [PluginSettings(name="greet", options=GreetSettings, validate=_check)]

    @hookimpl
    def dop_task_types(self):
        def validate(ctx: ValidationContext):
            Greeter.seen.append(ctx.settings)
            return []

        def build(b: TaskBuild):
            from airflow.providers.standard.operators.empty import EmptyOperator

            return EmptyOperator(task_id=b.task.identifier, doc=f"{b.settings.greeting} x{b.settings.times}")

        return [TaskType(action="greet", target="echo", options=GreetOptions, build=build, validate=validate)]


PROJECT = """\
name: test_project
targets:
  local: {engine: duckdb}
  prod: {engine: duckdb, path: .dop/prod.duckdb}
plugins:
  greet:
    greeting: hi
    targets:
      prod: {greeting: bonjour, times: 2}
"""
GREET_DAG = "tasks:\n  - identifier: hello\n    kind: {action: greet, target: echo}\n"


@pytest.fixture
def greeter(register_plugin):
    Greeter.seen = []
    register_plugin(Greeter(), name="greeter")
    return Greeter


def test_the_targets_settings_are_merged_and_handed_to_the_plugin(greeter, dop_project) -> None:
    dop_project.write("dop_project.yml", PROJECT)
    dop_project.dag("one", GREET_DAG)
    assert dop_project.build()["dop__one"].get_task("hello").doc == "hi x1"
    assert dop_project.build("prod")["dop__one"].get_task("hello").doc == "bonjour x2"
    assert GreetSettings("bonjour", 2) in greeter.seen


def test_a_settings_mistake_is_one_error_at_its_line_however_many_dags_use_the_plugin(greeter, dop_project) -> None:
    dop_project.write("dop_project.yml", PROJECT.replace("greeting: hi", "greeting: hi\n    times: many"))
    dop_project.dag("one", GREET_DAG)
    dop_project.dag("two", GREET_DAG)
    report = validate_project(dop_project.root)
    errors = [p for p in report.problems if p.severity == "error"]
    assert len(errors) == 1, report.problems
    assert errors[0].location.path.endswith("dop_project.yml")
    assert (errors[0].location.line, errors[0].location.column) == (8, 12)  # at `many`
    assert (errors[0].message, errors[0].expected) == ("'many' is not an integer", "an integer")


def test_the_plugins_own_check_runs_for_the_chosen_target(greeter, dop_project) -> None:
    dop_project.write("dop_project.yml", PROJECT.replace("times: 2", "times: 5"))
    dop_project.dag("one", GREET_DAG)
    assert validate_project(dop_project.root).ok  # the local target says it once
    report = validate_project(dop_project.root, "prod")
    [error] = [p for p in report.problems if p.severity == "error"]
    assert error.message == "plugins.greet.times is 5 on target 'prod'"
    assert (error.location.line, error.location.column) == (9, 40)  # on the target's own block
    assert (error.expected, error.fix) == ("at most 3", "say it fewer times")


def test_settings_no_installed_plugin_reads_are_a_warning(greeter, dop_project) -> None:
    dop_project.write("dop_project.yml", "name: test_project\nplugins:\n  greeet: {greeting: hi}\n")
    [warning] = validate_project(dop_project.root).problems
    assert warning.severity == "warning"
    assert "no installed plugin reads plugins.greeet" in warning.message
    assert warning.fix == "did you mean 'greet'?"


def test_a_plugins_own_command_reads_its_settings_for_a_target(greeter, dop_project) -> None:
    from dop_core import ConfigError, plugin_settings, resolve_target

    dop_project.write("dop_project.yml", PROJECT)
    project = dop_project.project()
    assert plugin_settings(project, resolve_target(project, "prod"), "greet") == GreetSettings("bonjour", 2)
    dop_project.write("dop_project.yml", PROJECT.replace("times: 2", "times: 5"))
    project = dop_project.project()
    with pytest.raises(ConfigError, match=r"dop_project.yml:9:40: error: plugins.greet.times is 5 on target 'prod'"):
        plugin_settings(project, resolve_target(project, "prod"), "greet")
