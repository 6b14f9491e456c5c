"""Building DAGs (what Airflow does every few seconds) imports no warehouse client, dbt or Spark module."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pytest

RETAIL = pathlib.Path(__file__).parent / "projects" / "retail"
# and Airflow's task supervisor, which its Variable.get imports (longer than DOP's whole build): the DAG_CONCURRENCY
# Variable is read from the environment alone where Airflow itself would (no supervisor, no secrets backend)
HEAVY = ("duckdb", "google.cloud.bigquery", "google.cloud.storage", "google.auth", "google.api_core", "dbt",
         "pyspark", "psycopg", "sqlglot", "airflow.sdk.execution_time.supervisor")

PROBE = """
import json, sys
from dop_core import build_dags
dags = build_dags(sys.argv[1])
heavy = sorted(m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in json.loads(sys.argv[2])))
print(json.dumps({"dags": sorted(dags), "heavy": heavy}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("target", ["local", "prod"])
def test_building_dags_imports_no_heavy_module(tmp_path, target):
    import shutil

    root = tmp_path / "retail"
    shutil.copytree(RETAIL, root, ignore=shutil.ignore_patterns(".dop"))
    (root / "dop_project.yml").write_text(
        "name: retail\ntargets:\n  local: {engine: duckdb}\n  prod: {engine: bigquery, project: p, location: EU}\n")
    result = subprocess.run([sys.executable, "-c", PROBE, str(root), json.dumps(HEAVY)], capture_output=True,
                            text=True, env={"DOP_TARGET": target, "PATH": "/usr/bin:/bin",
                                            "AIRFLOW_HOME": str(tmp_path / "airflow"),
                                            "DOP_DISABLE_PLUGINS": "all"}, check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["dags"] == ["dop__daily_sales", "dop__reporting"]
    assert found["heavy"] == []


def test_importing_dop_core_is_cheap():
    code = "import sys, dop_core; print(sorted(m for m in sys.modules if m.startswith(('airflow', 'sqlalchemy'))))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.slow
def test_a_run_whose_sql_calls_no_python_function_imports_no_numpy(tmp_path):
    # DuckDB imports numpy (~0.1 s of each task's start) when a Python function is registered on a connection:
    # only SQL calling one of DOP's library's Python functions pays it
    from dop_core.testing import ProjectFactory, run_dop

    factory = ProjectFactory(tmp_path / "shop", "name: shop\n")
    factory.dag("numbers", """\
        schedule_interval: null
        schema: main
        tasks:
          - identifier: numbers
            kind: {action: materialization, target: table}
        """, {"numbers": "SELECT x, UNICODE('a') AS code FROM UNNEST(GENERATE_ARRAY(1, 5)) AS x"})
    result = run_dop("run", "numbers", "--date", "2024-06-01", cwd=factory.root, env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert result.returncode == 0, result.stdout + result.stderr
    log = (factory.root / ".dop" / "logs" / "runs" / "dop__numbers" / "2024-06-01.log").read_text()
    imported = {line.rpartition("|")[2].strip() for line in log.splitlines() if "import time:" in line}
    assert {"airflow", "duckdb", "dop_core.sql.library"} <= imported  # the runner's, its task's
    assert sorted(m for m in imported if m.split(".")[0] == "numpy") == []
    import duckdb

    with duckdb.connect(str(factory.root / ".dop" / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT COUNT(*), MIN(code) FROM main.numbers").fetchall() == [(5, 97)]
