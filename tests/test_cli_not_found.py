"""Errors about a missing project, DAG or task name what is missing and where DOP looked, and never point at a
file:line of a file that does not exist. Names close to a real DAG or task get a did-you-mean."""

from __future__ import annotations

import pathlib
import re
import shutil

import pytest
from click.testing import CliRunner

from dop_core.cli.main import main

RETAIL = pathlib.Path(__file__).parent / "projects" / "retail"
INVENTED_LOCATION = re.compile(r"(dop_project\.yml|config\.yaml):\d+:\d+")


@pytest.fixture
def retail(tmp_path, dop_plugin_manager):
    root = tmp_path / "retail"
    shutil.copytree(RETAIL, root, ignore=shutil.ignore_patterns(".dop"))
    return root


def dop(*args, env=None):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False, env=env)
    assert result.exit_code == 1, result.output
    assert not INVENTED_LOCATION.search(result.stderr), result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


def test_outside_a_project_says_where_dop_looked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert dop("list") == (f"error: no dop_project.yml in {tmp_path.resolve()} or any folder above it, so this is "
                           "not a DOP project\n    fix: run dop inside a project, pass --project DIR, or create one "
                           "with `dop init PATH`\n")


def test_a_project_folder_that_does_not_exist(tmp_path):
    assert dop("validate", "--project", str(tmp_path / "nope")) == (
        f"error: the project folder {tmp_path / 'nope'} does not exist\n"
        "    fix: pass --project DIR with the folder holding dop_project.yml\n")


def test_the_project_folder_from_the_environment_is_named(tmp_path):
    assert f"no dop_project.yml in {tmp_path.resolve()} (DOP_PROJECT_DIR) or any folder above it" in \
        dop("validate", "--format", "json", env={"DOP_PROJECT_DIR": str(tmp_path)})


def test_an_unknown_dag_says_where_dop_looked_and_which_dags_there_are(retail):
    assert dop("graph", "daily_sale", "--project", str(retail)) == (
        f"error: no DAG 'daily_sale' in this project: there is no orchestration/daily_sale/config.yaml in {retail}\n"
        "    expected: one of daily_sales, disabled_dag, reporting\n"
        "    fix: did you mean 'daily_sales'?\n")
    assert "fix: name one of these DAGs (by folder or dag id)" in dop("run", "dop__zzz", "--project", str(retail))


def test_a_project_without_dags(dop_project):
    assert "expected: a DAG folder orchestration/<name>/ with a config.yaml; the project has none yet" in \
        dop("compile", "anything", "--project", str(dop_project.root))


def test_an_unknown_task_gets_a_did_you_mean(retail):
    assert dop("compile", "daily_sales", "dialy_revenue", "--date", "2024-06-01", "--project", str(retail)) == (
        "error: no task 'dialy_revenue' in dop__daily_sales (orchestration/daily_sales/config.yaml)\n"
        "    expected: one of create_schema_retail, raw_orders, udf_clean_store, daily_revenue, store_totals, "
        "view_top_stores, data_quality_checks, sp_flag_big_days, invoke_sp_flag_big_days, notify\n"
        "    fix: did you mean 'daily_revenue'?\n")


def test_a_task_without_sql(retail):
    error = dop("compile", "daily_sales", "notify", "--date", "2024-06-01", "--project", str(retail))
    assert error.startswith("error: task 'notify' of dop__daily_sales has no SQL to compile\n"
                            "    expected: one of the tasks with SQL: create_schema_retail, raw_orders")
