"""Optional parts that come with an extra: a kind, trigger or engine that names one (``requires=``) is reported
at the config line that asks for it when the extra is missing, with what to install, never an ImportError.

The extra here is a made-up one whose distribution is installed nowhere (Google Cloud itself is installed in
this environment: tests/packaging/test_light_install.py checks ``dop-core[google]`` from a fresh virtualenv).
"""

from __future__ import annotations

import pytest

from dop_core import Extra, MissingExtra, NoOptions, TaskType, TriggerType, hookimpl, validate_project
from dop_core.contract.records import EngineType
from dop_core.contract.registry import get_registry
from dop_core.extras import GOOGLE_EXTRA

MOON = Extra(requirement="dop-moon[base]", distributions=("dop-moon-client-never-installed",), what="Moon support")
PRESENT = Extra(requirement="dop-core", distributions=("dop-core",), what="DOP")


class MoonPlugin:
    @hookimpl
    def dop_task_types(self):
        return [TaskType(action="moon", target="land", build=lambda b: None, requires=MOON),
                TaskType(action="moon", target="orbit", build=lambda b: None, requires=PRESENT)]

    @hookimpl
    def dop_trigger_types(self):
        return [TriggerType(kind="full_moon", build=lambda b: None, options=NoOptions, requires=MOON)]

    @hookimpl
    def dop_engines(self):
        return [EngineType(name="lunar", dialect="duckdb", connect=lambda t: None, requires=MOON)]


@pytest.fixture
def moon(register_plugin):
    register_plugin(MoonPlugin(), name="moon")


def messages(report, severity="error"):
    return {f"{p.location.line}:{p.location.column}": str(p) for p in report.problems if p.severity == severity}


def test_a_missing_extra_is_reported_where_the_config_asks(moon, dop_project):
    dop_project.dag("trip", """\
        schema: s
        triggers:
          - kind: full_moon
        tasks:
          - identifier: landing
            kind: {action: moon, target: land}
          - identifier: orbiting
            kind: {action: moon, target: orbit}
        """)
    errors = messages(validate_project(dop_project.root))
    assert set(errors) == {"3:11", "6:11"}  # `kind:` of the trigger and of the task; orbit's extra is installed
    assert errors["6:11"].endswith(
        "config.yaml:6:11: error: task kind moon/land needs Moon support, which is not installed here (missing: "
        "dop-moon-client-never-installed)\n    expected: dop-moon[base] installed\n"
        "    fix: pip install 'dop-moon[base]'")
    assert "error: trigger kind full_moon needs Moon support" in errors["3:11"]


def test_a_disabled_dag_resolves_nothing(moon, dop_project):
    dop_project.dag("trip", "enabled: false\nschema: s\ntasks:\n  - identifier: landing\n"
                            "    kind: {action: moon, target: land}\n")
    assert validate_project(dop_project.root).ok


PROJECT = """\
name: trips
targets:
  local: {engine: duckdb, path: .dop/warehouse.duckdb}
  moon: {engine: lunar}
default_target: %s
"""


def test_an_engine_needing_an_extra_is_an_error_on_the_chosen_target_only(moon, dop_project):
    dop_project.write("dop_project.yml", PROJECT % "local")
    report = validate_project(dop_project.root)
    assert report.ok  # local work goes on without the extra of another target
    (warning,) = messages(report, "warning").values()
    assert "dop_project.yml:4:18: warning: target 'moon' (engine lunar) needs Moon support" in warning
    chosen = validate_project(dop_project.root, target="moon")
    (error,) = messages(chosen).values()
    assert "dop_project.yml:4:18: error: target 'moon' (engine lunar) needs Moon support" in error
    assert "fix: pip install 'dop-moon[base]'" in error


def test_require_raises_the_same_message():
    with pytest.raises(MissingExtra, match=r"^landing needs Moon support, which is not installed here \(missing: "
                                           r"dop-moon-client-never-installed\); install it: pip install "
                                           r"'dop-moon\[base\]'$"):
        MOON.require("landing")
    PRESENT.require("nothing missing")


def test_google_cloud_parts_declare_the_google_extra(dop_plugin_manager):
    registry = get_registry()
    assert registry.engines["bigquery"].requires is GOOGLE_EXTRA
    assert registry.trigger_types["gcs_object"].requires is GOOGLE_EXTRA
    assert registry.trigger_types["bigquery_table"].requires is GOOGLE_EXTRA
    assert registry.engines["duckdb"].requires is None
    assert GOOGLE_EXTRA.install == "pip install 'dop-core[google]'"
