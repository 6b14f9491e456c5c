"""Plugins found through the `dop` entry-point group: listed, isolated when broken, refused when clashing."""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap

import attrs
import pytest

from dop_core import NoOptions, TaskType, hookimpl
from dop_core.contract import registry as plugins
from dop_core.errors import PluginError
from dop_core.testing import run_dop


def fake_distribution(site: pathlib.Path, dist: str, module: str, source: str, entry_name: str) -> None:
    """A real installed distribution (dist-info + module) in a folder put on PYTHONPATH."""
    (site / f"{module}.py").write_text(textwrap.dedent(source))
    info = site / f"{dist.replace('-', '_')}-1.2.3.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.2.3\n")
    (info / "entry_points.txt").write_text(f"[dop]\n{entry_name} = {module}\n")


GOOD = """
    import attrs
    from dop_core import TaskType, hookimpl

    @attrs.frozen
    class EchoOptions:
        text: str = "hi"

    def build(task):
        from airflow.providers.standard.operators.bash import BashOperator
        return BashOperator(bash_command="echo " + task.options.text, **task.operator_kwargs())

    @hookimpl
    def dop_task_types():
        return [TaskType(action="echo", target="bash", options=EchoOptions, build=build)]
"""
BROKEN_IMPORT = "raise RuntimeError('this plugin is broken on purpose')\n"
MALFORMED = """
    from dop_core import hookimpl

    @hookimpl
    def dop_task_types():
        return [{"action": "not", "target": "a record"}]
"""


@pytest.fixture
def site(tmp_path):
    folder = tmp_path / "site"
    folder.mkdir()
    fake_distribution(folder, "dop-echo", "dop_echo_plugin", GOOD, "echo")
    fake_distribution(folder, "dop-broken", "dop_broken_plugin", BROKEN_IMPORT, "broken")
    fake_distribution(folder, "dop-malformed", "dop_malformed_plugin", MALFORMED, "malformed")
    return folder


def dop_with(site, *args, **env):
    path = os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])
    return run_dop(*args, env={"PYTHONPATH": path, **env})


def plugin_list(result):
    return {p["name"]: p for p in json.loads(result.stdout)}


@pytest.mark.slow
def test_plugins_from_other_distributions_are_listed_and_broken_ones_named(site):
    result = dop_with(site, "plugins", "--format", "json")
    assert result.returncode == 0, result.stderr
    found = plugin_list(result)
    assert found["echo"]["distribution"] == "dop-echo" and found["echo"]["version"] == "1.2.3"
    assert found["echo"]["registers"] == ["task_types:echo/bash"]
    assert "RuntimeError: this plugin is broken on purpose" in found["broken"]["error"]
    assert found["dop_core.builtin.materialization.plugin"]["builtin"] is True
    assert "plugin 'malformed'" in result.stderr and "not a TaskType" in result.stderr

    text = dop_with(site, "plugins")
    assert "echo  (dop-echo 1.2.3)" in text.stdout
    assert "BROKEN: plugin 'broken' (dop-broken) failed to load" in text.stdout


@pytest.mark.slow
def test_the_plugins_action_builds_tasks_while_a_broken_plugin_is_reported(site, tmp_path):
    from dop_core.testing import ProjectFactory

    factory = ProjectFactory(tmp_path / "p")
    factory.dag("greetings", "tasks:\n  - identifier: say\n    kind: {action: echo, target: bash}\n"
                "    options: {text: hello}\n")
    ok = dop_with(site, "graph", "greetings", "--project", str(factory.root), "--format", "dot")
    assert ok.returncode == 0, ok.stderr
    assert '"say" [label="say\\nBashOperator"];' in ok.stdout
    assert "failed to load" in ok.stderr  # reported, not fatal


@pytest.mark.slow
def test_strict_switch_makes_a_broken_plugin_fatal(site):
    result = dop_with(site, "plugins", DOP_STRICT_PLUGINS="1")
    assert result.returncode != 0
    assert "plugin 'broken' (dop-broken) failed to load" in result.stderr


@pytest.mark.slow
def test_disable_and_allow_list_switches(site):
    disabled = plugin_list(dop_with(site, "plugins", "--format", "json", DOP_DISABLE_PLUGINS="broken,malformed"))
    assert "broken" not in disabled and "malformed" not in disabled and "echo" in disabled
    allowed = plugin_list(dop_with(site, "plugins", "--format", "json", DOP_PLUGINS="echo"))
    assert "echo" in allowed and "broken" not in allowed


@attrs.frozen
class _Opts:
    pass


def _task_type(action, target):
    return TaskType(action=action, target=target, options=_Opts, build=lambda b: None)


def test_two_plugins_claiming_one_action_target_is_an_error_naming_both(dop_plugin_manager, register_plugin):
    class First:
        @hookimpl
        def dop_task_types(self):
            return [_task_type("load", "s3")]

    class Second:
        @hookimpl
        def dop_task_types(self):
            return [_task_type("load", "s3")]

    register_plugin(First(), name="first-plugin")
    registry = register_plugin(Second(), name="second-plugin")
    assert [e for e in registry.errors if "twice" in e] == [
        "plugin 'second-plugin': TaskType 'load/s3' is registered twice: by 'first-plugin' and by 'second-plugin'; "
        "the one of 'first-plugin' is used; uninstall or disable one (DOP_DISABLE_PLUGINS)"]
    assert registry.task_types[("load", "s3")].provider == "first-plugin"


def test_a_plugin_raising_in_its_hook_is_skipped_and_reported(register_plugin):
    class Raising:
        @hookimpl
        def dop_task_types(self):
            raise ValueError("boom")

    class Fine:
        @hookimpl
        def dop_task_types(self):
            return [_task_type("fine", "x")]

    register_plugin(Raising(), name="raising")
    registry = register_plugin(Fine(), name="fine")
    assert ("fine", "x") in registry.task_types
    assert ("materialization", "table") in registry.task_types
    assert any("plugin 'raising': dop_task_types() raised ValueError: boom" in e for e in registry.errors)


def test_records_are_validated_when_created():
    with pytest.raises(TypeError, match="options must be an attrs class or its import string"):
        TaskType(action="a", target="b", build=lambda b: None, options=dict)
    with pytest.raises(TypeError, match="build must be callable"):
        TaskType(action="a", target="b", build="not callable")


def test_builtins_register_through_the_same_hooks(dop_plugin_manager):
    registry = plugins.get_registry()
    providers = {t.provider for t in registry.task_types.values()}
    assert providers <= set(plugins.BUILTIN_PLUGINS)
    assert set(registry.engines) == {"duckdb", "bigquery"}
    assert {name for name, _ in dop_plugin_manager.list_name_plugin()} == set(plugins.BUILTIN_PLUGINS)


def test_dag_built_hook_sees_every_dag(register_plugin, dop_project):
    seen = []

    class Policy:
        @hookimpl
        def dop_dag_built(self, dag, config, project):
            dag.tags.add(f"team:{project.name}")
            seen.append(config.name)

    register_plugin(Policy(), name="policy")
    dop_project.dag("one", "tasks: []\n")
    dop_project.dag("two", "tasks: []\n")
    dags = dop_project.build()
    assert sorted(seen) == ["one", "two"]
    assert "team:test_project" in dags["dop__one"].tags


def test_jinja_macros_hook(register_plugin, dop_project):
    class Macros:
        @hookimpl
        def dop_jinja_macros(self, project):
            return {"quarter": lambda ds: f"{ds[:4]}Q{(int(ds[5:7]) - 1) // 3 + 1}"}

    register_plugin(Macros(), name="macros")
    dop_project.dag("m", "tasks: []\n")
    dag = dop_project.build()["dop__m"]
    assert dag.user_defined_macros["quarter"]("2024-05-01") == "2024Q2"


def test_options_models_may_be_named_by_import_string():
    record = TaskType(action="a", target="b", build=lambda b: None, options="dop_core.contract.records:NoOptions")
    assert record.options_model is NoOptions
    with pytest.raises(TypeError, match=r"import string 'package\.module:Class', got 'not an import string'"):
        TaskType(action="a", target="b", build=lambda b: None, options="not an import string")
    missing = attrs.evolve(record, options="dop_nowhere.options:Missing", provider="my-plugin")
    with pytest.raises(PluginError, match=r"my-plugin: the options model 'dop_nowhere.options:Missing' of 'a/b' "
                                          r"cannot be loaded: ModuleNotFoundError"):
        missing.options_model  # noqa: B018
    not_attrs = attrs.evolve(record, options="dop_core.contract.records:load_model")
    with pytest.raises(PluginError, match="not an attrs class"):
        not_attrs.options_model  # noqa: B018


def test_a_missing_options_model_is_reported_at_the_dag_it_breaks(register_plugin, dop_project):
    class Broken:
        @hookimpl
        def dop_task_types(self):
            return [TaskType(action="broken", target="x", build=lambda b: None, options="dop_nowhere:Options")]

    register_plugin(Broken(), name="broken")
    dop_project.dag("uses_it", "tasks:\n  - identifier: t\n    kind: {action: broken, target: x}\n")
    dop_project.dag("fine", "tasks:\n  - identifier: t\n    kind: {action: airflow_operator, "
                            "target: airflow.providers.standard.operators.empty.EmptyOperator}\n")
    dags = dop_project.build()
    assert dags["dop__fine"].task_ids == ["t"]
    assert dags["dop__uses_it"].task_ids == ["config_error"]
    assert "broken: the options model 'dop_nowhere:Options' of 'broken/x' cannot be loaded" in \
        dags["dop__uses_it"].doc_md


def test_registering_the_builtins_defines_no_options_model():
    """Options models are imported when a config using the kind is validated (or read from the parse
    cache), not at every parse: each attrs class costs every parsing process ~20 KiB."""
    code = ("import sys; from dop_core.contract import registry as plugins; plugins.get_registry(); "
            "print(sorted(m for m in sys.modules if m.endswith(('_options', '.options')) or m in "
            "('dop_core.contract.egress', 'dop_core.builtin.duckdb.target')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={**os.environ, "DOP_DISABLE_PLUGINS": "all"})
    assert result.stdout.strip() == "[]"


def test_registration_imports_shows_what_a_plugin_costs_each_parse(tmp_path, monkeypatch):
    from dop_core.testing import registration_imports

    pkg = tmp_path / "dop_light"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "options.py").write_text("import attrs\n\n@attrs.frozen\nclass Options:\n    n: int = 1\n")
    (pkg / "light.py").write_text(
        "from dop_core import TaskType, hookimpl\n\n@hookimpl\ndef dop_task_types():\n"
        "    return [TaskType(action='light', target='x', build=print, options='dop_light.options:Options')]\n")
    (pkg / "heavy.py").write_text(
        "from dop_core import TaskType, hookimpl\nfrom dop_light.options import Options\n\n@hookimpl\n"
        "def dop_task_types():\n    return [TaskType(action='heavy', target='x', build=print, options=Options)]\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    assert registration_imports("dop_light.light") == ["dop_light", "dop_light.light"]
    assert registration_imports("dop_light.heavy") == ["dop_light", "dop_light.heavy", "dop_light.options"]


@pytest.mark.slow
def test_the_entry_point_cache_sees_plugins_installed_and_removed(site, tmp_path):
    """The list of entry points is cached under sys.path's folders and their times: installing or
    removing a distribution (its *.dist-info folder) is seen at once."""
    cache = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    first = plugin_list(dop_with(site, "plugins", "--format", "json", **cache))
    assert {"echo", "broken", "malformed"} <= set(first)
    cached = list((tmp_path / "cache" / "dop" / "entry-points").glob("*.json"))
    assert len(cached) == 1 and '"echo"' in cached[0].read_text()
    again = plugin_list(dop_with(site, "plugins", "--format", "json", **cache))
    assert again["echo"] == first["echo"]  # read from the cache, same answer

    fake_distribution(site, "dop-late", "dop_late_plugin", GOOD.replace("echo", "late"), "late")
    shutil.rmtree(site / "dop_broken-1.2.3.dist-info")
    after = plugin_list(dop_with(site, "plugins", "--format", "json", **cache))
    assert after["late"]["registers"] == ["task_types:late/bash"]
    assert "broken" not in after

    cached[0].write_text("{not json")  # a damaged cache is a miss
    assert "late" in plugin_list(dop_with(site, "plugins", "--format", "json", **cache))


# -- hooks are called through pluggy ---------------------------------------------------------------------------

def test_a_misspelled_hook_is_an_error_naming_the_plugin_and_the_hook(register_plugin):
    class Typo:
        @hookimpl
        def dop_task_type(self):  # dop_task_types
            return [_task_type("typo", "x")]

    with pytest.raises(PluginError, match=r"plugin 'typo' implements hooks DOP does not have: dop_task_type "
                                          r"\(did you mean 'dop_task_types'\?\)"):
        register_plugin(Typo(), name="typo")
    assert ("typo", "x") not in plugins.get_registry().task_types


def test_an_implementation_taking_fewer_arguments_is_called(register_plugin, dop_project):
    class Tagger:
        @hookimpl
        def dop_dag_built(self, dag):  # pluggy passes only the arguments an implementation names
            dag.tags.add("tagged")

    register_plugin(Tagger(), name="tagger")
    dop_project.dag("one", "tasks: []\n")
    assert "tagged" in dop_project.build()["dop__one"].tags


def test_a_broken_dag_hook_loses_its_own_contribution_not_the_dag(register_plugin, dop_project):
    from dop_core.check.project import check_project

    class Broken:
        @hookimpl
        def dop_dag_built(self, dag):
            raise RuntimeError("policy server down")

        @hookimpl
        def dop_jinja_macros(self, project):
            raise RuntimeError("no macros today")

    class Fine:
        @hookimpl
        def dop_dag_built(self, dag):
            dag.tags.add("fine")

        @hookimpl
        def dop_jinja_macros(self, project):
            return {"shout": str.upper}

    register_plugin(Broken(), name="broken")
    register_plugin(Fine(), name="fine")
    dop_project.dag("one", "tasks: []\n")
    dag = dop_project.build()["dop__one"]
    assert "dop:config-error" not in dag.tags and "fine" in dag.tags
    assert dag.user_defined_macros["shout"]("a") == "A"
    problems = [str(p) for p in check_project(dop_project.root).problems]
    assert any("plugin 'broken': dop_dag_built() raised RuntimeError: policy server down" in p for p in problems)
    assert any("plugin 'broken': dop_jinja_macros() raised RuntimeError: no macros today" in p for p in problems)
