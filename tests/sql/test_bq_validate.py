"""``dop validate`` reports SQL that cannot keep its BigQuery meaning on the target engine, at its line."""

from __future__ import annotations

import pathlib

from dop_core.check.project import check_project


def project(tmp_path: pathlib.Path, sql: str) -> pathlib.Path:
    root = tmp_path / "project"
    dag = root / "orchestration" / "shop"
    (dag / "sql").mkdir(parents=True)
    (root / "dop_project.yml").write_text("name: shop\n")
    (dag / "config.yaml").write_text("schema: retail\ntasks:\n  - identifier: baskets\n"
                                     "    kind: {action: materialization, target: table}\n")
    (dag / "sql" / "baskets.sql").write_text(sql)
    return root


def test_untranslatable_sql_is_an_error_at_its_line(tmp_path, dop_plugin_manager):
    root = project(tmp_path, "SELECT\n  customer,\n  JSON_VALUE(payload, 'lax $.items') AS items\n"
                             "FROM retail.orders\n")
    report = check_project(root)
    errors = [p for p in report.problems if p.severity == "error"]
    assert len(errors) == 1, report.problems
    problem = errors[0]
    assert problem.location.path.endswith("shop/sql/baskets.sql")
    assert (problem.location.line, problem.location.column) == (3, 24)  # at the lax mode the engine cannot keep
    assert "lax" in problem.message and "duckdb" in problem.message
    assert problem.fix


def test_translatable_sql_validates(tmp_path, dop_plugin_manager):
    root = project(tmp_path, "SELECT x, o FROM UNNEST([1, 2]) AS x WITH OFFSET AS o\n")
    assert check_project(root).ok
