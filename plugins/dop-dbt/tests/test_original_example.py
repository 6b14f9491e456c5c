"""The original DOP's example service project, unchanged, with dop-dbt installed: it validates with only the
deliberate refusal, every DAG lists, graphs and compiles (the tests of tests/compat/test_original_project.py,
run here where its dbt tasks are understood), and ``dop run example_covid19`` for 2021 dates runs every
native task on a full refresh and an incremental run, against a stand-in for the public source table.

The example is the vendored copy in tests/compat/original, or ``$DOP_ORIGINAL_REPO``'s (see
tests/compat/compat_support.py).
"""

from __future__ import annotations

import pathlib
import re
import sys
from typing import Any

import pytest

from dop_core.testing import run_dop

COMPAT = pathlib.Path(__file__).resolve().parents[3] / "tests" / "compat"
sys.path.insert(0, str(COMPAT))

from compat_support import migrated_project  # noqa: E402
from conftest import VENV_ROOT  # noqa: E402
from test_original_project import (  # noqa: E402,F401  (collected here too, with dop-dbt installed)
    example,
    root,
    test_after_the_fix_lines_it_validates_clean,
    test_every_dag_lists_graphs_and_compiles,
    test_only_the_deliberate_refusals_remain_and_their_fix_lines_are_exact,
)

NATIVE = ["assert_upstream_data_is_ready", "create_schema_dop_sandbox_us", "udf_empty_str_as_null", "udf_unpivot",
          "stg_covid19", "covid19_by_country", "covid19_by_country_and_region", "view_covid19_by_country_and_region",
          "data_quality_checks", "sp_all_countries_and_regions", "invoke_sp_all_countries_and_regions",
          "create_schema_dbt_start"]
#: needs the original's Jinja context in SQL (`task['schema']`), which p1-templates brings
NEEDS_ORIGINAL_JINJA = {"invoke_sp_all_countries_and_regions"}
_STATE = re.compile(r"^  (\w+)\s+(success|failed|upstream_failed|skipped|up_for_retry|None)$", re.M)


def _run(project: pathlib.Path, *args: str) -> dict[str, str]:
    result = run_dop("run", *args, "--project", str(project), env={"DOP_DBT_VENV_ROOT": str(VENV_ROOT)})
    assert "Traceback" not in result.stdout.split("\n----- log of failed task")[0]
    states = dict(_STATE.findall(result.stdout))
    assert states, result.stdout + result.stderr
    return states


def _sql(project: pathlib.Path, sql: str) -> list[tuple[Any, ...]]:
    import duckdb

    with duckdb.connect(str(project / ".dop/warehouse.duckdb")) as con:
        return [tuple(r) for r in con.execute(sql).fetchall()]


def _by_day(project: pathlib.Path, table: str) -> dict[str, int]:
    return dict(_sql(project, f"SELECT CAST(date AS VARCHAR), SUM(new_confirmed) FROM dop_sandbox_us.{table} "
                           "GROUP BY 1 ORDER BY 1"))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The example with the stand-in DAG: the stand-in loaded, then a full refresh for 2021-01-02, the source
    changed, then an incremental run for 2021-01-04, with the tables after each run."""
    project = migrated_project(tmp_path_factory.mktemp("original") / "service_project", stand_ins=True)
    out: dict[str, Any] = {"project": project, "stand_in": _run(project, "local_stand_ins", "--date", "2021-01-01")}
    out["full"] = _run(project, "example_covid19", "--date", "2021-01-02", "--full-refresh")
    out["full_stg"], out["full_country"] = _by_day(project, "stg_covid19"), _by_day(project, "covid19_by_country")
    import duckdb

    with duckdb.connect(str(project / ".dop/warehouse.duckdb")) as con:  # new figures for every day, and a new day
        con.execute("UPDATE covid19_open_data.covid19_open_data SET new_confirmed = new_confirmed + 1000")
        con.execute("INSERT INTO covid19_open_data.covid19_open_data SELECT location_key, DATE '2021-01-07', "
                    "country_name, subregion1_name, 7, 0, 0, 0 FROM covid19_open_data.covid19_open_data "
                    "WHERE date = DATE '2021-01-06'")
    out["incremental"] = _run(project, "example_covid19", "--date", "2021-01-04")
    out["stg"], out["country"] = _by_day(project, "stg_covid19"), _by_day(project, "covid19_by_country")
    return out


@pytest.mark.slow
def test_every_native_task_runs_on_a_full_refresh_and_an_incremental_run(runs: dict[str, Any]) -> None:
    assert runs["stand_in"] == {"create_schema_covid19_open_data": "success", "covid19_open_data": "success"}
    for run in ("full", "incremental"):
        native = {t: runs[run].get(t) for t in NATIVE if t not in NEEDS_ORIGINAL_JINJA}
        assert set(native.values()) == {"success"}, (run, native)


@pytest.mark.slow
def test_the_original_partition_semantics(runs: dict[str, Any]) -> None:
    days = [f"2020-12-{d}" for d in range(28, 32)] + [f"2021-01-0{d}" for d in range(1, 7)]
    # a full refresh builds every day of the source (is_incremental() is false)
    assert list(runs["full_stg"]) == days
    assert runs["full_stg"]["2021-01-04"] == 100 + 200 + 300 + 3 * 7
    assert runs["full_country"] == runs["full_stg"]  # summed by country, every day again
    # the incremental run for 2021-01-04 replaced the partitions its query returned (date >= ds) and kept the
    # others as they were, though the source changed for every day
    old = {d: n for d, n in runs["full_stg"].items() if d < "2021-01-04"}
    assert {d: n for d, n in runs["stg"].items() if d < "2021-01-04"} == old
    new = {d: n for d, n in runs["stg"].items() if d >= "2021-01-04"}
    assert new == {**{d: runs["full_stg"][d] + 3000 for d in days if d >= "2021-01-04"}, "2021-01-07": 21}
    assert runs["country"] == runs["stg"]


@pytest.mark.slow
def test_dbt_tasks_write_to_the_dbt_projects_dataset(runs: dict[str, Any]) -> None:
    project = runs["project"]
    assert runs["full"]["create_schema_dbt_start"] == "success"
    profiles = list((project / ".dop/dbt-profiles").glob("dbt_start-*/profiles.yml"))
    assert profiles and all('"schema": "dbt_start"' in p.read_text() for p in profiles)
    # dbt ran (and failed on the example's BigQuery-only model config); its results went to dbt_start
    assert runs["full"]["dbt_start_staging"] == "failed"
    assert _sql(project, "SELECT DISTINCT task_id FROM dbt_start.dbt_run_results") == [("dbt_start_staging",)]


@pytest.mark.slow
def test_the_invocation_reads_the_original_jinja_context(runs: dict[str, Any]) -> None:
    for run in ("full", "incremental"):
        assert runs[run]["invoke_sp_all_countries_and_regions"] == "success"
