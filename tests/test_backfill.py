"""`dop run DAG --start D1 --end D2` and `dop backfill DAG D1 D2`: every logical date of the DAG's schedule in the
range (from its timetable, in its time zone), in order, each through `dop run`'s own path; the first failed date
stops the backfill unless --continue-on-failure; --format json prints one document of every date's results."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import re

import pytest

from dop_core.testing import ProjectFactory, run_dop

DAILY = """\
    schedule_interval: "@daily"
    start_date: 2024-05-01
    schema: shop
    tasks:
      - identifier: create_schema_shop
        kind: {action: materialization, target: schema}
      - identifier: sales
        kind: {action: materialization, target: table}
        partitioning: {field: d, data_type: date}
        dependencies: [create_schema_shop]
      - identifier: extra
        kind: {action: materialization, target: table}
        dependencies: [create_schema_shop]
"""
DAILY_SQL = {
    # one partition per logical date
    "sales": "SELECT DATE '{{ ds }}' AS d, x AS n FROM UNNEST(GENERATE_ARRAY(1, 3)) AS x",
    "extra": "SELECT 1 AS one",
}
FLAKY_SQL = {  # the second date's run fails
    "sales": "SELECT DATE '{{ ds }}' AS d, CAST({% if ds == '2024-06-02' %}'boom'{% else %}'1'{% endif %} AS INT64) "
             "AS n",
    "extra": "SELECT 1 AS one",
}
WEEKLY = DAILY.replace('"@daily"', '"0 0 * * 1"').replace("start_date: 2024-05-01", "start_date: 2024-05-01\n"
                                                                                    "    timezone: Europe/London")


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    factory = ProjectFactory(tmp_path_factory.mktemp("backfill") / "shop", "name: shop\n")
    factory.dag("daily", DAILY, DAILY_SQL)
    factory.dag("flaky", DAILY.replace("schema: shop", "schema: flaky").replace("create_schema_shop", "create_flaky"),
                FLAKY_SQL)
    factory.dag("weekly", WEEKLY, DAILY_SQL)
    return factory.root


def _rows(root: pathlib.Path, query: str) -> list[tuple]:
    import duckdb

    with duckdb.connect(str(root / ".dop" / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(query).fetchall()


def _dag_runs(root: pathlib.Path, dag_id: str) -> list[tuple[str, str]]:
    import sqlite3

    with sqlite3.connect(root / ".dop" / "airflow" / "airflow.db") as con:
        return [(logical[:10], state) for logical, state in con.execute(
            "SELECT logical_date, state FROM dag_run WHERE dag_id = ? ORDER BY logical_date", (dag_id,))]


def test_the_dates_come_from_the_dags_timetable_in_its_time_zone(shop):
    from dop_core.build.dags import build_dags
    from dop_core.cli.backfill import backfill_dates

    dags = build_dags(shop)
    assert backfill_dates(dags["dop__daily"], dt.date(2024, 6, 1), dt.date(2024, 6, 3)) == [
        dt.date(2024, 6, 1), dt.date(2024, 6, 2), dt.date(2024, 6, 3)]
    # Mondays at midnight in London, within the days asked for (inclusive)
    assert backfill_dates(dags["dop__weekly"], dt.date(2024, 6, 1), dt.date(2024, 6, 17)) == [
        dt.date(2024, 6, 3), dt.date(2024, 6, 10), dt.date(2024, 6, 17)]
    # before start_date: only from it
    assert backfill_dates(dags["dop__daily"], dt.date(2024, 4, 29), dt.date(2024, 5, 2)) == [
        dt.date(2024, 5, 1), dt.date(2024, 5, 2)]


@pytest.mark.parametrize(("args", "message"), [
    (["run", "weekly", "--start", "2024-06-04", "--end", "2024-06-09"],
     r"error: dop__weekly has no scheduled logical date from 2024-06-04 to 2024-06-09 \(schedule 0 0 \* \* 1, "
     r"time zone Europe/London"),
    (["backfill", "daily", "2024-04-01", "2024-04-30"], r"error: dop__daily has no scheduled logical date from "
                                                         r"2024-04-01 to 2024-04-30 .*start_date 2024-05-01"),
    (["run", "daily", "--start", "2024-06-03", "--end", "2024-06-01"],
     r"error: --start 2024-06-03 is after --end 2024-06-01; fix: swap them"),
    (["run", "daily", "--date", "2024-06-01", "--start", "2024-06-01", "--end", "2024-06-02"],
     r"--date runs one date, --start/--end a range: give one or the other"),
    (["run", "daily", "--start", "2024-06-01"], r"--end is missing: a range needs --start and --end"),
    (["run", "daily", "--date", "2024-06-01", "--continue-on-failure"],
     r"--continue-on-failure goes with a date range"),
])
def test_a_range_without_a_date_to_run_is_a_usage_error(shop, args, message):
    result = run_dop(*args, cwd=shop)
    assert result.returncode == 2, result.stdout + result.stderr
    assert re.search(message, result.stderr), result.stderr
    assert "Traceback" not in result.stderr and "Running" not in result.stdout


@pytest.mark.slow
def test_a_daily_dag_over_three_dates_builds_three_partitions(shop):
    result = run_dop("run", "daily", "--start", "2024-06-01", "--end", "2024-06-03", "--exclude", "extra", cwd=shop)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert out.startswith("Backfilling dop__daily: 3 logical date(s) from 2024-06-01 to 2024-06-03\n"), out
    runs = re.findall(r"^Running dop__daily for (\S+) on target local \(2 of 3 tasks selected\)$", out, re.M)
    assert runs == ["2024-06-01", "2024-06-02", "2024-06-03"]  # in order, each with the selection
    for number, day in enumerate(runs, 1):
        assert f"=== [{number}/3] {day}: success (2 success)" in out
        assert re.search(rf"^  {day}  success\s+\d+\.\d\ds  2 success$", out, re.M), out
    assert "3 of 3 date(s) succeeded" in out
    assert _rows(shop, "SELECT d, COUNT(*) FROM shop.sales GROUP BY d ORDER BY d") == [
        (dt.date(2024, 6, d), 3) for d in (1, 2, 3)]
    assert _rows(shop, "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'extra'") == [(0,)]
    assert _dag_runs(shop, "dop__daily") == [(f"2024-06-0{d}", "success") for d in (1, 2, 3)]


@pytest.mark.slow
def test_a_failed_date_stops_the_backfill_unless_asked_to_continue(shop):
    stopped = run_dop("backfill", "flaky", "2024-06-01", "2024-06-03", cwd=shop)
    assert stopped.returncode == 1, stopped.stdout + stopped.stderr
    assert re.findall(r"^Running dop__flaky for (\S+)", stopped.stdout, re.M) == ["2024-06-01", "2024-06-02"]
    assert re.search(r"^  2024-06-02  failed\s+\S+  2 success, 1 failed$", stopped.stdout, re.M), stopped.stdout
    assert "=== [2/3] 2024-06-02: failed (2 success, 1 failed)" in stopped.stdout
    assert "  2024-06-03  not run" in stopped.stdout
    assert "1 of 3 date(s) succeeded, 1 failed, 1 not run" in stopped.stdout
    assert _rows(shop, "SELECT DISTINCT d FROM flaky.sales ORDER BY d") == [(dt.date(2024, 6, 1),)]
    assert _dag_runs(shop, "dop__flaky") == [("2024-06-01", "success"), ("2024-06-02", "failed")]

    went_on = run_dop("run", "flaky", "--start", "2024-06-01", "--end", "2024-06-03", "--continue-on-failure",
                      "--format", "json", cwd=shop)
    assert went_on.returncode == 1, went_on.stdout + went_on.stderr
    document = json.loads(went_on.stdout)  # one JSON document on stdout, the progress on stderr
    assert (document["dag_id"], document["start"], document["end"], document["state"]) == (
        "dop__flaky", "2024-06-01", "2024-06-03", "failed")
    assert [(d["logical_date"], d["state"], d["exit_status"]) for d in document["dates"]] == [
        ("2024-06-01", "success", 0), ("2024-06-02", "failed", 1), ("2024-06-03", "success", 0)]
    for each in document["dates"]:
        results = each["results"]
        assert results["logical_date"] == each["logical_date"]
        written = json.loads((shop / ".dop" / "runs" / results["run_id"] / "run_results.json").read_text())
        assert written == results
    third = {t["task_id"]: t for t in document["dates"][2]["results"]["tasks"]}
    assert third["sales"]["rows_written"] == 1
    assert "2 of 3 date(s) succeeded, 1 failed" in went_on.stderr
    assert _rows(shop, "SELECT d FROM flaky.sales ORDER BY d") == [(dt.date(2024, 6, 1),), (dt.date(2024, 6, 3),)]
    assert [run[0] for run in _dag_runs(shop, "dop__flaky")] == ["2024-06-01", "2024-06-02", "2024-06-03"]
