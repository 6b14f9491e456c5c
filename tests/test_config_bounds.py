"""Airflow settings out of Airflow's range are config errors: `dop validate` names the file, line and column of
the value, what was expected and a fix (never a traceback, never OK); ``dop schema`` states the same bounds.

Measured on Airflow 3.3.2 before these checks: ``retries: -1`` or ``10**12`` (a 32-bit column), ``execution_timeout:
0s`` (Airflow skips a falsy timeout: no timeout at all), ``retry_delay: 0s``, ``pool: 'bad pool!'``, ``owner: ''``,
``max_active_runs: 0`` all passed `dop validate`; ``schedule_interval: '@continuous'`` with the default
max_active_runs (5) passed it too, and Airflow refused the DAG when it was built.
"""

from __future__ import annotations

import datetime as dt
import pathlib
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from dop_core.config.yaml import load_yaml
from dop_core.contract import registry as plugins
from dop_core.schema.documents import dag_schema, project_schema
from dop_core.testing import run_dop
from dop_core.validate.project import validate_project

#: a DAG whose DAG-level key, task key or trigger option is written where {dag}, {task} or {trigger} stands
CONFIG = """\
schema: bounds
{dag}
tasks:
  - identifier: a
    kind: {{action: materialization, target: schema}}
    {task}
triggers:
  - kind: sql
    options:
      sql: select true
      {trigger}
"""
DURATION = "a duration from 1s to 366d"
DURATION_FROM_0 = "a duration from 0s to 366d"
INT_FROM_0, INT_FROM_1 = "a whole number from 0 to 2147483647", "a whole number from 1 to 2147483647"
POOL, OWNER = "an Airflow pool name", "a name on one line, not blank"

#: (where, key, value as written, the message, what was expected, the fix)
BAD = [
    ("task", "retries", "-1", "-1 is less than 0", INT_FROM_0, "write 0 for no retry"),
    ("task", "retries", "1000000000000", "is more than 2147483647, Airflow's largest", INT_FROM_0, "write 0"),
    ("task", "retries", "2147483648", "is more than 2147483647", INT_FROM_0, "write 0"),
    ("task", "retries", "true", "true is not a whole number", INT_FROM_0, "write 0"),
    ("task", "retries", "1.5", "1.5 is not a whole number", INT_FROM_0, "write 0"),
    ("task", "execution_timeout", "0s", "'0s' is zero, shorter than 1s", DURATION, "leave the key out for no timeout"),
    ("task", "execution_timeout", "0", "0 is zero, shorter than 1s", DURATION, "write e.g. 1h"),
    ("task", "execution_timeout", "400d", "'400d' is longer than 366d", DURATION, "write e.g. 1h"),
    ("task", "execution_timeout", "{days: 367}", "a mapping is longer than 366d", DURATION, "write e.g. 1h"),
    ("task", "retry_delay", "0s", "'0s' is zero", DURATION, "write e.g. 5m"),
    ("task", "retry_delay", "-5m", "'-5m' is negative", DURATION, "write e.g. 5m"),
    ("task", "retry_delay", "-300", "-300 is negative", DURATION, "write e.g. 5m"),
    ("task", "retry_delay", "500ms", "'500ms' is shorter than 1s", DURATION, "write e.g. 5m"),
    ("task", "retry_delay", "5 minutes", "'5 minutes' is not a duration", DURATION, "write e.g. 5m"),
    ("task", "retry_delay", "99999999999d", "is longer than any duration can be (999999999 days)", DURATION, "5m"),
    ("task", "retry_delay", "100000000000000000000", "is longer than any duration can be", DURATION, "write e.g. 5m"),
    ("task", "retry_delay", ".inf", "is longer than any duration can be", DURATION, "write e.g. 5m"),
    ("task", "retry_delay", ".nan", "nan is not a duration", DURATION, "write e.g. 5m"),
    ("task", "pool", "'bad pool!'", "'bad pool!' is not an Airflow pool name", POOL, "created in Airflow"),
    ("task", "pool", "''", "'' is not an Airflow pool name (it is empty)", POOL, "created in Airflow"),
    ("task", "pool", "a/b", "'a/b' is not an Airflow pool name", POOL, "created in Airflow"),
    ("task", "pool", "p" * 257, "is not an Airflow pool name", "(at most 256)", "created in Airflow"),
    ("task", "owner", "''", "'' is not an owner Airflow can show (it is empty)", OWNER, "leave the key out"),
    ("task", "owner", "'   '", "is not an owner Airflow can show (it is empty)", OWNER, "e.g. data-team"),
    ("task", "owner", "o" * 501, "is not an owner Airflow can show", "at most 500 characters", "e.g. data-team"),
    ("task", "owner", '"two\\nlines"', "is not an owner Airflow can show", "on one line", "e.g. data-team"),
    ("dag", "retries", "-1", "-1 is less than 0", INT_FROM_0, "write 0 for no retry"),
    ("dag", "retries", "1000000000000", "is more than 2147483647", INT_FROM_0, "write 0 for no retry"),
    ("dag", "retry_delay", "0s", "'0s' is zero", DURATION, "write e.g. 5m"),
    ("dag", "retry_delay", "-5m", "'-5m' is negative", DURATION, "write e.g. 5m"),
    ("dag", "max_active_runs", "0", "0 is less than 1", INT_FROM_1, "write 1 for one run at a time"),
    ("dag", "max_active_runs", "-1", "-1 is less than 1", INT_FROM_1, "write 1 for one run at a time"),
    ("dag", "max_active_runs", "4294967296", "is more than 2147483647", INT_FROM_1, "write 1"),
    ("dag", "max_active_tasks", "0", "0 is less than 1", INT_FROM_1, "write 1 for one task at a time"),
    ("dag", "max_active_tasks", "-1", "-1 is less than 1", INT_FROM_1, "write 1 for one task at a time"),
    ("dag", "dagrun_timeout", "0s", "'0s' is zero", DURATION, "leave the key out for no timeout"),
    ("dag", "dagrun_timeout", "-1h", "'-1h' is negative", DURATION, "write e.g. 6h"),
    ("dag", "dagrun_timeout", "99999999999d", "is longer than any duration can be", DURATION, "write e.g. 6h"),
    ("dag", "owner", "''", "(it is empty)", OWNER, "e.g. data-team"),
    ("trigger", "poke_interval", "0s", "'0s' is zero", DURATION, "write e.g. 30s"),
    ("trigger", "poke_interval", "-30s", "is negative", DURATION, "write e.g. 30s"),
    ("trigger", "poke_interval", "999999d", "'999999d' is longer than 366d", DURATION, "write e.g. 30s"),
    ("trigger", "timeout", "0s", "'0s' is zero", DURATION, "write e.g. 6h"),
    ("trigger", "timeout", "99999999999d", "is longer than any duration can be", DURATION, "write e.g. 6h"),
]
#: values on the edge of each range, which pass
GOOD = [
    ("task", "retries", "0"), ("task", "retries", "2147483647"), ("task", "execution_timeout", "1s"),
    ("task", "execution_timeout", "366d"), ("task", "retry_delay", "1.5h"), ("task", "retry_delay", "1"),
    ("task", "retry_delay", "{minutes: 5}"), ("task", "pool", "dop_dbt__retail__jaffle-shop.v2"),
    ("task", "pool", "p" * 256), ("task", "owner", "data-team, platform"), ("task", "owner", "o" * 500),
    ("dag", "retries", "0"), ("dag", "retry_delay", "1s"), ("dag", "max_active_runs", "1"),
    ("dag", "max_active_tasks", "1"), ("dag", "dagrun_timeout", "1s"), ("dag", "owner", "Jane Doe"),
    ("dag", "schedule_interval: '@continuous'\nmax_active_runs", "1"), ("dag", "schedule_interval", "'@continuous'"),
    ("trigger", "poke_interval", "1s"), ("trigger", "timeout", "366d"),
]


def config_text(where: str, key: str, value: str) -> str:
    line = f"{key}: {value}"
    return CONFIG.format(**{w: line if w == where else "" for w in ("dag", "task", "trigger")})


def write_project(root: pathlib.Path, config: str) -> pathlib.Path:
    """A project of one DAG, `bounds`, with ``config`` as its config.yaml; the config file's path."""
    (root / "dop_project.yml").write_text("name: bounds\n")
    path = root / "orchestration" / "bounds" / "config.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(config)
    return path


def place(config: str, key: str, value: str) -> tuple[int, int]:
    """(line, column) of ``value`` written after ``key:`` in ``config``."""
    for number, line in enumerate(config.splitlines(), 1):
        if line.strip().startswith(f"{key}: {value}"):
            return number, line.index(f"{key}: ") + len(key) + 3
    raise AssertionError(f"{key}: {value} not in\n{config}")


def only_problem(root: pathlib.Path, config: str) -> tuple[Any, tuple[str, int, int]]:
    """The one problem of a project of one DAG with ``config``, and its (file, line, column)."""
    write_project(root, config)
    (problem,) = validate_project(root).problems
    return problem, (problem.location.path, problem.location.line, problem.location.column)


def schema_errors(config: str) -> list[str]:
    _, registry = plugins.builtins_only()
    data = load_yaml(config, "config.yaml").data
    return [e.message for e in Draft202012Validator(dag_schema(registry)).iter_errors(data)]


@pytest.mark.parametrize(("where", "key", "value", "message", "expected", "fix"), BAD,
                         ids=[f"{w}-{k}-{v[:20]}" for w, k, v, *_ in BAD])
def test_an_out_of_range_value_is_an_error_at_its_place(tmp_path, dop_plugin_manager, where, key, value, message,
                                                         expected, fix):
    config = config_text(where, key, value)
    path = write_project(tmp_path, config)
    report = validate_project(tmp_path)
    errors = [p for p in report.problems if p.severity == "error"]
    assert len(errors) == 1, "\n".join(map(str, report.problems))
    (problem,) = errors
    assert (problem.location.path, (problem.location.line, problem.location.column)) == (
        str(path), place(config, key, value))
    assert message in problem.message
    assert expected in (problem.expected or "")
    assert fix in (problem.fix or "")
    assert "Error" not in str(problem) and "None" not in str(problem)


@pytest.mark.parametrize(("where", "key", "value"), GOOD, ids=[f"{w}-{k[-16:]}-{v[:20]}" for w, k, v in GOOD])
def test_a_value_on_the_edge_of_its_range_passes(tmp_path, dop_plugin_manager, where, key, value):
    config = config_text(where, key, value)
    write_project(tmp_path, config)
    report = validate_project(tmp_path)
    assert [p for p in report.problems if p.severity == "error"] == []
    assert schema_errors(config) == []


#: what no JSON schema can see: a text longer than a bound (its pattern knows no lengths of time), and
#: what Python cannot even hold
BEYOND_THE_SCHEMA = {"400d", "5 minutes", "99999999999d", "999999d", "500ms", "{days: 367}", ".nan", ".inf"}


@pytest.mark.parametrize(("where", "key", "value"), [(w, k, v) for w, k, v, *_ in BAD if v not in BEYOND_THE_SCHEMA],
                         ids=[f"{w}-{k}-{v[:20]}" for w, k, v, *_ in BAD if v not in BEYOND_THE_SCHEMA])
def test_the_schema_refuses_it_too(where, key, value):
    assert schema_errors(config_text(where, key, value)) != []


def test_a_continuous_schedule_takes_one_run_at_a_time(tmp_path, dop_plugin_manager):
    config = config_text("dag", "schedule_interval: '@continuous'\nmax_active_runs", "2")
    problem, where = only_problem(tmp_path, config)
    assert where == (str(tmp_path / "orchestration" / "bounds" / "config.yaml"), 3, 18)
    assert problem.message == "a continuous schedule runs one run at a time; max_active_runs is 2"
    assert problem.fix == "write max_active_runs: 1, or leave it out"


def test_a_continuous_schedule_builds_with_one_run_at_a_time(tmp_path, dop_plugin_manager):
    from dop_core.build.dags import build_dag
    from dop_core.config.project import load_project
    from dop_core.validate.dag import validate_dag

    path = write_project(tmp_path, config_text("dag", "schedule_interval", "'@continuous'"))
    project = load_project(tmp_path)
    dag = build_dag(validate_dag(project, path.parent), project, project.target())
    assert (dag.max_active_runs, dag.description) == (1, None)


def test_a_blank_tag_is_an_error_at_the_tag(tmp_path, dop_plugin_manager):
    path = write_project(tmp_path, config_text("dag", "tags", "[finance, ' ']"))
    (problem,) = validate_project(tmp_path).problems
    assert (problem.location.path, problem.location.line, problem.location.column) == (str(path), 2, 17)
    assert (problem.message, problem.fix) == ("the tag is blank", "write a word, e.g. finance, or remove it")
    assert schema_errors(config_text("dag", "tags", "[finance, ' ']")) != []


@pytest.mark.slow
@pytest.mark.parametrize(("where", "key", "value", "message", "expected", "fix"), [
    row for row in BAD if (row[1], row[2]) in {("retries", "-1"), ("execution_timeout", "0s"), ("pool", "'bad pool!'"),
                                               ("retry_delay", "99999999999d"), ("max_active_runs", "0")}])
def test_dop_validate_shows_the_error_and_exits_1(tmp_path, where, key, value, message, expected, fix):
    config = config_text(where, key, value)
    path = write_project(tmp_path, config)
    result = run_dop("validate", "--project", str(tmp_path))
    line, column = place(config, key, value)
    shown = result.stdout + result.stderr
    assert result.returncode == 1, shown
    (error,) = [row for row in shown.splitlines() if ": error: " in row]
    assert error.startswith(f"{path}:{line}:{column}: error: ") and message in error, shown
    assert f"    expected: {expected}" in shown
    assert "    fix: " in shown and fix in shown
    assert "Traceback" not in shown


#: (engine, option, value as written, the message, what was expected, the fix) of the core engines' targets
TARGET_BAD = [
    ("duckdb", "threads", "0", "0 is less than 1", "a whole number from 1 to 1024", "leave the key out for all cores"),
    ("duckdb", "threads", "-2", "-2 is less than 1", "a whole number from 1 to 1024", "write e.g. 4"),
    ("duckdb", "threads", "100000", "100000 is more than 1024", "a whole number from 1 to 1024", "write e.g. 4"),
    ("duckdb", "lock_timeout", "-1", "-1 is less than 0", "a number of seconds from 0 to 31622400 (366d)",
     "or 0 not to wait"),
    ("bigquery", "retries", "-1", "-1 is less than 0", "a whole number from 0 to 100", "write 0 for no retry"),
    ("bigquery", "retries", "1000000", "1000000 is more than 100", "a whole number from 0 to 100", "write 0"),
    ("bigquery", "job_timeout", "0", "0 is less than 1", "a number of seconds from 1 to 31622400 (366d)",
     "write e.g. 3600"),
    ("bigquery", "job_timeout", "-60", "-60 is less than 1", "a number of seconds from 1", "write e.g. 3600"),
    ("bigquery", "request_timeout", "0", "0 is less than 1", "a number of seconds from 1 to 3600 (1h)",
     "write e.g. 10"),
    ("bigquery", "request_timeout", "1e9", "is more than 3600", "a number of seconds from 1 to 3600", "write e.g. 10"),
]
TARGET_GOOD = [("duckdb", "threads", "1"), ("duckdb", "threads", "1024"), ("duckdb", "lock_timeout", "0"),
               ("bigquery", "retries", "0"), ("bigquery", "retries", "100"), ("bigquery", "job_timeout", "1"),
               ("bigquery", "request_timeout", "0.5e1"), ("bigquery", "request_timeout", "3600")]


def target_project(root: pathlib.Path, engine: str, option: str, value: str) -> tuple[pathlib.Path, str]:
    """A project whose target `t` (the chosen one) is ``{engine: <engine>, <option>: <value>}``: its
    dop_project.yml and the target's line."""
    line = f"  t: {{engine: {engine}, {option}: {value}}}"
    path = write_project(root, "schema: s\ntasks:\n  - identifier: a\n    kind: {action: materialization, "
                         "target: schema}\n").parents[2] / "dop_project.yml"
    path.write_text(f"name: bounds\ndefault_target: t\ntargets:\n{line}\n")
    return path, line


@pytest.mark.parametrize(("engine", "option", "value", "message", "expected", "fix"), TARGET_BAD,
                         ids=[f"{e}-{o}-{v}" for e, o, v, *_ in TARGET_BAD])
def test_an_engine_option_out_of_range_is_an_error_at_its_value(tmp_path, dop_plugin_manager, engine, option, value,
                                                                 message, expected, fix):
    path, line = target_project(tmp_path, engine, option, value)
    (problem,) = validate_project(tmp_path).problems
    assert (problem.location.path, problem.location.line, problem.location.column) == (
        str(path), 4, line.index(f"{option}: ") + len(option) + 3)
    assert message in problem.message and expected in (problem.expected or "") and fix in (problem.fix or "")
    data = load_yaml(path.read_text(), "dop_project.yml").data
    schema = project_schema(plugins.builtins_only()[1])
    assert list(Draft202012Validator(schema).iter_errors(data)) != []


@pytest.mark.parametrize(("engine", "option", "value"), TARGET_GOOD, ids=[f"{e}-{o}-{v}" for e, o, v in TARGET_GOOD])
def test_an_engine_option_on_the_edge_of_its_range_passes(tmp_path, dop_plugin_manager, engine, option, value):
    path, _ = target_project(tmp_path, engine, option, value)
    assert validate_project(tmp_path).problems == []
    data = load_yaml(path.read_text(), "dop_project.yml").data
    assert list(Draft202012Validator(project_schema(plugins.builtins_only()[1])).iter_errors(data)) == []


OPERATOR = """\
tasks:
  - identifier: noop
    kind: {{action: airflow_operator, target: airflow.providers.standard.operators.empty.EmptyOperator}}
{task}    options:
      arguments:
        {argument}
"""
OPERATOR_BAD = [
    ("retries", "-1", "-1 is less than 0", INT_FROM_0, "write 0 for no retry"),
    ("retries", "1000000000000", "is more than 2147483647", INT_FROM_0, "write 0 for no retry"),
    ("execution_timeout", "0s", "'0s' is zero, shorter than 1s", DURATION, "leave the key out for no timeout"),
    ("retry_delay", "-5m", "'-5m' is negative", DURATION, "write e.g. 5m"),
    ("pool", "'bad pool!'", "'bad pool!' is not an Airflow pool name", POOL, "Admin > Pools"),
    ("owner", "''", "'' is not an owner Airflow can show", OWNER, "data-team"),
]


@pytest.mark.parametrize(("key", "value", "message", "expected", "fix"), OPERATOR_BAD,
                         ids=[f"{k}-{v}" for k, v, *_ in OPERATOR_BAD])
def test_an_operators_argument_is_held_to_the_bounds_of_its_task_key(tmp_path, dop_plugin_manager, key, value,
                                                                     message, expected, fix):
    """`options.arguments` of an airflow_operator task reach BaseOperator: `retries: -1` there is the same mistake
    as on the task (the original DOP's configs set them there: they are checked, not refused)."""
    config = OPERATOR.format(task="", argument=f"{key}: {value}")
    problem, (path, *line_column) = only_problem(tmp_path, config)
    assert path.endswith("/bounds/config.yaml") and tuple(line_column) == place(config, key, value)
    assert message in problem.message and expected in (problem.expected or "") and fix in (problem.fix or "")


def test_an_operators_argument_set_on_the_task_too_is_an_error(tmp_path, dop_plugin_manager):
    problem, where = only_problem(tmp_path, OPERATOR.format(task="    retries: 2\n", argument="retries: 3"))
    assert where == (str(tmp_path / "orchestration" / "bounds" / "config.yaml"), 7, 18)
    assert problem.message == "retries is set both on the task and in options.arguments"
    assert problem.fix == "keep the task's `retries:` and remove it from options.arguments"


def test_an_operators_arguments_within_bounds_build(tmp_path, dop_plugin_manager):
    config = OPERATOR.format(task="", argument="{retries: 0, retry_delay: 1s, execution_timeout: 1h, pool: "
                             "warehouse, owner: data-team}")
    write_project(tmp_path, config)
    assert validate_project(tmp_path).problems == []
    from dop_core import build_dags

    task = build_dags(tmp_path)["dop__bounds"].get_task("noop")
    assert (task.retries, task.retry_delay, task.execution_timeout, task.pool, task.owner) == (
        0, dt.timedelta(seconds=1), dt.timedelta(hours=1), "warehouse", "data-team")
