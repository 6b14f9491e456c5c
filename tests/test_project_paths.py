"""Paths stay inside the project (or a declared data folder): SQL files, seeds, the orchestration folder and
the warehouse; a symbolic link pointing out is refused, and the file it points at is never shown."""

from __future__ import annotations

import os
import pathlib

import pytest
from click.testing import CliRunner

from dop_core.cli.main import main

SECRET = "root:x:0:0:DOP-TEST-SECRET-LINE:/root:/bin/bash"
TABLE = """\
    schema: shop
    tasks:
      - identifier: daily
        kind: {action: materialization, target: table}
    """


def dop(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def outside(tmp_path: pathlib.Path) -> pathlib.Path:
    """A file outside the project holding a line nobody may see."""
    path = tmp_path / "elsewhere" / "passwd"
    path.parent.mkdir()
    path.write_text(SECRET + "\n")
    return path


def test_a_sql_file_linked_out_of_the_project_is_refused_and_never_shown(dop_project, dop_plugin_manager,
                                                                          outside) -> None:
    folder = dop_project.dag("shop", TABLE)
    (folder / "sql").mkdir()
    (folder / "sql" / "daily.sql").symlink_to(outside)
    config = folder / "config.yaml"

    validated = dop("validate", "--project", str(dop_project.root))
    assert validated.exit_code == 1
    assert f"{config}:3:" in validated.output  # at the task's identifier
    assert f"SQL file {folder / 'sql' / 'daily.sql'} is a symbolic link to {outside}" in validated.output
    assert "replace the link with the file itself" in validated.output
    assert "DOP-TEST-SECRET" not in validated.output

    compiled = dop("compile", "shop", "--project", str(dop_project.root))
    assert compiled.exit_code == 1
    assert "symbolic link" in compiled.output and "DOP-TEST-SECRET" not in compiled.output

    # at run time (Airflow parsing the DAG file): the DAG is a stand-in showing the error, not the file
    dag = dop_project.build()["dop__shop"]
    assert "dop:config-error" in dag.tags
    assert "symbolic link" in dag.doc_md and "DOP-TEST-SECRET" not in dag.doc_md


def test_a_sql_folder_linked_out_of_the_project_is_refused_though_its_files_are_plain(dop_project, dop_plugin_manager,
                                                                                      outside) -> None:
    (outside.parent / "daily.sql").write_text(f"SELECT '{SECRET}' AS x\n")
    folder = dop_project.dag("shop", TABLE)
    (folder / "sql").symlink_to(outside.parent)

    validated = dop("validate", "--project", str(dop_project.root))
    assert validated.exit_code == 1
    assert f"SQL file {folder / 'sql' / 'daily.sql'} is a symbolic link to {outside.parent / 'daily.sql'}" \
        in validated.output
    assert "DOP-TEST-SECRET" not in validated.output
    dag = dop_project.build()["dop__shop"]
    assert "dop:config-error" in dag.tags and "DOP-TEST-SECRET" not in dag.doc_md


def test_a_template_including_a_linked_file_is_refused_when_rendered(dop_project, dop_plugin_manager,
                                                                     outside) -> None:
    folder = dop_project.dag("shop", TABLE, sql={"daily": "SELECT 1 AS x -- {% include 'sql/part.sql' %}\n"})
    (folder / "sql" / "part.sql").symlink_to(outside)
    result = dop("compile", "shop", "--project", str(dop_project.root))
    assert result.exit_code == 1
    assert "refusing to read sql/part.sql" in result.output
    assert "DOP-TEST-SECRET" not in result.output


def test_a_link_to_a_file_inside_the_project_is_fine(dop_project, dop_plugin_manager) -> None:
    dop_project.write("shared/daily.sql", "SELECT 1 AS x\n")
    folder = dop_project.dag("shop", TABLE)
    (folder / "sql").mkdir()
    (folder / "sql" / "daily.sql").symlink_to(dop_project.root / "shared" / "daily.sql")
    result = dop("compile", "shop", "--project", str(dop_project.root))
    assert result.exit_code == 0, result.output
    assert "SELECT 1 AS x" in result.output


SEED = """\
    schema: shop
    tasks:
      - identifier: people
        kind: {action: materialization, target: seed}
        options: {path: PATH}
    """


def test_a_seed_path_climbing_out_of_the_project_is_refused(dop_project, dop_plugin_manager, outside) -> None:
    folder = dop_project.root / "orchestration" / "shop"
    climb = os.path.relpath(outside, folder)  # ../../../elsewhere/passwd
    dop_project.dag("shop", SEED.replace("PATH", climb))
    result = dop("validate", "--project", str(dop_project.root))
    assert result.exit_code == 1
    assert f"{folder / 'config.yaml'}:5:" in result.output  # at options.path
    assert f"seed file {climb} resolves to {outside}, outside the project folder" in result.output
    assert "data_paths" in result.output
    dag = dop_project.build()["dop__shop"]
    assert "dop:config-error" in dag.tags and "DOP-TEST-SECRET" not in dag.doc_md


def test_a_declared_data_folder_may_hold_seeds(dop_project, dop_plugin_manager, tmp_path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "people.csv").write_text("id,name\n1,Ada\n")
    dop_project.write("dop_project.yml", f"name: p\ndata_paths: [{shared}]\n")
    dop_project.dag("shop", SEED.replace("PATH", str(shared / "people.csv")))
    result = dop("validate", "--project", str(dop_project.root))
    assert result.exit_code == 0, result.output
    task = dop_project.build()["dop__shop"].get_task("people")
    assert task.options.path == str(shared / "people.csv")


def test_the_orchestration_folder_stays_inside_the_project(dop_project, dop_plugin_manager, tmp_path) -> None:
    (tmp_path / "other" / "x").mkdir(parents=True)
    dop_project.write("dop_project.yml", "name: p\norchestration: ../other\n")
    result = dop("validate", "--project", str(dop_project.root))
    assert result.exit_code == 1
    assert f"{dop_project.root / 'dop_project.yml'}:2:16: error: orchestration folder ../other resolves to " \
           f"{tmp_path / 'other'}, outside the project folder" in result.output


def test_the_warehouse_stays_inside_the_project_unless_its_folder_is_declared(dop_project, dop_plugin_manager,
                                                                              tmp_path) -> None:
    dop_project.write("dop_project.yml", "name: p\ntargets:\n  local: {engine: duckdb, path: ../wh.duckdb}\n")
    result = dop("validate", "--project", str(dop_project.root))
    assert result.exit_code == 1
    assert f"{dop_project.root / 'dop_project.yml'}:3:" in result.output
    assert "path of target 'local' ../wh.duckdb resolves to" in result.output

    dop_project.write("dop_project.yml", "name: p\ndata_paths: [..]\ntargets:\n"
                      "  local: {engine: duckdb, path: ../wh.duckdb}\n")
    result = dop("validate", "--project", str(dop_project.root))
    assert result.exit_code == 0, result.output


def test_the_filesystem_root_is_not_a_data_folder(dop_project, dop_plugin_manager) -> None:
    dop_project.write("dop_project.yml", "name: p\ndata_paths: [/]\n")
    result = dop("validate", "--project", str(dop_project.root))
    assert result.exit_code == 1
    assert "'/' is not a usable data folder" in result.output
