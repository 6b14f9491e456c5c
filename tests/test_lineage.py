"""Dependencies read from the SQL: ``dop validate`` warns about a task reading a table that a task it does not
wait for writes (at the reference's line and column), and ``dependencies: auto`` adds the inferred edges to
the built DAG without importing sqlglot while building it."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest

from dop_core.testing import run_dop

SALES = """\
schema: sales
tasks:
  - identifier: orders
    kind: {action: materialization, target: table}
  - identifier: totals
    kind: {action: materialization, target: table}
    dependencies: [orders]
  - identifier: check_totals
    kind: {action: assertion, target: assertion}
    dependencies: [orders]
"""
SQL = {
    "orders": "SELECT 1 AS id, 10 AS amount",
    "totals": "WITH o AS (SELECT * FROM sales.orders)\nSELECT sum(amount) AS total\nFROM o",
    "check_totals": "SELECT total > 0 AS success,\n       'positive' AS description\nFROM   sales.totals\n"
                    "{% if is_incremental() %}WHERE TRUE{% endif %}",
}
MISSING = "task 'check_totals' reads sales.totals, which task 'totals' of this DAG writes, but does not depend on it"


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    monkeypatch.delenv("DOP_PARSE_CACHE", raising=False)
    monkeypatch.delenv("DOP_PARSE_CACHE_DIR", raising=False)


def edges(dag):
    return sorted((up, t.task_id) for t in dag.tasks for up in t.upstream_task_ids)


def warnings_of(root):
    from dop_core.check.project import check_project

    report = check_project(root)
    assert report.ok, [str(p) for p in report.problems]
    return [p for p in report.problems if p.severity == "warning"]


def test_a_task_reading_a_table_it_does_not_wait_for_is_warned_at_the_reference(dop_project):
    folder = dop_project.dag("sales", SALES, sql=SQL)
    result = run_dop("validate", "--project", str(dop_project.root), env={"XDG_CACHE_HOME": str(dop_project.root)})
    assert result.returncode == 0, result.stderr
    sql_file = folder / "sql" / "check_totals.sql"
    assert f"{sql_file}:3:8: warning: {MISSING}: it can run before sales.totals is written" in result.stderr
    assert "fix: add totals to the dependencies of check_totals (sales/config.yaml line 10), or write " \
           "`dependencies: auto` there" in result.stderr
    # totals depends on orders and reads it (through a CTE): no warning; check_totals lists orders and does not
    # read it: fine, what is written wins
    assert result.stderr.count("warning:") == 1
    assert "OK: 1 DAG(s) valid, 1 warning(s)" in result.stdout
    assert run_dop("validate", "--strict", "--project", str(dop_project.root)).returncode == 1


def test_a_dependency_through_other_tasks_is_enough(dop_project):
    config = SALES.replace("    kind: {action: assertion, target: assertion}\n    dependencies: [orders]",
                           "    kind: {action: assertion, target: assertion}\n    dependencies: [totals]")
    dop_project.dag("sales", config, sql={**SQL, "check_totals": "SELECT TRUE AS success, 'x' AS description "
                                          "FROM sales.orders"})  # orders is upstream of totals
    assert warnings_of(dop_project.root) == []


def test_a_task_running_before_the_writer_is_told_it_reads_the_previous_run(dop_project):
    config = SALES.replace("    kind: {action: materialization, target: table}\n    dependencies: [orders]",
                           "    kind: {action: materialization, target: table}\n    dependencies: [check_totals]")
    dop_project.dag("sales", config, sql=SQL)
    [warning] = warnings_of(dop_project.root)
    assert warning.message == (f"{MISSING}: it runs before 'totals', so it reads sales.totals as the previous run "
                               "left it")


@pytest.mark.parametrize("where", ["task", "dag"])
def test_dependencies_auto_adds_the_inferred_edges(dop_project, where):
    if where == "task":
        config = SALES.replace("    dependencies: [orders]\n", "    dependencies: auto\n")
    else:
        config = "dependencies: auto\n" + SALES.replace("    dependencies: [orders]\n", "", 1)
    dop_project.dag("sales", config, sql=SQL)
    assert warnings_of(dop_project.root) == []  # dop validate records the reads
    dag = dop_project.build()["dop__sales"]
    if where == "task":  # check_totals reads totals only: orders is not its upstream any more
        assert edges(dag) == [("orders", "totals"), ("totals", "check_totals")]
    else:  # the DAG's auto adds to what each task lists
        assert edges(dag) == [("orders", "check_totals"), ("orders", "totals"), ("totals", "check_totals")]


PROBE = """
import json, logging, sys
logging.getLogger("dop_core").addHandler(logging.StreamHandler(sys.stderr))  # what Airflow's parse log shows
from dop_core import build_dags
dag = build_dags(sys.argv[1])["dop__sales"]
print(json.dumps({"edges": sorted([u, t.task_id] for t in dag.tasks for u in t.upstream_task_ids),
                  "sqlglot": sorted(m for m in sys.modules if m.split(".")[0] == "sqlglot")}))
"""


@pytest.mark.slow
def test_building_uses_what_dop_validate_recorded_and_imports_no_sqlglot(dop_project, tmp_path):
    dop_project.dag("sales", SALES.replace("    dependencies: [orders]\n", "    dependencies: auto\n"), sql=SQL)
    env = {"XDG_CACHE_HOME": str(tmp_path / "user-cache"), "AIRFLOW_HOME": str(tmp_path / "airflow"),
           "PATH": "/usr/bin:/bin"}

    def build():
        result = subprocess.run([sys.executable, "-c", PROBE, str(dop_project.root)], capture_output=True, text=True,
                                env=env, check=False, timeout=120)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout.strip().splitlines()[-1]), result.stderr

    assert run_dop("validate", "--project", str(dop_project.root), env=env).returncode == 0
    found, stderr = build()
    assert found == {"edges": [["orders", "totals"], ["totals", "check_totals"]], "sqlglot": []}
    assert "not recorded" not in stderr
    # the SQL changes and nobody runs dop validate: the build reads it (and says so) rather than drop an edge
    (dop_project.root / "orchestration/sales/sql/check_totals.sql").write_text(
        "SELECT TRUE AS success, 'x' AS description FROM sales.orders")
    found, stderr = build()
    assert found["edges"] == [["orders", "check_totals"], ["orders", "totals"]]
    assert "DOP DAG dop__sales: the tables its tasks read (for `dependencies: auto`) are not recorded" in stderr
    assert "Run `dop validate`" in stderr


def test_without_a_recorded_entry_the_build_reads_the_sql_and_warns(dop_project, caplog):
    dop_project.dag("sales", SALES.replace("    dependencies: [orders]\n", "    dependencies: auto\n"), sql=SQL)
    with caplog.at_level(logging.WARNING, logger="dop_core.lineage.infer"):
        dag = dop_project.build()["dop__sales"]
    assert edges(dag) == [("orders", "totals"), ("totals", "check_totals")]
    assert "Run `dop validate` after changing the SQL" in caplog.text


def test_auto_making_a_cycle_is_an_error_at_the_dependencies(dop_project):
    config = SALES.replace("  - identifier: orders\n    kind: {action: materialization, target: table}\n",
                           "  - identifier: orders\n    kind: {action: materialization, target: table}\n"
                           "    dependencies: auto\n")
    dop_project.dag("sales", config, sql={**SQL, "orders": "SELECT * FROM sales.totals"})
    from dop_core.check.project import check_project

    report = check_project(dop_project.root)
    [error] = [p for p in report.problems if p.severity == "error"]
    assert (error.location.line, error.location.column) == (5, 19)
    assert error.message == ("`dependencies: auto` makes a dependency cycle: orders depends on totals (reads "
                             "sales.totals, which totals writes); totals depends on orders (lists it)")
    dag = dop_project.build()["dop__sales"]  # Airflow shows the error
    assert "dop:config-error" in dag.tags


def test_a_misspelt_auto_is_an_error_with_a_suggestion(dop_project):
    dop_project.dag("sales", SALES.replace("    dependencies: [orders]\n", "    dependencies: autoo\n", 1), sql=SQL)
    result = run_dop("validate", "--project", str(dop_project.root))
    assert result.returncode == 1
    assert "sales/config.yaml:7:19: error: 'autoo' is not allowed here" in result.stderr
    assert "did you mean 'auto'?" in result.stderr


def test_auto_in_a_list_says_how_to_combine_it(dop_project):
    from dop_core.check.project import check_project

    dop_project.dag("sales", SALES.replace("    dependencies: [orders]\n", "    dependencies: [orders, auto]\n", 1),
                    sql=SQL)
    [error] = check_project(dop_project.root).problems
    assert (error.location.line, error.location.column, error.message) == (7, 28, "unknown dependency 'auto'")
    assert error.fix == ("`auto` stands alone (`dependencies: auto`, see docs/lineage.md); to add the dependencies "
                         "read from the SQL to the ones listed, write `dependencies: auto` on the DAG")


def test_auto_on_a_task_whose_sql_dop_does_not_read_is_a_warning(dop_project):
    config = SALES + ("  - identifier: notify\n    kind: {action: airflow_operator, "
                      "target: airflow.providers.standard.operators.empty.EmptyOperator}\n    dependencies: auto\n")
    dop_project.dag("sales", config, sql=SQL)
    found = [p for p in warnings_of(dop_project.root) if "notify" in p.message]
    assert [(p.location.line, p.message) for p in found] == [
        (13, "task 'notify' (airflow_operator/airflow.providers.standard.operators.empty.EmptyOperator) has "
             "`dependencies: auto`, but DOP reads the tables of table, view and assertion tasks only: it gets no "
             "dependency")]


REPORT = """\
schema: reports
{extra}tasks:
  - identifier: report
    kind: {{action: materialization, target: table}}
"""


@pytest.mark.parametrize("extra, warned", [
    ("", True),
    ("schedule_interval: {assets: [sales.totals]}\n", False),
    ("triggers:\n  - kind: external_task\n    options: {dag: sales}\n", False),
])
def test_a_table_another_dag_writes_suggests_waiting_for_it(dop_project, extra, warned):
    dop_project.dag("sales", SALES.replace("target: assertion}\n    dependencies: [orders]",
                                           "target: assertion}\n    dependencies: [totals]"), sql=SQL)
    folder = dop_project.dag("reports", REPORT.format(extra=extra), sql={"report": "SELECT *\nFROM sales.totals"})
    found = [p for p in warnings_of(dop_project.root) if "reports" in p.location.path]
    if not warned:
        assert found == []
        return
    [warning] = found
    assert str(warning.location) == f"{folder / 'sql' / 'report.sql'}:2:6"
    assert warning.message == ("task 'report' reads sales.totals, which task 'totals' of DAG dop__sales writes, but "
                               "dop__reports does not wait for it")
    assert warning.fix == ("schedule reports on the table (`schedule_interval: {assets: [sales.totals]}`, see "
                           "docs/triggers.md), or wait for that DAG with a trigger `{kind: external_task, options: "
                           "{dag: sales}}`")


def test_tasks_declare_the_tables_they_read_as_asset_inlets_once_dop_validate_recorded_them(dop_project):
    dop_project.dag("sales", SALES, sql=SQL)
    # never validated here: building reads no SQL for inlets (only `auto` makes it read the SQL)
    assert dop_project.build()["dop__sales"].get_task("check_totals").inlets == []
    warnings_of(dop_project.root)
    dag = dop_project.build()["dop__sales"]
    uris = {t.task_id: ([a.uri for a in t.inlets], [a.uri for a in t.outlets]) for t in dag.tasks}
    assert uris == {"orders": ([], ["x-dop://test_project/sales.orders"]),
                    "totals": (["x-dop://test_project/sales.orders"], ["x-dop://test_project/sales.totals"]),
                    "check_totals": (["x-dop://test_project/sales.totals"], [])}


def test_dop_graph_lineage_draws_the_tables_and_the_tasks(dop_project):
    dop_project.dag("sales", SALES, sql={**SQL, "orders": "SELECT * FROM raw.orders_feed"})
    result = run_dop("graph", "sales", "--lineage", "--project", str(dop_project.root))
    assert result.returncode == 0, result.stderr
    assert result.stdout == """\
flowchart LR
    orders["orders<br/>materialization/table"]
    totals["totals<br/>materialization/table"]
    check_totals["check_totals<br/>assertion/assertion"]
    table_raw_orders_feed[("raw.orders_feed")]
    table_sales_orders[("sales.orders")]
    table_sales_totals[("sales.totals")]
    orders --> table_sales_orders
    totals --> table_sales_totals
    table_raw_orders_feed --> orders
    table_sales_orders --> totals
    table_sales_totals --> check_totals
    orders -.-> check_totals
"""
    dot = run_dop("graph", "sales", "--lineage", "--format", "dot", "--project", str(dop_project.root)).stdout
    assert '    "sales.totals" [shape=cylinder];\n' in dot
    assert '    "sales.totals" -> "check_totals";\n' in dot
    assert '    "orders" -> "check_totals" [style=dashed];\n' in dot


def test_a_call_to_a_udf_of_the_dag_is_a_dependency_on_the_task_making_it(dop_project):
    config = SALES + ("  - identifier: clean\n    kind: {action: materialization, target: udf}\n"
                      "    options: {arguments: [{name: s, type: STRING}]}\n")
    sql = {**SQL, "clean": "LOWER(s)", "orders": "SELECT sales.clean('A') AS id, 10 AS amount"}
    dop_project.dag("sales", config, sql=sql)
    [warning] = [p for p in warnings_of(dop_project.root) if "clean" in p.message]
    assert (warning.location.line, warning.location.column) == (1, 8)
    assert warning.message.startswith("task 'orders' reads sales.clean(), which task 'clean' of this DAG writes")
    dop_project.dag("sales", config.replace("    kind: {action: materialization, target: table}\n",
                                            "    kind: {action: materialization, target: table}\n"
                                            "    dependencies: auto\n", 1), sql=sql)
    assert ("clean", "orders") in edges(dop_project.build()["dop__sales"])
