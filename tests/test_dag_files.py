"""``dop dag-files``: a project's DAGs split among DAG files of about six, each DAG built by exactly one file."""

from __future__ import annotations

import pathlib

from click.testing import CliRunner

from dop_core.cli.main import main

EMPTY = "airflow.providers.standard.operators.empty.EmptyOperator"


def _project(dop_project, n: int):
    for i in range(n):
        dop_project.dag(f"d{i:02d}", f"tasks:\n  - identifier: a\n    kind: {{action: airflow_operator, target: {EMPTY}}}\n")
    return dop_project


def _dag_files(root: pathlib.Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted((root / "dags").glob("*.py"))}


def _dagbag(root: pathlib.Path):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(root / "dags"), bundle_name="dags-folder")


def _dag_files_cmd(root: pathlib.Path, *args: str):
    return CliRunner().invoke(main, ["dag-files", "--project", str(root), *args])


def test_a_grown_project_gets_a_file_per_group_of_six_dags_each_dag_built_once(dop_project):
    root = _project(dop_project, 13).root
    result = _dag_files_cmd(root)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["wrote dags/dop_dags_0.py", "wrote dags/dop_dags_1.py",
                                          "wrote dags/dop_dags_2.py", "removed dags/dop_dags.py"]
    files = _dag_files(root)
    assert sorted(files) == ["dop_dags_0.py", "dop_dags_1.py", "dop_dags_2.py"]
    assert "globals().update(build_dags(__file__, group=2, groups=3))" in files["dop_dags_2.py"]
    bag = _dagbag(root)
    assert not bag.import_errors
    assert sorted(bag.dags) == [f"dop__d{i:02d}" for i in range(13)]
    by_file = {pathlib.Path(dag.fileloc).name for dag in bag.dags.values()}
    assert by_file == set(files)  # every file builds some of them
    assert _dag_files_cmd(root).output == "the DAG files are up to date\n"


def test_one_group_writes_back_the_loader_file_dop_init_writes(dop_project, tmp_path):
    root = _project(dop_project, 3).root
    assert _dag_files_cmd(root, "--groups", "2").exit_code == 0
    result = _dag_files_cmd(root, "--groups", "1")
    assert result.exit_code == 0, result.output
    template = pathlib.Path(__file__).parents[1] / "service_project_template" / "{{cookiecutter.project_slug}}"
    assert _dag_files(root) == {"dop_dags.py": (template / "dags" / "dop_dags.py").read_text()}
    assert sorted(_dagbag(root).dags) == ["dop__d00", "dop__d01", "dop__d02"]


def test_a_file_of_the_users_own_that_builds_dags_stops_it_naming_the_file(dop_project):
    root = _project(dop_project, 2).root
    (root / "dags" / "extra.py").write_text("from dop_core import build_dags\nimport os\n\n"
                                            "globals().update(build_dags(__file__, target=os.environ['T']))\n")
    (root / "dags" / "hand.py").write_text("from airflow.sdk import DAG\n\nwith DAG('hand'):\n    pass\n")
    before = _dag_files(root)
    result = _dag_files_cmd(root, "--groups", "2")
    assert result.exit_code == 1
    assert "error: dags/extra.py calls build_dags but is not a DAG file DOP writes" in result.output
    assert "fix: remove dags/extra.py" in result.output
    assert _dag_files(root) == before  # nothing written nor removed
    (root / "dags" / "extra.py").unlink()
    assert _dag_files_cmd(root, "--groups", "2").exit_code == 0
    assert sorted(_dag_files(root)) == ["dop_dags_0.py", "dop_dags_1.py", "hand.py"]  # the user's own DAG stays


def test_no_group_at_all_or_more_files_than_dags_is_refused(dop_project):
    root = _project(dop_project, 3).root
    before = _dag_files(root)
    result = _dag_files_cmd(root, "--groups", "0")
    assert result.exit_code == 1
    assert "error: --groups 0: the project has 3 DAG(s), so 0 DAG files would leave none to build them" \
        in result.output
    assert "expected: a whole number from 1 to 3" in result.output
    result = _dag_files_cmd(root, "--groups", "1000000")
    assert result.exit_code == 1
    assert "would leave some empty" in result.output and "fix: give --groups 1" in result.output
    assert _dag_files(root) == before
