"""Commands that print data print only that on stdout: `dop compile ... > task.sql` holds only SQL, the JSON
outputs parse. Logs and warnings (sqlglot's, Airflow's, DOP's) go to stderr. Each command runs in its own
process, as a user's shell runs it, so that Airflow configures its logging as it does there."""

from __future__ import annotations

import json
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

from dop_core.testing import clean_env

RETAIL = pathlib.Path(__file__).parent / "projects" / "retail"
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+Z? \[|\b(WARNING|INFO|DEBUG)\b[: ]|\[(warning|info|debug) *\]", re.M)


@pytest.fixture
def retail(tmp_path: pathlib.Path) -> pathlib.Path:
    root = tmp_path / "retail"
    shutil.copytree(RETAIL, root, ignore=shutil.ignore_patterns(".dop"))
    return root


def dop(root: pathlib.Path, *args: str, stdout: int | object = subprocess.PIPE,
        **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dop_core.cli.main", *args], cwd=root, stdout=stdout,  # type: ignore[call-overload]
                          stderr=subprocess.PIPE, text=True, timeout=300, check=False,
                          env={**_env(), "AIRFLOW_HOME": str(root / ".airflow-home"), **env})


def _env() -> dict[str, str]:

    return {k: v for k, v in clean_env().items() if not k.startswith("AIRFLOW__LOGGING")}


def test_compile_into_a_file_holds_only_sql(retail: pathlib.Path) -> None:
    """Even with Airflow logging at DEBUG (its log lines, like sqlglot's warnings, once landed in the file)."""
    with open(retail / "daily_sales.sql", "w") as out:
        result = dop(retail, "compile", "daily_sales", "--date", "2024-06-01", stdout=out,
                     AIRFLOW__LOGGING__LOGGING_LEVEL="DEBUG")
    assert result.returncode == 0, result.stderr
    sql = (retail / "daily_sales.sql").read_text()
    assert "CALL retail.sp_flag_big_days(DATE '2024-06-01')" in sql
    assert not LOG_LINE.search(sql), LOG_LINE.search(sql)
    assert all(line.startswith("-- ") or not line.startswith(("20", "{", "[")) for line in sql.splitlines())
    assert LOG_LINE.search(result.stderr), result.stderr  # the log is still shown, on stderr


def test_graph_prints_only_the_graph(retail: pathlib.Path) -> None:
    result = dop(retail, "graph", "daily_sales", "--format", "dot")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("digraph ") and result.stdout.rstrip().endswith("}")
    assert not LOG_LINE.search(result.stdout)


def test_list_json(retail: pathlib.Path) -> None:
    result = dop(retail, "list", "--format", "json")
    assert result.returncode == 0, result.stderr
    dags = {d["dag_id"]: d for d in json.loads(result.stdout)}
    assert set(dags) == {"dop__daily_sales", "dop__disabled_dag", "dop__reporting"}
    sales = dags["dop__daily_sales"]
    assert (sales["folder"], sales["enabled"], sales["schedule"]) == ("daily_sales", True, "0 4 * * *")
    tasks = {t["task_id"]: t for t in sales["tasks"]}
    assert tasks["daily_revenue"] == {"task_id": "daily_revenue", "kind": "materialization/table",
                                      "dependencies": ["raw_orders", "udf_clean_store"]}
    assert dags["dop__disabled_dag"]["enabled"] is False


def test_plugins_and_validate_json_parse(retail: pathlib.Path) -> None:
    plugins = dop(retail, "plugins", "--format", "json")
    assert plugins.returncode == 0, plugins.stderr
    assert "dop_core.builtin.materialization.plugin" in {p["name"] for p in json.loads(plugins.stdout)}
    validated = dop(retail, "validate", "--format", "json")
    problems = json.loads(validated.stdout)
    assert isinstance(problems, list)
    assert all({"path", "line", "column", "severity", "message"} <= set(p) for p in problems)
    assert validated.returncode == (1 if any(p["severity"] == "error" for p in problems) else 0)
