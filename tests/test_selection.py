"""`--select` / `--exclude` of `dop run` and `dop compile`: task ids, globs, +upstream / downstream+, kinds, as
dbt; a selector that matches nothing is a usage error (exit 2) naming the closest task; `dop run` runs only
the selected tasks (the Airflow database and the warehouse show it) and says how many were left out."""

from __future__ import annotations

import contextlib
import pathlib
import re
import shutil
import sqlite3

import pytest

from dop_core.cli.selection import Selection, SelectionError, select_tasks
from dop_core.testing import run_dop

RETAIL = pathlib.Path(__file__).parent / "projects" / "retail"


@pytest.fixture(scope="module")
def retail(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    root = tmp_path_factory.mktemp("select") / "retail"
    shutil.copytree(RETAIL, root, ignore=shutil.ignore_patterns(".dop"))
    return root


@pytest.fixture(scope="module")
def dag(retail: pathlib.Path):
    from dop_core.build.dags import build_one
    from dop_core.config.project import load_project

    return build_one(load_project(retail), "daily_sales")


@pytest.mark.parametrize(("select", "exclude", "expected"), [
    (["daily_revenue"], [], ["daily_revenue"]),
    (["+daily_revenue"], [], ["create_schema_retail", "raw_orders", "udf_clean_store", "daily_revenue"]),
    (["sp_flag_big_days+"], [], ["sp_flag_big_days", "invoke_sp_flag_big_days", "notify"]),
    (["+store_totals+"], [], ["create_schema_retail", "raw_orders", "udf_clean_store", "daily_revenue",
                               "store_totals", "view_top_stores", "notify"]),
    (["1+daily_revenue"], [], ["raw_orders", "udf_clean_store", "daily_revenue"]),
    (["*_sp_*"], [], ["invoke_sp_flag_big_days"]),
    (["kind:materialization/table"], [], ["daily_revenue", "store_totals"]),
    (["kind:materialization/*"], ["kind:materialization/schema", "sp_*"],
     ["raw_orders", "udf_clean_store", "daily_revenue", "store_totals", "view_top_stores"]),
    (["kind:invocation", "notify"], [], ["invoke_sp_flag_big_days", "notify"]),  # kind:ACTION is ACTION/*
    (["store_totals view_top_stores", "notify"], [], ["store_totals", "view_top_stores", "notify"]),  # spaces: OR
    (["+notify,kind:materialization/table"], [], ["daily_revenue", "store_totals"]),  # a comma: AND
    (["kind:airflow_operator/*BashOperator"], [], ["notify"]),
    ([], ["+daily_revenue"], ["store_totals", "view_top_stores", "data_quality_checks", "sp_flag_big_days",
                              "invoke_sp_flag_big_days", "notify"]),
])
def test_selectors_choose_tasks_as_dbt_does(dag, select, exclude, expected):
    selection = select_tasks(dag, select, exclude)
    assert list(selection.selected) == expected  # in the DAG's order
    assert set(selection.unselected) == set(dag.task_ids) - set(expected)


@pytest.mark.parametrize(("select", "exclude", "message"), [
    (["daily_revenu"], [], "--select 'daily_revenu' matches none of the tasks of dop__daily_sales"),
    (["+daly_revenue+"], [], "did you mean 'daily_revenue'?"),
    (["kind:materialization/tabel"], [], "did you mean 'kind:materialization/table'?"),
    (["daily_revenue,storetotals"], [], "--select 'storetotals' in 'daily_revenue,storetotals' matches none"),
    (["daily_revenue,store_totals"], [], "separate them with spaces: --select 'daily_revenue store_totals'"),
    ([], ["notifyy"], "--exclude 'notifyy' matches none of the tasks"),
    (["notify"], ["kind:airflow_operator/*"], "leaves no task of dop__daily_sales to run"),
])
def test_a_selector_that_matches_nothing_is_an_error(dag, select, exclude, message):
    with pytest.raises(SelectionError) as caught:
        select_tasks(dag, select, exclude)
    assert message in str(caught.value)


def test_compile_selects_and_refuses_an_unknown_task_with_exit_2(retail):
    result = run_dop("compile", "daily_sales", "--date", "2024-06-01", "--select", "+store_totals",
                     "--exclude", "kind:materialization/udf", cwd=retail)
    assert result.returncode == 0, result.stderr
    compiled = re.findall(r"^-- (\w+) \[", result.stdout, flags=re.M)
    assert list(dict.fromkeys(compiled)) == ["daily_revenue", "store_totals"]  # the tasks with SQL, not the UDF

    wrong = run_dop("compile", "daily_sales", "-s", "store_total", cwd=retail)
    assert wrong.returncode == 2 and wrong.stdout == ""
    assert "error: --select 'store_total' matches none of the tasks of dop__daily_sales" in wrong.stderr
    assert "fix: did you mean 'store_totals'?" in wrong.stderr
    assert "Traceback" not in wrong.stderr


@pytest.mark.slow
def test_run_runs_only_the_selected_tasks(retail):
    result = run_dop("run", "daily_sales", "--date", "2024-06-01", "--select", "+daily_revenue",
                     "--exclude", "create_schema_retail", cwd=retail)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out  # the schema is not there: raw_orders fails, daily_revenue never starts
    assert "7 task(s) not selected: create_schema_retail, store_totals, view_top_stores" in out

    # a mistake in a task not selected does not stop the run (it is not checked, not run)
    (retail / "orchestration" / "daily_sales" / "sql" / "view_top_stores.sql").write_text("SELECT {{ nope }}")
    result = run_dop("run", "daily_sales", "--date", "2024-06-01", "-s", "+daily_revenue", cwd=retail)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "6 task(s) not selected: store_totals, view_top_stores, data_quality_checks, sp_flag_big_days, " \
           "invoke_sp_flag_big_days, notify" in out
    with contextlib.closing(sqlite3.connect(retail / ".dop" / "airflow" / "airflow.db")) as con:
        ran = dict(con.execute("SELECT ti.task_id, ti.state FROM task_instance ti JOIN dag_run r ON r.run_id = ti.run_id "
                               "AND r.dag_id = ti.dag_id WHERE r.dag_id = 'dop__daily_sales' AND "
                               "date(r.logical_date) = '2024-06-01'").fetchall())
    assert ran == dict.fromkeys(["create_schema_retail", "raw_orders", "udf_clean_store", "daily_revenue"], "success")
    import duckdb

    with duckdb.connect(str(retail / ".dop" / "warehouse.duckdb"), read_only=True) as con:
        tables = {name for (name,) in con.execute("SELECT table_name FROM information_schema.tables "
                                                  "WHERE table_schema = 'retail'").fetchall()}
    assert {"raw_orders", "daily_revenue"} <= tables and not {"store_totals", "view_top_stores"} & tables



def test_a_task_group_is_selected_by_its_id_and_its_tasks_have_its_kind():
    """A plugin may build one config task as a group of tasks (dop-dbt: one task per model)."""
    import datetime as dt

    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.sdk import DAG, TaskGroup

    with DAG("dop__groups", schedule=None, start_date=dt.datetime(2024, 1, 1)) as dag:
        first = EmptyOperator(task_id="first")
        with TaskGroup(group_id="dbt_run") as group:
            a, b = EmptyOperator(task_id="stg_orders"), EmptyOperator(task_id="orders")
            a >> b
        group.dop_task_config = {"kind": {"action": "dbt", "target": "run"}}
        last = EmptyOperator(task_id="report")
        first >> group >> last
    assert select_tasks(dag, ["dbt_run"]).selected == ("dbt_run.stg_orders", "dbt_run.orders")
    assert select_tasks(dag, ["kind:dbt/*"]).selected == ("dbt_run.stg_orders", "dbt_run.orders")
    assert select_tasks(dag, ["dbt_run.orders+"]).selected == ("dbt_run.orders", "report")


def test_a_dag_without_tasks_selects_nothing_without_an_error(tmp_path):
    from dop_core.testing import build_dag_from_yaml

    dag = build_dag_from_yaml("tasks: []\n", tmp_path)
    assert select_tasks(dag) == Selection((), ())
    with pytest.raises(SelectionError, match="matches none of the tasks of dop__test"):
        select_tasks(dag, ["anything"])
