"""`dop schema` with dop-dbt installed: the editor's schema knows the dbt task kinds and their options."""

from __future__ import annotations

import json
import pathlib

import jsonschema
import yaml

from dop_core.testing import run_dop

REPO = pathlib.Path(__file__).resolve().parents[3]
DBT_CONFIGS = [REPO / "service_project_template" / "{{cookiecutter.project_slug}}" / "orchestration" / "example_dbt"
               / "config.yaml",
               REPO / "tests" / "compat" / "original" / "embedded_dop" / "orchestration" / "example_covid19" / "config.yaml"]


def config_schema(folder: pathlib.Path) -> jsonschema.Draft202012Validator:
    result = run_dop("schema", "--output", str(folder))
    assert result.returncode == 0, result.stderr
    return jsonschema.Draft202012Validator(json.loads((folder / "config.schema.json").read_text()))


def as_editor_sees(text: str) -> object:
    return json.loads(json.dumps(yaml.safe_load(text), default=str))  # a YAML date is a string to an editor


def test_the_dbt_examples_pass_and_a_mistaken_option_does_not(tmp_path: pathlib.Path) -> None:
    schema = config_schema(tmp_path)
    for path in DBT_CONFIGS:
        assert [e.message for e in schema.iter_errors(as_editor_sees(path.read_text()))] == [], path
    wrong = as_editor_sees("tasks:\n  - identifier: run\n    kind: {action: dbt, target: runn}\n"
                           "  - identifier: test\n    kind: {action: dbt, target: test}\n    options: {projekt: x}\n")
    found = sorted(e.message for e in schema.iter_errors(wrong))
    assert any("'runn' is not one of" in m for m in found), found
    assert "Additional properties are not allowed ('projekt' was unexpected)" in found
