"""`dop run` of the retail project on the local DuckDB warehouse, through real Airflow (dag.test).

One project goes through the journey a user takes: first run, incremental run of another day,
a Variable overriding a param, a changed query schema (refused, data kept), a full refresh, and a
failing assertion.
"""

from __future__ import annotations

import pathlib
import re
import shutil

import pytest

from dop_core.testing import run_dop

RETAIL = pathlib.Path(__file__).parent / "projects" / "retail"
pytestmark = pytest.mark.slow


def query(root: pathlib.Path, sql: str) -> list[tuple]:
    import duckdb

    with duckdb.connect(str(root / ".dop" / "warehouse.duckdb"), read_only=True) as con:
        return sorted(con.execute(sql).fetchall(), key=repr)


def revenue(root):
    return query(root, "SELECT order_date::VARCHAR, store, revenue FROM retail.daily_revenue")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("run") / "retail"
    shutil.copytree(RETAIL, root, ignore=shutil.ignore_patterns(".dop"))
    return root


def state(out: str, task: str) -> str:
    """The final state `dop run` printed for ``task``."""
    found = re.findall(rf"^  {task}\s+(\w+)$", out, flags=re.M)
    assert found, f"no state for {task} in:\n{out}"
    return found[-1]


def dop_run(root, *args, env=None):
    result = run_dop("run", "daily_sales", *args, cwd=root, env=env)
    return result, result.stdout + result.stderr


def test_first_run_builds_every_table(project):
    result, out = dop_run(project, "--date", "2024-06-01")
    assert result.returncode == 0, out
    assert "DAG run success" in out
    for task in ("raw_orders", "daily_revenue", "invoke_sp_flag_big_days", "notify"):
        assert state(out, task) == "success"
    assert revenue(project) == [
        ("2024-05-31", "north", 10.0), ("2024-05-31", "south", 20.0),
        ("2024-06-01", "north", 30.0), ("2024-06-01", "south", 40.0), ("2024-06-01", None, 5.0),
        ("2024-06-02", "east", 70.0), ("2024-06-02", "north", 60.0)]
    assert query(project, "SELECT * FROM retail.view_top_stores") == [("east", 70.0), ("north", 100.0),
                                                                     ("south", 60.0)]
    # the stored procedure ran with run_date bound to the logical date
    assert query(project, "SELECT order_date::VARCHAR, store FROM retail.big_days") == [
        ("2024-06-01", "north"), ("2024-06-01", "south")]
    assert query(project, "SELECT typeof(next_day) FROM retail.store_totals LIMIT 1") == [("DATE",)]
    assert (project / ".dop" / "logs" / "runs" / "dop__daily_sales" / "2024-06-01.log").is_file()


def test_state_files_are_the_users_only(project):
    """The warehouse, the Airflow database and every log `dop run` wrote: 0600 files in 0700 folders."""
    import stat

    if not (project / ".dop" / "warehouse.duckdb").exists():
        dop_run(project, "--date", "2024-06-01")
    state_dir = project / ".dop"

    def mode(path: pathlib.Path) -> str:
        return oct(stat.S_IMODE(path.stat().st_mode))

    folders = [state_dir, state_dir / "airflow", state_dir / "logs", state_dir / "logs" / "runs",
               *(p for p in state_dir.rglob("*") if p.is_dir())]
    assert {str(f.relative_to(project)): mode(f) for f in folders} == {
        str(f.relative_to(project)): "0o700" for f in folders}
    run_logs = list((state_dir / "logs" / "runs").rglob("*.log"))
    assert run_logs, "dop run wrote no run log"
    files = [state_dir / "warehouse.duckdb", state_dir / "airflow" / "airflow.db", *run_logs,
             *(p for p in state_dir.rglob("*") if p.is_file())]
    assert {str(f.relative_to(project)): mode(f) for f in files} == {
        str(f.relative_to(project)): "0o600" for f in files}


def test_incremental_run_changes_exactly_its_partition(project):
    csv = project / "orchestration" / "daily_sales" / "data" / "raw_orders.csv"
    csv.write_text(csv.read_text().replace(",10.0", ",11.0").replace(",60.0", ",66.0"))
    result, out = dop_run(project, "--date", "2024-06-02")
    assert result.returncode == 0, out
    rows = revenue(project)
    assert ("2024-05-31", "north", 10.0) in rows  # other days keep their old values
    assert ("2024-06-02", "north", 66.0) in rows and ("2024-06-02", "north", 60.0) not in rows
    assert len(rows) == 7


def test_a_variable_overrides_a_param_at_run_time(project):
    result, out = dop_run(project, "--date", "2024-06-01", env={"AIRFLOW_VAR_DOP__DAILY_SALES.MIN_AMOUNT": "35"})
    assert result.returncode == 0, out
    assert [r for r in revenue(project) if r[0] == "2024-06-01"] == [("2024-06-01", "south", 40.0)]


def test_a_changed_schema_needs_a_full_refresh(project):
    sql = project / "orchestration" / "daily_sales" / "sql" / "daily_revenue.sql"
    sql.write_text(sql.read_text().replace("COUNT(*) AS orders", "COUNT(*) AS orders,\n  MAX(amount) AS biggest"))
    before = revenue(project)
    result, out = dop_run(project, "--date", "2024-06-01")
    assert result.returncode == 1
    assert state(out, "daily_revenue") == "failed"
    assert "+ biggest DOUBLE (new column)" in out and "Run with a full refresh" in out
    assert revenue(project) == before  # data unchanged

    result, out = dop_run(project, "--date", "2024-06-01", "--full-refresh")
    assert result.returncode == 0, out
    assert query(project, "SELECT count(*) FROM retail.daily_revenue WHERE biggest IS NOT NULL") == [(7,)]


def test_a_failing_assertion_fails_the_run_with_a_readable_report(project):
    sql = project / "orchestration" / "daily_sales" / "sql" / "data_quality_checks.sql"
    sql.write_text(sql.read_text().replace("COUNTIF(revenue < 0) = 0 AS success", "COUNTIF(revenue > 0) = 0 AS success"))
    result, out = dop_run(project, "--date", "2024-06-01")
    assert result.returncode == 1
    assert state(out, "data_quality_checks") == "failed"
    assert state(out, "notify") == "upstream_failed"
    assert "log of failed task data_quality_checks" in out
    assert "[PASS] daily_revenue has rows for 2024-06-01 (num_of_rows=3)" in out
    assert "[FAIL] no negative revenue (num_of_rows=0)" in out
    assert "(task 'data_quality_checks', sql/data_quality_checks.sql)" in out
    assert "Traceback" not in out  # the error alone; the full log keeps the traceback


def test_removing_the_partitioning_is_refused_and_keeps_every_row(project):
    config = project / "orchestration" / "daily_sales" / "config.yaml"
    partitioning = "    partitioning:\n      field: order_date\n      data_type: date\n"
    assert partitioning in config.read_text()
    config.write_text(config.read_text().replace(partitioning, ""))
    before = revenue(project)
    assert len({day for day, _, _ in before}) == 3
    result, out = dop_run(project, "--date", "2024-06-01")
    assert result.returncode == 1
    assert state(out, "daily_revenue") == "failed"
    assert "- partitioning by order_date (date, day): the task has no partitioning any more" in out
    assert "The table was left unchanged. Run with a full refresh" in out
    assert revenue(project) == before  # the other days' history is still there

    result, out = dop_run(project, "--date", "2024-06-01", "--full-refresh")
    assert state(out, "daily_revenue") == "success", out
