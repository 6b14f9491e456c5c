"""Every config of this project validates, and every DAG builds (no warehouse, no Airflow database).

Run with `pytest tests` (CI does). dop-core ships a pytest plugin, dop_core.testing, loaded
automatically: its `dop_project` fixture writes throw-away projects for testing new task kinds or
configs in isolation, as `test_a_broken_config_is_reported_with_its_line` does.
"""

from __future__ import annotations

import pathlib

import pytest

from dop_core import build_dags, load_project, validate_project
from dop_core.check.project import check_project

ROOT = pathlib.Path(__file__).resolve().parents[1]
DAG_FOLDERS = [folder.name for folder in load_project(ROOT).dag_folders()]


def test_project_has_dags() -> None:
    assert DAG_FOLDERS, "no DAG folders under orchestration/"


def test_every_config_is_valid_and_builds() -> None:
    """What `dop validate --strict` checks: every config, then every DAG's operators."""
    report = check_project(ROOT)
    assert report.problems == [], "\n".join(str(p) for p in report.problems)


@pytest.fixture(scope="module")
def dags() -> dict[str, object]:
    """The DAGs exactly as Airflow gets them from dags/dop_dags.py."""
    namespace: dict[str, object] = {"__file__": str(ROOT / "dags" / "dop_dags.py")}
    exec(compile((ROOT / "dags" / "dop_dags.py").read_text(), str(namespace["__file__"]), "exec"), namespace)
    return {name: dag for name, dag in namespace.items() if name.startswith("dop__")}


def test_dag_file_defines_one_dag_per_folder(dags: dict[str, object]) -> None:
    assert set(dags) == {f"dop__{name}" for name in DAG_FOLDERS}


@pytest.mark.parametrize("name", DAG_FOLDERS)
def test_dag_builds(dags: dict[str, object], name: str) -> None:
    dag = dags[f"dop__{name}"]
    assert "dop:config-error" not in dag.tags, dag.doc_md  # a broken config becomes a stand-in DAG
    assert dag.task_ids, f"{dag.dag_id} has no tasks"
    assert "full_refresh" in dag.params  # the trigger form's "Full refresh" checkbox


def test_example_covid19_edges(dags: dict[str, object]) -> None:
    if "dop__example_covid19" not in dags:
        pytest.skip("the example DAG was removed")
    dag = dags["dop__example_covid19"]
    assert dag.get_task("daily_cases").upstream_task_ids == {"raw_covid19_cases", "udf_empty_str_as_null"}
    assert dag.get_task("announce_done").upstream_task_ids == {"call_sp_refresh_country_totals",
                                                                "v_country_summary"}


def test_a_broken_config_is_reported_with_its_line(dop_project) -> None:
    dop_project.dag("broken", """\
        schema: s
        tasks:
          - identifier: t
            kind: {action: materialization, target: tabel}
        """)
    report = validate_project(dop_project.root)
    assert not report.ok
    problem = report.problems[0]
    assert problem.location.path.endswith("broken/config.yaml")
    assert problem.location.line == 4
    assert "did you mean 'table'" in str(problem)
    # In Airflow the broken config becomes a stand-in DAG showing the error; the other DAGs still load.
    assert "dop:config-error" in build_dags(dop_project.root)["dop__broken"].tags
