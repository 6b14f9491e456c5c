"""The original DOP's example service project, unchanged, in a DOP project: it validates with only the
deliberate refusal, whose fix line makes it clean, and every DAG lists, graphs and compiles.

Runs on the vendored copy (``tests/compat/original``), or on ``$DOP_ORIGINAL_REPO``'s. Without the dop-dbt
plugin (dop-core's own test env), example_covid19's dbt tasks are reported as needing it, and that DAG is
left out of graph and compile; plugins/dop-dbt/tests/test_original_example.py runs it whole.
"""

from __future__ import annotations

import importlib.util
import re

import pytest
from compat_support import (
    DELIBERATE_REFUSALS,
    NEEDS_DBT,
    apply_fix_lines,
    dag_names,
    migrated_project,
    original_example,
    same_bytes,
)

from dop_core.validate.project import validate_project

HAS_DBT = importlib.util.find_spec("dop_dbt") is not None


@pytest.fixture
def example():
    return original_example()


@pytest.fixture
def root(tmp_path, example):
    root = migrated_project(tmp_path / "service_project", example)
    assert same_bytes(example, root)
    return root


def errors_of(root):
    return [p for p in validate_project(root).problems if p.severity == "error"]


def expected_errors(root) -> set[tuple[str, int, int]]:
    refusals = {(dag, line, col) for dag, line, col, _ in DELIBERATE_REFUSALS}
    if HAS_DBT:
        return refusals
    dbt_tasks = {("example_covid19", line, 15)
                 for line, text in enumerate((root / "orchestration/example_covid19/config.yaml").read_text()
                                             .splitlines(), 1) if text.strip() == "action: dbt"}
    assert len(dbt_tasks) == 5
    return refusals | dbt_tasks


def where(problem) -> tuple[str, int, int]:
    return problem.location.path.split("/")[-2], problem.location.line, problem.location.column


def test_only_the_deliberate_refusals_remain_and_their_fix_lines_are_exact(root):
    errors = errors_of(root)
    assert {where(p) for p in errors} == expected_errors(root), "\n".join(map(str, errors))
    for dag, line, col, spelling in DELIBERATE_REFUSALS:
        refusal = next(p for p in errors if where(p) == (dag, line, col))
        assert "YAML tag '!!python/object/apply:datetime.timedelta' is not allowed" in refusal.message
        assert refusal.fix is not None and refusal.fix.startswith(f"write `{spelling}`")
    for problem in validate_project(root).problems:  # nothing says None, a class or a traceback
        text = str(problem)
        assert "None" not in text and "<class" not in text and "Traceback" not in text, text


def fix_until_clean(root) -> int:
    """Apply the fix lines, validate again, and again (a fixed YAML error lets the rest be checked)."""
    applied = total = -1
    while applied:
        applied = apply_fix_lines(validate_project(root).problems)
        total += applied + (total < 0)
    return total


def test_after_the_fix_lines_it_validates_clean(root):
    assert fix_until_clean(root) >= len(DELIBERATE_REFUSALS) + 4  # the timedelta tag, the Airflow 1 paths...
    report = validate_project(root)
    left = {where(p) for p in report.problems}
    assert left == (expected_errors(root) - {(d, li, c) for d, li, c, _ in DELIBERATE_REFUSALS}), \
        "\n".join(map(str, report.problems))
    sensor = (root / "orchestration/example_external_task_sensor/config.yaml").read_text()
    assert "        execution_delta: 5m\n" in sensor
    if HAS_DBT:
        assert report.ok and report.problems == []


def test_every_dag_lists_graphs_and_compiles(root, example):
    from click.testing import CliRunner

    from dop_core.cli.main import main

    fix_until_clean(root)  # the sensor DAG builds once its tag is written plainly
    at = ["--project", str(root)]
    listed = CliRunner().invoke(main, ["list", *at])
    assert listed.exit_code == (0 if HAS_DBT else 1), listed.output
    usable = [name for name in dag_names(example) if HAS_DBT or name not in NEEDS_DBT]
    assert len(usable) >= 5
    for name in usable:
        assert f"dop__{name}" in listed.stdout
    assert "dop__example_dataflow_template (disabled)" in listed.stdout
    for name in usable:
        graph = CliRunner().invoke(main, ["graph", name, *at])
        assert graph.exit_code == 0, graph.output
        assert graph.stdout.startswith("flowchart LR\n")
        compiled = CliRunner().invoke(main, ["compile", name, "--date", "2021-01-02", *at])
        assert compiled.exit_code == 0, compiled.output
    complex_design = CliRunner().invoke(main, ["compile", "example_complex_design", "dim_date", *at])
    assert complex_design.exit_code == 0  # its SQL files are empty: a design-only DAG


@pytest.mark.slow
def test_dop_run_of_a_dag_without_start_date_runs_its_tasks_for_any_date(root):
    from dop_core.testing import run_dop

    ran = run_dop("run", "dummy_upstream_dependency", "--date", "2021-01-01", "--project", str(root))
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert re.search(r"^  i_am_the_dummy_dependency\s+success$", ran.stdout, re.M), ran.stdout
    (root / "orchestration" / "nothing").mkdir()
    (root / "orchestration" / "nothing" / "config.yaml").write_text("tasks: []\n")
    empty = run_dop("run", "nothing", "--date", "2021-01-01", "--project", str(root))
    assert empty.returncode == 1 and "The run of dop__nothing for 2021-01-01 ran no task" in empty.stderr
    assert "DAG run success" not in empty.stdout
