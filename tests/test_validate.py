"""A corpus of broken configs: each fails validation with the right file, line, column and message."""

from __future__ import annotations

import pathlib
import shutil

import pytest

from dop_core.check.project import check_project
from dop_core.testing import clean_env, run_dop
from dop_core.validate.project import validate_project

CORPUS = pathlib.Path(__file__).parent / "corpus"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "config.yaml").is_file())


def expectation(case: str) -> tuple[str, int, int, list[str]]:
    """(file, line, column, texts) of ``# expect: [FILE:]LINE:COL text | text`` (FILE: config.yaml, or
    a file of the DAG folder such as sql/orders.sql)."""
    first = (CORPUS / case / "config.yaml").read_text().splitlines()[0]
    assert first.startswith("# expect: "), f"{case}: first line must be '# expect: [FILE:]LINE:COL text | text'"
    where, _, texts = first.removeprefix("# expect: ").partition(" ")
    *file, line, col = where.split(":")
    return (file[0] if file else "config.yaml"), int(line), int(col), [t.strip() for t in texts.split("|")]


def project_with(tmp_path: pathlib.Path, *cases: str) -> pathlib.Path:
    root = tmp_path / "project"
    (root / "orchestration").mkdir(parents=True)
    (root / "dop_project.yml").write_text("name: corpus\n")
    for case in cases:
        shutil.copytree(CORPUS / case, root / "orchestration" / case)
    return root


def project_with_dag(tmp_path: pathlib.Path, name: str, config: str, sql: dict[str, str] | None = None
                     ) -> tuple[pathlib.Path, pathlib.Path]:
    """A project of one DAG folder ``name`` (its config.yaml, and sql/<task>.sql files): its root and the folder."""
    root = project_with(tmp_path)
    folder = root / "orchestration" / name
    (folder / "sql").mkdir(parents=True)
    (folder / "config.yaml").write_text(config)
    for task, text in (sql or {}).items():
        (folder / "sql" / f"{task}.sql").write_text(text)
    return root, folder


@pytest.mark.parametrize("case", CASES)
def test_broken_config_is_reported_where_it_is(case, tmp_path, dop_plugin_manager):
    file, line, col, texts = expectation(case)
    report = check_project(project_with(tmp_path, case))  # what `dop validate` reports
    assert not report.ok
    where = report.project.orchestration_dir / case / file
    errors = [p for p in report.problems if p.severity == "error"]
    assert errors, report.problems
    shown = "\n".join(str(p) for p in errors)
    matching = [p for p in errors if (p.location.line, p.location.column) == (line, col)]
    assert matching, f"no error at {line}:{col}:\n{shown}"
    assert all(p.location.path == str(where) for p in errors), shown
    for text in texts:
        assert text in str(matching[0]), f"{text!r} not in:\n{matching[0]}"


def test_every_problem_says_what_was_expected_or_how_to_fix_it(tmp_path, dop_plugin_manager):
    report = check_project(project_with(tmp_path, *CASES))
    for problem in report.problems:
        assert problem.expected or problem.fix, f"unhelpful error: {problem}"


@pytest.mark.slow
def test_dop_validate_prints_every_problem_and_exits_1(tmp_path):
    root = project_with(tmp_path, "cycle", "bad_cron", "missing_sql")
    (root / "orchestration" / "good").mkdir()
    (root / "orchestration" / "good" / "config.yaml").write_text(
        "schema: retail\ntasks:\n  - identifier: s\n    kind: {action: materialization, target: schema}\n")
    result = run_dop("validate", "--project", str(root))
    assert result.returncode == 1, result.stdout + result.stderr
    for case in ("cycle", "bad_cron", "missing_sql"):
        _, line, col, _ = expectation(case)
        assert f"orchestration/{case}/config.yaml:{line}:{col}: error:" in result.stderr
    assert "3 error(s)" in result.stderr

    shutil.rmtree(root / "orchestration" / "cycle")
    shutil.rmtree(root / "orchestration" / "bad_cron")
    shutil.rmtree(root / "orchestration" / "missing_sql")
    ok = run_dop("validate", cwd=root / "orchestration" / "good")  # found upward from a sub-folder
    assert ok.returncode == 0, ok.stderr
    assert "OK: 1 DAG(s) valid" in ok.stdout


def test_strict_mode_fails_on_warnings(tmp_path, dop_plugin_manager):
    from click.testing import CliRunner

    from dop_core.cli.main import main

    root = project_with(tmp_path)
    folder = root / "orchestration" / "old_paths"
    folder.mkdir()
    (folder / "config.yaml").write_text(
        "tasks:\n  - identifier: noop\n    kind: {action: airflow_operator, "
        "target: airflow.operators.dummy_operator.DummyOperator}\n")
    lenient = CliRunner().invoke(main, ["validate", "--project", str(root)])
    assert lenient.exit_code == 0
    assert "config.yaml:3:46: warning: 'airflow.operators.dummy_operator.DummyOperator' is an Airflow 1/2 path" \
        in lenient.output
    assert "airflow.providers.standard.operators.empty.EmptyOperator" in lenient.output
    strict = CliRunner().invoke(main, ["validate", "--strict", "--project", str(root)])
    assert strict.exit_code == 1


def test_project_file_errors_have_locations(tmp_path, dop_plugin_manager):
    root = tmp_path / "p"
    root.mkdir()
    (root / "dop_project.yml").write_text("name: p\ndialect: bigqeury\ntargets:\n  local: {engine: duckdb, pth: x}\n")
    report = validate_project(root)
    shown = "\n".join(str(p) for p in report.problems)
    assert "dop_project.yml:2:10: error: 'bigqeury' is not one of" in shown
    assert "did you mean 'bigquery'?" in shown


def test_unknown_engine_and_target_options(tmp_path, dop_plugin_manager):
    root = tmp_path / "p"
    root.mkdir()
    (root / "dop_project.yml").write_text(
        "name: p\ntargets:\n  local: {engine: duckdb, pth: x}\n  pg: {engine: postgres, dsn: x}\n")
    report = validate_project(root)
    shown = "\n".join(str(p) for p in report.problems)
    assert "dop_project.yml:3:27: error: unknown key 'pth'" in shown
    assert "did you mean 'path'?" in shown
    assert "dop_project.yml:4:16: error: engine 'postgres' is provided by the dop-postgres plugin" in shown


@pytest.mark.parametrize(("targets", "where", "message"), [
    ('{local: {engine: duckdb, path: ""}}', "2:41", "the warehouse path is empty"),
    ("{local: {engine: duckdb, path: ./}}", "2:41", "the warehouse path './' is a folder"),
    ("[]", "2:10", "a list is not a mapping"),
])
def test_unusable_targets_are_errors_not_tracebacks(targets, where, message, tmp_path):
    root = tmp_path / "p"
    root.mkdir()
    (root / "dop_project.yml").write_text(f"name: p\ntargets: {targets}\n")
    result = run_dop("validate", "--project", str(root))
    assert result.returncode == 1
    assert f"dop_project.yml:{where}: error: {message}" in result.stderr
    assert "Traceback" not in result.stderr and "None" not in result.stderr


def in_a_new_process(script: str, root: pathlib.Path, tmp_path: pathlib.Path, **env: str) -> dict:
    """What ``script`` prints last (JSON), run on ``root`` in a new Python process whose user cache is under
    ``tmp_path`` and whose working folder (on ``sys.path``, whose folders' times key what DOP caches of what is
    installed) never changes; ``env`` adds variables."""
    import json
    import subprocess
    import sys

    (tmp_path / "cwd").mkdir(exist_ok=True)
    env = {**clean_env(), "XDG_CACHE_HOME": str(tmp_path / "c"),
           **env}
    out = subprocess.run([sys.executable, "-c", script, str(root)], env=env, capture_output=True, text=True,
                         check=True, cwd=tmp_path / "cwd")
    return json.loads(out.stdout.strip().splitlines()[-1])


OPERATOR_CHECK = """\
import json, sys
from dop_core.validate.project import validate_project
report = validate_project(sys.argv[1])
print(json.dumps({"problems": [str(p) for p in report.problems], "airflow": "airflow" in sys.modules}))
"""


def test_what_the_operator_check_learnt_is_cached_and_airflow_not_imported_again(tmp_path):
    root = project_with(tmp_path)
    folder = root / "orchestration" / "ops"
    folder.mkdir()
    (folder / "config.yaml").write_text(
        "tasks:\n"
        "  - identifier: hello\n"
        "    kind: {action: airflow_operator, target: airflow.providers.standard.operators.bash.BashOperator}\n"
        "    options: {arguments: {bash_command: echo hello}}\n"
        "  - identifier: missing\n"
        "    kind: {action: airflow_operator, target: airflow.providers.standard.operators.bash.NoSuchOperator}\n")

    def validate() -> dict:
        return in_a_new_process(OPERATOR_CHECK, root, tmp_path)

    first = validate()
    assert first["airflow"] is True
    assert any("cannot import operator 'airflow.providers.standard.operators.bash.NoSuchOperator'" in p
               for p in first["problems"])
    (folder / "config.yaml").write_text("\n".join((folder / "config.yaml").read_text().splitlines()[:4]) + "\n")
    second = validate()  # only the operator found before: nothing to import
    assert second == {"problems": [], "airflow": False}


def _written_a_while_ago(folder: pathlib.Path) -> None:
    """Date ``folder``'s files 10 s back: dop validate does not keep a DAG whose files changed in the last
    seconds (an edit within the file system's time resolution could keep a file's time and size)."""
    import os
    import time

    then = time.time() - 10
    for path in folder.rglob("*"):
        os.utime(path, (then, then))


PROJECT_CHECK = """\
import json, sys
from dop_core.check.project import check_project
report = check_project(sys.argv[1])
print(json.dumps({"problems": [str(p) for p in report.problems], "airflow": "airflow" in sys.modules,
                  "sqlglot": "sqlglot" in sys.modules}))
"""


def test_what_the_sql_check_found_is_kept_until_an_input_changes(tmp_path):
    """A second `dop validate` of an unchanged project reports the same problems without validating or building
    the DAGs (no Airflow, no SQL parser); an edited SQL file is checked again, even one whose size did not
    change, and a DAG whose trigger waits for an edited DAG is validated again."""
    root, folder = project_with_dag(tmp_path, "shop", (
        "schema: shop\ntasks:\n"
        "  - identifier: orders\n    kind: {action: materialization, target: table}\n"
        "  - identifier: empty\n    kind: {action: materialization, target: view}\n"
        "  - identifier: hello\n"
        "    kind: {action: airflow_operator, target: airflow.providers.standard.operators.bash.BashOperator}\n"
        "    options: {arguments: {bash_command: echo hello}}\n"),
        sql={"orders": "SELECT 1 AS id\nFROM (SELECT 1) t WHERE\n", "empty": ""})
    reports = root / "orchestration" / "reports"
    (reports / "sql").mkdir(parents=True)
    (reports / "config.yaml").write_text(
        "schema: shop\ntriggers:\n  - kind: external_task\n    options: {dag: shop, task: orders}\n"
        "tasks:\n  - identifier: report\n    kind: {action: materialization, target: view}\n")
    (reports / "sql" / "report.sql").write_text("SELECT 1 AS x\n")
    _written_a_while_ago(root)

    def validate() -> dict:
        return in_a_new_process(PROJECT_CHECK, root, tmp_path)

    first = validate()
    assert first["airflow"] and first["sqlglot"]
    sql = str(folder / "sql")
    assert any(p.startswith(f"{sql}/orders.sql:2:19: error: the SQL does not parse") for p in first["problems"]), first
    assert any(p.startswith(f"{sql}/empty.sql:1:1: warning: the SQL file of task 'empty'") for p in first["problems"])
    second = validate()
    assert second == {**first, "airflow": False, "sqlglot": False}

    (folder / "sql" / "orders.sql").write_text("SELECT 1 AS id\nFROM (SELECT 1) AS t_on\n")  # fixed, the same size
    third = validate()
    assert not any("orders.sql" in p for p in third["problems"]), third
    assert any(p.startswith(f"{sql}/empty.sql:1:1: warning:") for p in third["problems"])

    (folder / "config.yaml").write_text((folder / "config.yaml").read_text().replace("orders", "order2"))
    (folder / "sql" / "orders.sql").rename(folder / "sql" / "order2.sql")
    fourth = validate()
    assert any(p.startswith(f"{reports}/config.yaml:4:") and "has no task 'orders'" in p
               for p in fourth["problems"]), fourth


def test_an_operator_of_the_projects_own_code_is_checked_again_when_edited(tmp_path):
    root, folder = project_with_dag(tmp_path, "ops", "tasks:\n  - identifier: hello\n    kind: {action: "
                                    "airflow_operator, target: my_ops.Greet}\n    options: {arguments: {greeting: hi}}\n")
    code = tmp_path / "code"
    code.mkdir()
    operator = ("from airflow.sdk import BaseOperator\n\n\nclass Greet(BaseOperator):\n"
                "    def __init__(self, {arg}, **kwargs):\n        super().__init__(**kwargs)\n")
    (code / "my_ops.py").write_text(operator.format(arg="greeting"))
    _written_a_while_ago(root)

    def validate() -> dict:
        return in_a_new_process(PROJECT_CHECK, root, tmp_path, PYTHONPATH=str(code))

    assert validate()["problems"] == []
    assert validate() == {"problems": [], "airflow": False, "sqlglot": False}
    (code / "my_ops.py").write_text(operator.format(arg="name"))  # edited in place: its folder's time stays
    problems = validate()["problems"]
    assert any(p.startswith(f"{folder}/config.yaml:4:14: error: task 'hello' cannot be built: TypeError")
               for p in problems), problems


BASH = "airflow.providers.standard.operators.bash.BashOperator"


def test_a_dag_whose_operators_were_checked_before_is_checked_without_importing_airflow(tmp_path):
    """With the project's cache gone (a new clone, an edited DAG) but what operator checks learnt kept under the
    key of what is installed, `dop validate` checks a DAG of native SQL and airflow_operator tasks and triggers
    without building it: Airflow is not imported, and the same problems are found at the same places."""
    root, folder = project_with_dag(tmp_path, "shop", (
        "schema: shop\ntriggers:\n"
        "  - kind: external_task\n    options: {dag: shop, delta: 1d}\n"
        "  - kind: sql\n    options: {sql: 'SELECT true AS ok; SELECT 2'}\n"
        "tasks:\n"
        "  - identifier: orders\n    kind: {action: materialization, target: table}\n"
        "  - identifier: totals\n    kind: {action: materialization, target: table}\n"
        "    dependencies: [orders]\n"
        f"  - identifier: hello\n    kind: {{action: airflow_operator, target: {BASH}}}\n"
        "    options: {arguments: {bash_command: echo hello, execution_timeout: 5m}}\n"),
        sql={"orders": "SELECT 1 AS id\nFROM (SELECT 1) t WHERE\n",
             "totals": "SELECT {{ params.nope }} AS n FROM shop.orders\n"})
    _written_a_while_ago(root)
    first = in_a_new_process(PROJECT_CHECK, root, tmp_path)
    assert first["airflow"]
    sql = folder / "sql"
    assert any(p.startswith(f"{sql}/orders.sql:2:19: error: the SQL does not parse") for p in first["problems"]), first
    assert any(p.startswith(f"{sql}/totals.sql:1:18: error: undefined name in the template: params.nope")
               for p in first["problems"]), first
    assert any(p.startswith(f"{folder}/config.yaml:6:20: error: options.sql, ") for p in first["problems"]), first

    shutil.rmtree(tmp_path / "c" / "dop" / "parse")  # the project's caches; dop/operators stays
    assert in_a_new_process(PROJECT_CHECK, root, tmp_path) == {**first, "airflow": False}


def test_an_argument_the_operator_refuses_is_found_without_building_the_dag(tmp_path):
    """`dop validate` makes the operator with the task's arguments (as building the DAG would) and reports what
    it refuses at the task's options; a call that failed is made again next time, one that worked is not."""
    root, folder = project_with_dag(tmp_path, "ops", (
        f"tasks:\n  - identifier: hello\n    kind: {{action: airflow_operator, target: {BASH}}}\n"
        "    options: {arguments: {bash_command: echo hello, bash_comand: typo}}\n"
        f"  - identifier: none\n    kind: {{action: airflow_operator, target: {BASH}}}\n"
        "    options: {arguments: {bash_command: echo hello, pool_slots: 0}}\n"))

    def problems() -> list[str]:
        found = in_a_new_process(PROJECT_CHECK, root, tmp_path)
        assert found["airflow"]  # the failing calls are made again: nothing was learnt from them
        return sorted(found["problems"])

    for found in (problems(), problems()):
        assert len(found) == 2, found
        assert found[0].startswith(f"{folder}/config.yaml:4:14: error: task 'hello' cannot be built: TypeError: "
                                   "Invalid arguments were passed to BashOperator"), found
        assert "bash_comand" in found[0]
        assert found[1].startswith(f"{folder}/config.yaml:7:14: error: task 'none' cannot be built: ValueError: "
                                   "pool slots for none in dag dop__ops cannot be less than 1\n"), found


def test_a_plugin_kind_is_built_to_be_checked_unless_its_validation_covers_the_build(tmp_path, register_plugin):
    """A kind's build may refuse what its validation let through: `dop validate` builds the DAG to find it,
    unless the kind says its validation covers the build (``validate_covers_build``), possibly per task."""
    from dop_core import TaskType, hookimpl

    built = []

    def build(task):
        built.append(task.task_id)
        raise RuntimeError("no such greeting")

    class Greetings:
        @hookimpl
        def dop_task_types(self):
            return [TaskType(action="greet", target="built", build=build),
                    TaskType(action="greet", target="covered", build=build, validate_covers_build=True),
                    TaskType(action="greet", target="asked", build=build,
                             validate_covers_build=lambda options, settings: False)]

    register_plugin(Greetings(), name="greetings")
    root, folder = project_with_dag(tmp_path, "hi", "tasks:\n  - identifier: hi\n    kind: {action: greet, target: covered}\n")
    assert check_project(root).problems == [] and built == []
    for target in ("built", "asked"):
        (folder / "config.yaml").write_text(f"tasks:\n  - identifier: hi\n    kind: {{action: greet, target: {target}}}\n")
        problems = [str(p) for p in check_project(root).problems]
        assert problems == [f"{folder}/config.yaml:2:5: error: task 'hi' cannot be built: RuntimeError: no such greeting"
                            f"\n    expected: options that greet/{target} accepts\n    fix: check the option named in "
                            "the message"], problems
    assert built == ["hi", "hi"]


def test_check_both_ways_shows_a_kind_that_claims_too_much(tmp_path, register_plugin):
    """dop_core.testing.check_both_ways: a kind that says its validation covers a build that refuses the task
    is caught (the built check finds the refusal, dop validate does not)."""
    from dop_core import TaskType, hookimpl
    from dop_core.testing import check_both_ways

    def build(task):
        raise RuntimeError("no such greeting")

    class Greetings:
        @hookimpl
        def dop_task_types(self):
            return [TaskType(action="greet", target="covered", build=build, validate_covers_build=True)]

    register_plugin(Greetings(), name="greetings")
    root, folder = project_with_dag(tmp_path, "hi", "tasks:\n  - identifier: hi\n    kind: {action: greet, target: covered}\n")
    found = check_both_ways(root)
    assert found.dags_built == [] and found.unbuilt == []
    assert [p.split("\n")[0] for p in found.built] == [
        f"{folder}/config.yaml:2:5: error: task 'hi' cannot be built: RuntimeError: no such greeting"]


GOOGLE_WAITS = (
    "schema: shop\ntriggers:\n"
    "  - kind: gcs_object\n"
    "    options: {bucket: landing-bucket, object: 'exports/{{ ds }}/*.csv', poke_interval: 30s, deferrable: false}\n"
    "tasks:\n"
    "  - identifier: orders\n    kind: {action: materialization, target: table}\n"
    "    triggers:\n"
    "      - kind: bigquery_table\n"
    "        options: {table: raw.orders, partition: '{{ ds_nodash }}', mode: poke,\n"
    "                  impersonation_chain: [dop@acme-data.iam.gserviceaccount.com]}\n")


@pytest.mark.parametrize(("change", "expected"), [
    ((), ["sql/orders.sql:2:19: error: the SQL does not parse"]),
    (("poke_interval: 30s", "poke_interval: 0s"), ["config.yaml:4:88: error: '0s' is zero, shorter than 1s"]),
    (("mode: poke", "mode: poke, timeout: 1s"), ["config.yaml:10:89: error: timeout (1s) is shorter than "
                                                 "poke_interval (1m)"]),
    (("mode: poke", "mode: wait"), ["config.yaml:10:74: error: 'wait' is not allowed here"]),
])
def test_google_triggers_are_checked_without_building_the_dag(tmp_path, dop_plugin_manager, change, expected):
    """The gcs_object and bigquery_table triggers' validation finds what building their wait tasks would refuse
    (Airflow's sensor refuses a poke_interval or timeout below zero, an unknown mode): `dop validate` reports the
    same problems, at the same places, without building the DAG."""
    from dop_core.testing import check_both_ways

    root, folder = project_with_dag(tmp_path, "shop", GOOGLE_WAITS.replace(*change) if change else GOOGLE_WAITS,
                                    sql={"orders": "SELECT 1 AS id\nFROM (SELECT 1) t WHERE\n"})
    found = check_both_ways(root)
    assert found.dags_built == []
    assert found.unbuilt == found.built
    assert len(found.unbuilt) == len(expected), found.unbuilt
    assert all(p.startswith(f"{folder}/{e}") for p, e in zip(found.unbuilt, expected, strict=True)), found.unbuilt


def test_a_dag_waiting_for_gcs_and_bigquery_is_checked_cold_without_importing_airflow(tmp_path):
    from dop_core.testing import cold_check

    root, _ = project_with_dag(tmp_path, "shop", GOOGLE_WAITS, sql={"orders": "SELECT 1 AS id\n"})
    assert cold_check(root) == ([], False)


def test_a_dag_id_longer_than_airflow_takes_is_found_without_building_the_dag(tmp_path, dop_plugin_manager):
    """Airflow refuses a DAG id of more than 250 characters when the DAG is built; `dop validate`, which need not
    build it, says so at the config, naming the longest folder name that works."""
    name = "f" * 246
    root, folder = project_with_dag(tmp_path, name, "schema: s\ntasks:\n  - identifier: a\n"
                                    "    kind: {action: materialization, target: schema}\n")
    problems = [str(p) for p in check_project(root).problems]
    assert problems == [f"{folder}/config.yaml:1:1: error: the DAG id dop__{'f' * 35}... is 251 characters long, "
                        "more than Airflow's 250\n    expected: a DAG folder name of at most 245 characters\n"
                        "    fix: rename the DAG folder"], problems


INVALID_TASK = "    description: Create the dataset (schema) every other task writes to\n"


def _template_with_invalid_task(tmp_path: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    """The project `dop init` makes, its task create_schema (which two tasks depend on) given `retries: -1`: the
    project's root and the DAG's config.yaml."""
    from dop_core.cli.init import create_project

    root = create_project("proj", tmp_path, no_input=True, with_dbt=False)
    config = root / "orchestration" / "example_covid19" / "config.yaml"
    text = config.read_text()
    assert INVALID_TASK in text
    config.write_text(text.replace(INVALID_TASK, INVALID_TASK + "    retries: -1\n"))
    return root, config


def _validate_errors(root: pathlib.Path) -> list[str]:
    """The errors `dop validate` prints, each as its first line (file:line:column: error: message)."""
    from click.testing import CliRunner

    from dop_core.cli.main import main

    result = CliRunner().invoke(main, ["validate", "--project", str(root)])
    assert result.exit_code == 1, result.output
    return [line for line in result.output.splitlines() if ": error: " in line]


def _line_of(config: pathlib.Path, text: str) -> int:
    return next(n for n, line in enumerate(config.read_text().splitlines(), 1) if text in line)


@pytest.mark.parametrize("also", [
    "",
    "dependencies: auto\n",  # the tasks reading what create_schema makes (none) are looked up by lineage
], ids=["listed", "auto"])
def test_a_task_with_an_error_is_one_error_not_one_more_per_dependent_task(tmp_path, dop_plugin_manager, also):
    """Two tasks depend on create_schema; its `retries: -1` is its one mistake: depending on it is not
    "unknown dependency 'create_schema'" as well."""
    root, config = _template_with_invalid_task(tmp_path)
    config.write_text(also + config.read_text())
    line = _line_of(config, "retries: -1")
    assert _validate_errors(root) == [f"{config}:{line}:14: error: -1 is less than 0"]


def test_a_dependency_on_no_task_at_all_is_still_an_error_beside_it(tmp_path, dop_plugin_manager):
    root, config = _template_with_invalid_task(tmp_path)
    text = config.read_text()
    config.write_text(text.replace("dependencies: [raw_covid19_cases, ", "dependencies: [raw_covid19_case, "))
    errors = _validate_errors(root)
    retries, typo = _line_of(config, "retries: -1"), _line_of(config, "[raw_covid19_case, ")
    assert errors == [f"{config}:{retries}:14: error: -1 is less than 0",
                      f"{config}:{typo}:20: error: unknown dependency 'raw_covid19_case'"]
    report = check_project(root)
    assert any(p.fix == "did you mean 'raw_covid19_cases'?" for p in report.problems), report.problems


def test_a_trigger_waiting_for_a_task_with_an_error_is_no_second_error(tmp_path, dop_plugin_manager):
    """Another DAG waiting for create_schema: its trigger names a task that exists (with an error of its own);
    one naming a task that does not exist still fails."""
    root, config = _template_with_invalid_task(tmp_path)
    waits = root / "orchestration" / "waits" / "config.yaml"
    waits.parent.mkdir()
    waits.write_text("schema: waits\ntasks:\n  - identifier: s\n    kind: {action: materialization, target: schema}\n"
                     "    triggers:\n      - kind: external_task\n"
                     "        options: {dag: example_covid19, task: create_schema}\n"
                     "      - kind: external_task\n"
                     "        options: {dag: example_covid19, task: create_schemas}\n")
    line = _line_of(config, "retries: -1")
    assert _validate_errors(root) == [
        f"{config}:{line}:14: error: -1 is less than 0",
        f"{waits}:9:47: error: DAG 'example_covid19' has no task 'create_schemas'"]
