"""Property-based tests: any config either builds DAGs or raises DOP's ConfigError with a location.

Fuzzing runs with a bounded number of examples (CI runs them all); a failure prints the smallest
config that breaks the property.
"""

from __future__ import annotations

import contextlib
import json
import pathlib
import re
import shutil
import tempfile
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dop_core.config.yaml import load_yaml
from dop_core.errors import ConfigError
from dop_core.validate.project import validate_project

FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

VALID = {
    "schedule_interval": "0 4 * * *",
    "timezone": "Europe/London",
    "schema": "retail",
    "params": {"n": 1},
    "tasks": [
        {"identifier": "create", "kind": {"action": "materialization", "target": "schema"}},
        {"identifier": "orders", "kind": {"action": "materialization", "target": "table"},
         "partitioning": {"field": "d", "data_type": "date"}, "dependencies": ["create"], "retries": 2,
         "retry_delay": "5m"},
        {"identifier": "check", "kind": {"action": "assertion", "target": "assertion"}, "dependencies": ["orders"]},
        {"identifier": "wait", "kind": {"action": "assertion", "target": "assertion_sensor"},
         "options": {"poke_interval": "30s", "timeout": "1h", "mode": "poke"}},
        {"identifier": "udf", "kind": {"action": "materialization", "target": "udf"},
         "options": {"arguments": [{"name": "x", "type": "STRING"}]}},
        {"identifier": "noop", "kind": {"action": "airflow_operator",
                                        "target": "airflow.providers.standard.operators.empty.EmptyOperator"},
         "dependencies": ["check"]},
    ],
}
SQL = {"orders": "SELECT DATE '{{ ds }}' AS d", "check": "SELECT true AS success, 'ok' AS description",
       "wait": "SELECT true AS success, 'ok' AS description", "udf": "x"}

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False),
                    st.text(max_size=20), st.sampled_from(["5m", "0 4 * * *", "table", "retail", "@daily", "", "-"]))
values = st.recursive(scalars, lambda children: st.one_of(st.lists(children, max_size=3),
                                                          st.dictionaries(st.text(max_size=8), children, max_size=3)),
                      max_leaves=8)


def paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from paths(v, (*prefix, i))


@st.composite
def mutated_configs(draw):
    config = json.loads(json.dumps(VALID))
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.sampled_from(list(paths(config))[1:]))
        parent = config
        for step in where[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        key = where[-1]
        if action == "replace":
            parent[key] = draw(values)
        elif action == "delete":
            del parent[key]
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = draw(values)
        else:
            parent.append(draw(values))
    return config


@contextlib.contextmanager
def fuzz_project(config_text: str, sql: dict[str, str]) -> Iterator[pathlib.Path]:
    """A throw-away project with the DAG ``fuzzed`` (hypothesis calls a test many times per tmp_path)."""
    root = pathlib.Path(tempfile.mkdtemp(prefix="dop-fuzz-"))
    try:
        (root / "dop_project.yml").write_text("name: fuzz\n")
        folder = root / "orchestration" / "fuzzed"
        (folder / "sql").mkdir(parents=True)
        for name, text in sql.items():  # lone surrogates stand for bytes that are not UTF-8
            (folder / "sql" / f"{name}.sql").write_bytes(text.encode("utf-8", "surrogateescape"))
        (folder / "config.yaml").write_text(config_text)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def check_project_with(config_text: str) -> None:
    with fuzz_project(config_text, SQL) as root:
        report = validate_project(root)
        for problem in report.problems:
            assert problem.location.path.endswith(("config.yaml", "dop_project.yml")), problem
            assert problem.location.line >= 1 and problem.location.column >= 1, problem
        if report.ok and report.dags:
            from dop_core.build.dags import build_dag
            from dop_core.validate.targets import resolve_target

            try:
                build_dag(report.dags[0], report.project, resolve_target(report.project))
            except ConfigError as exc:  # e.g. an operator refusing its arguments: still located
                assert all(p.location.line >= 1 for p in exc.problems)


def test_the_valid_seed_config_is_valid(dop_plugin_manager, tmp_path):
    root = tmp_path
    (root / "dop_project.yml").write_text("name: fuzz\n")
    folder = root / "orchestration" / "fuzzed"
    (folder / "sql").mkdir(parents=True)
    for name, text in SQL.items():
        (folder / "sql" / f"{name}.sql").write_text(text)
    (folder / "config.yaml").write_text(json.dumps(VALID))
    report = validate_project(root)
    assert report.ok, [str(p) for p in report.problems]


@pytest.mark.slow
@FUZZ
@given(config=mutated_configs())
def test_mutated_configs_build_or_fail_with_a_location(config, dop_plugin_manager):
    check_project_with(json.dumps(config, indent=2))


@FUZZ
@given(text=st.text(max_size=300))
def test_arbitrary_text_loads_or_fails_with_a_location(text):
    try:
        load_yaml(text, "config.yaml")
    except ConfigError as exc:
        assert exc.location.path == "config.yaml" and exc.location.line >= 1


yaml_fragments = st.lists(st.sampled_from([
    "tasks:", "  - identifier: a", "    kind: {action: materialization, target: schema}", "schema: s",
    "    dependencies: [a]", "  - ", "&x", "*x", "<<: *x", "!!python/name:os.system", "!custom x", "[", "]", "{", "}",
    "'", '"', ":", "- ", "    ", "\t", "---", "...", "? key", "%YAML 1.2", "schedule_interval: null",
    "retry_delay: 5q", "enabled: maybe", "x: !!binary aGVsbG8=", "a: &a [*a]",
]), max_size=12)


@pytest.mark.slow
@FUZZ
@given(lines=yaml_fragments)
def test_yaml_shaped_garbage_builds_or_fails_with_a_location(lines, dop_plugin_manager):
    check_project_with("\n".join(lines) + "\n")


# -- SQL templates: `dop validate` and `dop compile` of mutated templates (and configs) -----------------

TEMPLATES = {
    "orders": "SELECT DATE '{{ ds }}' AS d, {{ params.params.n }} AS n, '{{ task['schema'] }}' AS s\n"
              "{% if is_incremental() %}WHERE {{ params.n }} > 0{% endif %}\n",
    "check": "SELECT COUNT(*) > 0 AS success,\n  'rows for {{ ds }} in {{ params.task.schema }}' AS description\n"
             "FROM retail.orders\n",
    "wait": "SELECT true AS success, '{{ yesterday_ds }}' AS description\n",
    "udf": "IF(TRIM(x) = '', NULL, x)\n",
}
template_fragments = st.sampled_from([
    "{{", "}}", "{%", "%}", "{#", "#}", "{{ nope }}", "{{ params.nope }}", "{{ params.task.nope }}",
    "{{ task.nope }}", "{{ ''.__class__ }}", "{{ 1/0 }}", "{{ 'x' * 10**9 }}", "{{ 9 ** 99999 }}",
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "{% endfor %}",
    "{% if is_incremental() %}", "{% endif %}", "{% include 'sql/nope.sql' %}", "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
    "{{ task['schema'] }}", "{{ params.params.n }}", "{{ execution_date }}", "{{ var.value.x }}", "'", '"', "`",
    "(", ")", ",", ";", "SELECT", "FROM", "WHERE", "GROUP BY", "UNION ALL", "--", "/*", "\n", "\udcff",
])


@st.composite
def mutated_templates(draw):
    templates = dict(TEMPLATES)
    for _ in range(draw(st.integers(1, 4))):
        name = draw(st.sampled_from(sorted(templates)))
        text = templates[name]
        at = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            piece = draw(st.one_of(template_fragments, st.text(max_size=6)))
            text = text[:at] + piece + text[at:]
        else:
            text = text[:at] + text[at + draw(st.integers(1, 12)):]
        templates[name] = text
    return templates


LOCATED = re.compile(r"^(?P<path>\S.*?):(?P<line>\d+):(?P<column>\d+): (?:error|warning): ")


def assert_errors_located(output: str, root: pathlib.Path) -> None:
    assert "Traceback" not in output, output
    for line in output.splitlines():
        if ": error: " in line or ": warning: " in line or line.startswith("error: "):
            m = LOCATED.match(line)
            assert m, f"an error without file:line:col: {line}"
            assert m["path"].startswith(str(root)) and int(m["line"]) >= 1 and int(m["column"]) >= 1, line


def run_cli(*args: str):
    from click.testing import CliRunner

    from dop_core.cli.main import main

    result = CliRunner().invoke(main, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a traceback the user would have seen
    return result


@pytest.mark.slow
@FUZZ
@given(templates=mutated_templates(), config=st.one_of(st.just(VALID), mutated_configs()))
def test_mutated_templates_validate_and_compile_with_located_errors(templates, config, dop_plugin_manager,
                                                                  monkeypatch):
    monkeypatch.setenv("DOP_RENDER_TIME_LIMIT", "0.5")
    with fuzz_project(json.dumps(config, indent=2), templates) as root:
        validated = run_cli("validate", "--project", str(root))
        assert_errors_located(validated.output, root)
        compiled = run_cli("compile", "fuzzed", "--date", "2024-06-01", "--project", str(root))
        assert compiled.exit_code in (0, 1)
        if compiled.exit_code:
            assert_errors_located(compiled.output, root)
