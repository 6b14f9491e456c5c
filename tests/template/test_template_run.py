"""The example DAG of a fresh project runs end to end through Airflow on DuckDB (``dop run``)."""

from __future__ import annotations

import datetime as dt
import json
import pathlib

import pytest
from template_support import dop

pytestmark = pytest.mark.slow

SCHEMA = "example_covid19"


def warehouse(project: pathlib.Path) -> object:
    import duckdb

    return duckdb.connect(str(project / ".dop" / "warehouse.duckdb"), read_only=True)


def rows(project: pathlib.Path, sql: str) -> list[tuple[object, ...]]:
    con = warehouse(project)
    try:
        return con.execute(sql).fetchall()  # type: ignore[attr-defined, no-any-return]
    finally:
        con.close()  # type: ignore[attr-defined]


def test_init_run_incremental_and_full_refresh(tmp_path: pathlib.Path) -> None:
    # `dop init --run`: the README's quickstart
    result = dop(
        "init", "my_project", "--no-input", "--no-dbt", "--run", "--output-dir", str(tmp_path), timeout=600
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    project = tmp_path / "my_project"
    assert "DAG run success" in result.stdout
    for task in (
        "create_schema",
        "raw_covid19_cases",
        "udf_empty_str_as_null",
        "daily_cases",
        "v_country_summary",
        "assert_daily_cases_valid",
        "sp_refresh_country_totals",
        "call_sp_refresh_country_totals",
        "announce_done",
    ):
        assert f"{task}" in result.stdout and "failed" not in result.stdout

    tables = {
        (s, t)
        for s, t, *_ in rows(
            project, "SELECT table_schema, table_name, table_type FROM information_schema.tables"
        )
    }
    assert {
        (SCHEMA, "raw_covid19_cases"),
        (SCHEMA, "daily_cases"),
        (SCHEMA, "v_country_summary"),
        (SCHEMA, "country_totals"),
    } <= tables
    # the seed: 21 days x 6 countries; the table: every day up to the run's date
    assert rows(project, f"SELECT COUNT(*) FROM {SCHEMA}.raw_covid19_cases") == [(126,)]
    assert rows(project, f"SELECT MIN(date), MAX(date), COUNT(*) FROM {SCHEMA}.daily_cases") == [
        (dt.date(2024, 5, 18), dt.date(2024, 6, 1), 15 * 6)
    ]
    # the UDF turned '' and 'n/a' into NULL (US and NZ), the view shows them as 'unknown'
    assert rows(
        project, f"SELECT country_code FROM {SCHEMA}.daily_cases WHERE region IS NULL GROUP BY 1 ORDER BY 1"
    ) == [("NZ",), ("US",)]
    summary = dict(rows(project, f"SELECT country_code, region FROM {SCHEMA}.v_country_summary"))
    assert summary == {
        "BR": "South America",
        "FR": "Europe",
        "GB": "Europe",
        "JP": "Asia",
        "NZ": "unknown",
        "US": "unknown",
    }
    # the stored procedure ran for the run's date
    assert rows(project, f"SELECT as_of, COUNT(*) FROM {SCHEMA}.country_totals GROUP BY 1") == [
        (dt.date(2024, 6, 1), 6)
    ]
    # the 7-day window was computed over the whole history
    assert rows(
        project,
        f"SELECT confirmed_last_7_days = (SELECT SUM(new_confirmed) FROM {SCHEMA}.raw_covid19_cases "
        "WHERE country_code = 'GB' AND date BETWEEN DATE '2024-05-26' AND DATE '2024-06-01') "
        f"FROM {SCHEMA}.daily_cases WHERE country_code = 'GB' AND date = DATE '2024-06-01'",
    ) == [(True,)]

    # an incremental run two days later replaces only the last lookback_days (7) partitions
    result = dop("run", "example_covid19", "--date", "2024-06-03", cwd=project)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    log = (project / ".dop/logs/runs/dop__example_covid19/2024-06-03.log").read_text()
    assert "updated example_covid19.daily_cases: replaced 7 partition(s) (42 rows)" in log
    assert "assertion assert_daily_cases_valid: 4 passed, 0 failed" in log
    assert rows(project, f"SELECT MAX(date), COUNT(*) FROM {SCHEMA}.daily_cases") == [
        (dt.date(2024, 6, 3), 17 * 6)
    ]

    # a full refresh rebuilds from scratch
    result = dop("run", "example_covid19", "--date", "2024-06-02", "--full-refresh", cwd=project)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    log = (project / ".dop/logs/runs/dop__example_covid19/2024-06-02-full-refresh.log").read_text()
    assert "full refresh of example_covid19.daily_cases (96 rows)" in log
    assert "full refresh: True" in log  # the BashOperator saw the param
    assert rows(project, f"SELECT MAX(date), COUNT(*) FROM {SCHEMA}.daily_cases") == [
        (dt.date(2024, 6, 2), 16 * 6)
    ]
    assert rows(project, f"SELECT as_of FROM {SCHEMA}.country_totals GROUP BY 1 ORDER BY 1") == [
        (dt.date(2024, 6, 1),),
        (dt.date(2024, 6, 2),),
        (dt.date(2024, 6, 3),),
    ]


def test_a_failing_assertion_stops_the_run_with_a_readable_report(tmp_path: pathlib.Path) -> None:
    assert dop("init", "p", "--no-input", "--no-dbt", "--output-dir", str(tmp_path)).returncode == 0
    project = tmp_path / "p"
    seed = project / "orchestration/example_covid19/data/raw_covid19_cases.csv"
    lines = seed.read_text().splitlines()
    date, code, name, region, population, confirmed, _deceased, tested = lines[1].split(",")
    lines[1] = ",".join([date, code, name, region, population, confirmed, str(int(confirmed) + 5), tested])
    seed.write_text("\n".join(lines) + "\n")
    result = dop("run", "example_covid19", "--date", "2024-06-01", cwd=project)
    assert result.returncode == 1
    assert "assert_daily_cases_valid" in result.stderr
    assert "never more deaths than new cases on a day" in result.stderr
    assert "3 passed, 1 failed" in result.stderr


def test_a_hostile_variable_or_conf_reaches_neither_the_sql_nor_the_shell(
    new_project: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    marker = tmp_path / "pwned"
    payload = f"7 DAY) OR TRUE --\n$(touch {marker})"
    variable = {"AIRFLOW_VAR_DOP__EXAMPLE_COVID19.LOOKBACK_DAYS": payload}
    result = dop("run", "example_covid19", "--date", "2024-06-01", cwd=new_project, env=variable)
    assert result.returncode == 1
    assert (
        "param 'lookback_days' of DAG dop__example_covid19: the Airflow Variable "
        f"dop__example_covid19.lookback_days holds {payload!r}, which is not an integer (minimum 1; maximum 366)"
    ) in result.stderr
    assert "DAG run failed" in result.stdout and not marker.exists()
    assert not (new_project / ".dop" / "warehouse.duckdb").exists()  # the first task refused to render: nothing ran

    result = dop("run", "example_covid19", "--date", "2024-06-01", "--conf", json.dumps({"lookback_days": payload}),
                 cwd=new_project)
    assert result.returncode == 1 and not marker.exists()
    assert "--conf gives" in result.stderr and "the run was not started" in result.stderr
