"""dop-postgres as users meet it: the installed entry point, target validation, and cheap parsing."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import dop_postgres.plugin
import pytest

from dop_core import ConfigError
from dop_core.testing import run_dop

PROJECT = """\
name: shop
targets:
  local: {engine: duckdb}
  pg:
    engine: postgres
    dsn: "postgresql://dop:hunter2-pw@127.0.0.1:5432/shop"
"""
DAG = """\
schema: shop
tasks:
  - identifier: orders
    kind: {action: materialization, target: table}
"""


def test_dop_plugins_lists_the_engine() -> None:
    result = run_dop("plugins", "--format", "json")
    assert result.returncode == 0, result.stderr
    plugins = {p["name"]: p for p in json.loads(result.stdout)}
    assert plugins["postgres"]["distribution"] == "dop-postgres"
    assert plugins["postgres"]["registers"] == ["engines:postgres"]


def test_record(register_plugin) -> None:
    registry = register_plugin(dop_postgres.plugin, name="postgres")
    engine = registry.named("engine", "postgres")
    assert (engine.dialect, engine.single_catalog, engine.secrets) == ("postgres", True, ("dsn", "password"))


def test_building_dags_imports_no_database_client(dop_project) -> None:
    dop_project.write("dop_project.yml", PROJECT)
    dop_project.dag("orders", DAG, sql={"orders": "SELECT 1 AS id"})
    code = textwrap.dedent(f"""
        import sys
        from dop_core import build_dags
        dags = build_dags({str(dop_project.root)!r}, "pg")
        assert dags["dop__orders"].get_task("orders").target.engine == "postgres"
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("psycopg", "psycopg2", "asyncpg")
                       or m.startswith("airflow.providers.postgres.hooks") or m == "dop_postgres.engine")
        print(heavy)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize(
    ("target", "message", "line"),
    [
        ("{engine: postgres}", "exactly one of dsn: (a connection string) or conn_id:", 4),
        (
            "{engine: postgres, dsn: 'mysql://u@h/d'}",
            "a postgres DSN starts with postgresql://, not mysql://",
            4,
        ),
        ("{engine: postgres, conn_id: pg, port: 5432}", "unknown key 'port'", 4),
    ],
)
def test_bad_targets_are_reported_with_their_line(
    dop_project, register_plugin, target: str, message: str, line: int
) -> None:
    register_plugin(dop_postgres.plugin, name="postgres")
    dop_project.write("dop_project.yml", f"name: shop\ntargets:\n  local: {{engine: duckdb}}\n  pg: {target}\n")
    dop_project.dag("orders", DAG, sql={"orders": "SELECT 1 AS id"})
    with pytest.raises(ConfigError) as info:
        dop_project.build("pg")
    text = str(info.value)
    assert message in text
    assert f"dop_project.yml:{line}:" in text


def test_without_the_plugin_the_error_says_what_to_install(dop_project) -> None:
    dop_project.write("dop_project.yml", PROJECT)
    dop_project.dag("orders", DAG, sql={"orders": "SELECT 1 AS id"})
    result = run_dop("validate", "--target", "pg", cwd=dop_project.root, env={"DOP_DISABLE_PLUGINS": "postgres"})
    assert result.returncode == 1
    assert "pip install dop-postgres" in result.stdout + result.stderr
    assert "hunter2-pw" not in result.stdout + result.stderr


def test_registering_dop_postgres_imports_only_its_plugin_module() -> None:
    """The target's options model (dop_postgres.target) loads when a postgres target is validated."""
    from dop_core.testing import registration_imports

    assert registration_imports("dop_postgres.plugin") == ["dop_postgres", "dop_postgres.plugin"]


WHOLE_SECONDS = "a whole number of seconds from 1 to 3600 (1h)"
LOCK_SECONDS = "a number of seconds from 0 to 31622400 (366d)"


@pytest.mark.parametrize(
    ("option", "message", "expected", "fix"),
    [
        ("connect_timeout: -5", "-5 is less than 1", WHOLE_SECONDS, "write e.g. 10"),
        ("connect_timeout: 0", "0 is less than 1", WHOLE_SECONDS, "write e.g. 10"),  # libpq: wait forever
        ("connect_timeout: 2.5", "2.5 is not a whole number of seconds", WHOLE_SECONDS, "write e.g. 10"),
        ("connect_timeout: 100000", "100000 is more than 3600", WHOLE_SECONDS, "write e.g. 10"),
        ("lock_timeout: -1", "-1 is less than 0", LOCK_SECONDS, "or 0 not to wait"),
        ("lock_timeout: 1e12", "is more than 31622400", LOCK_SECONDS, "or 0 not to wait"),
    ],
)
def test_a_timeout_out_of_its_bounds_is_an_error_at_its_value(
    dop_project, register_plugin, option: str, message: str, expected: str, fix: str
) -> None:
    from dop_core.testing import check_project

    register_plugin(dop_postgres.plugin, name="postgres")
    line = f"  pg: {{engine: postgres, conn_id: pg, {option}}}"
    path = dop_project.write("dop_project.yml", f"name: shop\ntargets:\n  local: {{engine: duckdb}}\n{line}\n")
    dop_project.dag("orders", DAG, sql={"orders": "SELECT 1 AS id"})
    (error,) = [str(p) for p in check_project(dop_project.root, "pg").problems]
    column = line.index(option) + option.index(":") + 3
    assert error.startswith(f"{path}:4:{column}: error: ") and message in error.splitlines()[0], error
    assert f"    expected: {expected}" in error and fix in error, error


def test_timeouts_on_the_edge_of_their_bounds_pass(dop_project, register_plugin) -> None:
    from dop_core.testing import check_project

    register_plugin(dop_postgres.plugin, name="postgres")
    dop_project.write(
        "dop_project.yml",
        "name: shop\ntargets:\n  local: {engine: duckdb}\n"
        "  pg: {engine: postgres, conn_id: pg, connect_timeout: 1, lock_timeout: 0}\n"
        "  pg2: {engine: postgres, conn_id: pg, connect_timeout: 3600, lock_timeout: 31622400}\n",
    )
    dop_project.dag("orders", DAG, sql={"orders": "SELECT 1 AS id"})
    for target in ("pg", "pg2"):
        assert check_project(dop_project.root, target).problems == []
