"""The dop command line on the retail example project (in-process, through click's runner)."""

from __future__ import annotations

import pathlib
import shutil

import pytest
from click.testing import CliRunner

from dop_core.cli.main import main

RETAIL = pathlib.Path(__file__).parent / "projects" / "retail"


@pytest.fixture
def retail(tmp_path, dop_plugin_manager):
    root = tmp_path / "retail"
    shutil.copytree(RETAIL, root, ignore=shutil.ignore_patterns(".dop"))
    return root


def dop(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_list(retail):
    result = dop("list", "--project", str(retail))
    assert result.exit_code == 0
    assert "dop__daily_sales  schedule: 0 4 * * *  tasks: 10" in result.output
    assert "  daily_revenue  [materialization/table]  <- raw_orders, udf_clean_store" in result.output
    assert "dop__disabled_dag (disabled)" in result.output


def test_graph_mermaid_and_dot(retail):
    mermaid = dop("graph", "daily_sales", "--project", str(retail))
    assert mermaid.exit_code == 0
    assert mermaid.output.startswith("flowchart LR\n")
    assert "    raw_orders --> daily_revenue" in mermaid.output
    assert 'daily_revenue["daily_revenue<br/>materialization/table"]' in mermaid.output
    dot = dop("graph", "dop__daily_sales", "--format", "dot", "--project", str(retail))  # by dag id too
    assert '    "raw_orders" -> "daily_revenue";' in dot.output
    assert dot.output.rstrip().endswith("}")


def test_graph_of_an_unknown_dag(retail):
    result = dop("graph", "daily_sale", "--project", str(retail))
    assert result.exit_code == 1
    assert "no DAG 'daily_sale' in this project" in result.output
    assert "did you mean 'daily_sales'?" in result.output


def test_compile_shows_written_and_translated_sql(retail):
    result = dop("compile", "daily_sales", "store_totals", "--date", "2024-06-01", "--project", str(retail))
    assert result.exit_code == 0
    assert "-- store_totals [materialization/table] (sql/store_totals.sql)" in result.output
    assert "DATE_ADD(MAX(order_date), INTERVAL 1 DAY)" in result.output  # as written (BigQuery)
    assert "-- as sent to duckdb:" in result.output
    assert "CAST(MAX(order_date) + INTERVAL '1' DAY AS DATE)" in result.output  # keeps the DATE type


def test_compile_renders_jinja_and_is_incremental(retail):
    incremental = dop("compile", "daily_sales", "data_quality_checks", "--date", "2024-06-01", "--project",
                      str(retail))
    assert "WHERE order_date = DATE '2024-06-01'" in incremental.output
    assert "'daily_revenue has rows for 2024-06-01' AS description" in incremental.output
    revenue = dop("compile", "daily_sales", "daily_revenue", "--date", "2024-06-01", "--project", str(retail))
    incremental, first = revenue.output.split("-- daily_revenue [materialization/table]")[1:]
    assert incremental.startswith(" (sql/daily_revenue.sql), incremental run")
    assert "AND order_date = DATE '2024-06-01'" in incremental
    assert first.startswith(" (sql/daily_revenue.sql), first run or full refresh")
    assert "AND order_date" not in first
    full = dop("compile", "daily_sales", "daily_revenue", "--full-refresh", "--date", "2024-06-01", "--project",
               str(retail))
    assert full.output.count("-- daily_revenue [materialization/table]") == 1
    assert "AND order_date" not in full.output


def test_project_found_upward_from_a_subfolder(retail, monkeypatch):
    monkeypatch.chdir(retail / "orchestration" / "daily_sales" / "sql")
    result = dop("list")
    assert result.exit_code == 0 and "dop__daily_sales" in result.output


def test_outside_a_project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = dop("list")
    assert result.exit_code == 1
    assert "no dop_project.yml in" in result.output and "dop init" in result.output
