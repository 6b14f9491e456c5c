"""``dop schema``: the JSON Schemas editors check the YAML files with agree with ``dop validate``.

Every config DOP accepts (the repository's projects, the template, the original DOP's example, the docs'
examples) passes its schema; every config of the broken-config corpus that ``dop validate`` rejects is
rejected by the schema too, except the few whose mistake no JSON Schema can see (listed below).
"""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import re
import shutil
import sys
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from dop_core.config.yaml import load_yaml
from dop_core.contract import registry as plugins
from dop_core.errors import ConfigError
from dop_core.schema.documents import dag_schema, project_schema, sql_tests_schema
from dop_core.testing import run_dop
from dop_core.validate.project import validate_project

REPO = pathlib.Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "corpus"
#: corpus cases whose mistake is not in config.yaml's structure, so its schema cannot see it
NOT_STRUCTURAL = {
    "cycle": "a dependency cycle: a relation between tasks",
    "duplicate_identifier": "two tasks with one identifier: JSON Schema's uniqueItems compares whole items",
    "unknown_dependency": "a dependency naming no task of the DAG: a relation between tasks",
    "missing_sql": "a SQL file that does not exist",
    "no_schema": "a task that writes without a schema on it or its DAG: a rule of the kind's validator",
    "not_an_operator": "a class that is not an Airflow operator: found by importing it",
    "operator_not_importable": "a module that cannot be imported",
}
#: corpus cases whose config.yaml is right: the mistake is in a SQL file
SQL_FILE_CASES = {"sql_jinja_syntax", "sql_not_utf8", "sql_sandbox", "sql_syntax_error", "sql_undefined_name"}
#: corpus cases that are not YAML DOP reads: an editor's YAML parser flags them before any schema
NOT_YAML = {"yaml_syntax", "python_tag"}


def as_editor_sees(value: Any) -> Any:
    """YAML data as JSON Schema sees it in an editor (YAML 1.2: a date is a string)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: as_editor_sees(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_editor_sees(v) for v in value]
    return value


def validator(schema: dict[str, Any]) -> Draft202012Validator:
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def errors(schema: dict[str, Any], path: pathlib.Path) -> list[str]:
    data = load_yaml(path.read_text(encoding="utf-8"), str(path)).data
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator(schema).iter_errors(
        as_editor_sees(data))]


@pytest.fixture
def registry(dop_plugin_manager):
    """What dop-core registers by itself (the plugins' tests check their own kinds)."""
    return plugins.get_registry()


@pytest.mark.parametrize("case", sorted(p.name for p in CORPUS.iterdir() if (p / "config.yaml").is_file()))
def test_the_schema_rejects_what_dop_validate_rejects(case, registry):
    path = CORPUS / case / "config.yaml"
    if case in NOT_YAML:
        with pytest.raises(ConfigError, match="YAML"):
            load_yaml(path.read_text(encoding="utf-8"), str(path))
        return
    found = errors(dag_schema(registry), path)
    if case in NOT_STRUCTURAL or case in SQL_FILE_CASES:
        assert found == [], f"{case} is rejected now: take it off the list of what the schema cannot see"
    else:
        assert found, f"the schema accepts {case}, which dop validate rejects"


def test_the_rejections_name_the_place():
    _, registry = plugins.builtins_only()
    schema = dag_schema(registry)
    assert errors(schema, CORPUS / "unknown_option" / "config.yaml") == [
        "tasks/0/options: Additional properties are not allowed ('argument' was unexpected)"]
    assert "tasks/0/kind/target: 'tabel' is not one of" in errors(schema, CORPUS / "target_typo" / "config.yaml")[0]
    assert errors(schema, CORPUS / "sensor_bad_mode" / "config.yaml") == [
        "tasks/0/options/mode: 'sometimes' is not one of ['poke', 'reschedule']"]


def accepted_configs(root: pathlib.Path) -> list[pathlib.Path]:
    """The config files of the project at ``root`` that ``dop validate`` accepts, and dop_project.yml."""
    report = validate_project(root)
    assert report.project is not None, report.problems
    return [root / "dop_project.yml"] + [d.config_path for d in report.dags]


def check_project(root: pathlib.Path, registry: Any) -> int:
    """Every config of the project DOP accepts passes its schema, read as an editor reads it and as PyYAML does."""
    import yaml

    schemas = {"dop_project.yml": project_schema(registry), "config.yaml": dag_schema(registry)}
    files = accepted_configs(root)
    for path in files:
        assert errors(schemas[path.name], path) == [], path
        as_pyyaml = yaml.safe_load(path.read_text(encoding="utf-8"))  # YAML 1.1: dates are date objects
        assert [e.message for e in validator(schemas[path.name]).iter_errors(as_pyyaml)] == [], path
    tests = sorted(root.glob("orchestration/*/tests/*.yaml"))
    for path in tests:
        assert errors(sql_tests_schema(registry), path) == [], path
    return len(files) + len(tests)


def test_every_config_dop_accepts_passes_its_schema(registry, tmp_path):
    sys.path.insert(0, str(REPO / "tests" / "compat"))
    try:
        from compat_support import migrated_project
    finally:
        sys.path.remove(str(REPO / "tests" / "compat"))
    checked = check_project(REPO / "tests" / "projects" / "retail", registry)
    template = tmp_path / "template"
    shutil.copytree(REPO / "service_project_template" / "{{cookiecutter.project_slug}}", template)
    (template / "dop_project.yml").write_text((template / "dop_project.yml").read_text().replace(
        "{{ cookiecutter.project_slug }}", "template").replace("{{ cookiecutter.project_name }}", "Template"))
    checked += check_project(template, registry)
    checked += check_project(migrated_project(tmp_path / "original", stand_ins=True), registry)
    assert checked >= 13


def yaml_examples(page: pathlib.Path) -> list[tuple[int, Any]]:
    """The YAML code blocks of a docs page that DOP reads (with their line), skipping those that show what it
    refuses."""
    text = page.read_text(encoding="utf-8")
    found = []
    for block in re.finditer(r"```ya?ml\n(.*?)```", text, re.S):
        try:
            found.append((text.count("\n", 0, block.start()) + 2, load_yaml(block.group(1), str(page)).data))
        except ConfigError:
            continue
    return found


def installed(registry: Any, kind: dict[str, Any]) -> bool:
    """Whether the task kind ``kind`` (and its egress destination) is registered."""
    try:
        registry.task_type(kind.get("action"), kind.get("target"))
    except LookupError:
        return False
    return kind.get("action") != "egress" or kind.get("target") in registry.egress_types


def test_the_docs_examples_pass_their_schema(registry):
    dag, project = validator(dag_schema(registry)), validator(project_schema(registry))
    checked = 0
    for page in [*sorted((REPO / "docs").rglob("*.md")), REPO / "README.md"]:
        for line, data in yaml_examples(page):
            if not isinstance(data, dict):
                continue
            if "tasks" in data:
                if not all(installed(registry, task.get("kind") or {}) for task in data["tasks"]):
                    continue  # a plugin's example: its own tests check it
                chosen = dag
            elif "name" in data and ("targets" in data or "dialect" in data):
                chosen = project
            else:
                continue  # a fragment
            found = [e.message for e in chosen.iter_errors(as_editor_sees(data))]
            assert found == [], f"{page.name}:{line}: {found}"
            checked += 1
    assert checked >= 3


def test_descriptions_come_from_the_config_reference(registry):
    schema = dag_schema(registry)
    task = schema["$defs"]["TaskConfig"]["properties"]
    assert task["identifier"]["description"].startswith("the task id; also the name of its SQL file and table")
    assert "Expected: letters, digits and underscores" in task["identifier"]["description"]
    assert schema["properties"]["retries"] == {"type": "integer", "minimum": 0, "maximum": 2**31 - 1, "default": 3,
                                               "description": "default retries of the tasks (the original DOP's 3) "
                                               "Expected: a whole number from 0 to 2147483647."}
    assert schema["properties"]["retry_delay"]["default"] == "5m"
    given = schema["$defs"]["SqlTest"]["properties"]["given"]["anyOf"][0]  # or null: `given:` alone
    assert given["additionalProperties"]["anyOf"][0] == {"$ref": "#/$defs/TableRows"}


@pytest.mark.parametrize(("partitioning", "valid"), [
    ({"field": "day"}, True),
    ({"field": "day", "data_type": "TIMESTAMP", "granularity": "hour"}, True),
    ({"field": "n", "data_type": "int64", "range": {"start": 0, "end": 100}}, True),
    ({"field": "n", "data_type": "integer"}, False),  # int64 partitions need a range
    ({"field": "day", "granularity": "hour"}, False),  # a date (the default) has no hours
    ({"field": "day", "data_type": "week"}, False),
])
def test_partitioning_rules_agree_with_dop(registry, partitioning, valid):
    from dop_core.config.models import Partitioning
    from dop_core.config.structure import Structurer
    from dop_core.config.yaml import Document

    problems: list[Any] = []
    Structurer(Document("x", {}, {}, {}), problems).structure(partitioning, Partitioning, ())
    assert (problems == []) is valid, problems
    task = {"identifier": "t", "kind": {"action": "materialization", "target": "table"}, "partitioning": partitioning}
    assert (list(validator(dag_schema(registry)).iter_errors({"tasks": [task]})) == []) is valid


def test_a_plugin_task_kind_gets_its_options_checked(dop_plugin_manager, register_plugin):
    import attrs

    from dop_core.contract.hookspecs import hookimpl
    from dop_core.contract.records import TaskType

    @attrs.frozen
    class GreetOptions:
        greeting: str = attrs.field(metadata={"doc": "what to say"})
        times: int = 1

    class Plugin:
        @hookimpl
        def dop_task_types(self):
            return [TaskType(action="greet", target="loudly", options=GreetOptions, build=lambda b: None)]

    register_plugin(Plugin())
    schema = validator(dag_schema(plugins.refresh()))
    task = {"identifier": "t", "kind": {"action": "greet", "target": "loudly"}}
    assert not list(schema.iter_errors({"tasks": [{**task, "options": {"greeting": "hi", "times": 2}}]}))
    wrong = [e.message for e in schema.iter_errors({"tasks": [{**task, "options": {"times": "2"}}]})]
    assert sorted(wrong) == ["'2' is not of type 'integer'", "'greeting' is a required property"]
    assert list(schema.iter_errors({"tasks": [{**task, "kind": {"action": "greet", "target": "softly"}}]}))


@pytest.mark.slow
def test_dop_schema_writes_the_files_the_editor_settings_name(dop_project, tmp_path):
    result = run_dop("schema", "--project", str(dop_project.root))
    assert result.returncode == 0, result.stderr
    folder = dop_project.root / ".dop" / "schema"
    assert sorted(p.name for p in folder.iterdir()) == ["config.schema.json", "dop_project.schema.json",
                                                        "tests.schema.json"]
    for path in folder.iterdir():
        Draft202012Validator.check_schema(json.loads(path.read_text()))
    assert f"wrote {folder / 'config.schema.json'}" in result.stdout
    elsewhere = run_dop("schema", "--output", str(tmp_path / "out"), "--project", str(dop_project.root))
    assert elsewhere.returncode == 0 and (tmp_path / "out" / "tests.schema.json").is_file()
