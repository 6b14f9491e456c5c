"""``dop test``: unit tests of SQL tasks on an in-memory DuckDB, with row diffs and located errors."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import textwrap

import pytest

from dop_core.sqltest.diff import describe
from dop_core.sqltest.report import run_tests, text
from dop_core.testing import clean_env, run_dop

CONFIG = """\
    schema: shop
    start_date: 2024-06-01
    params:
      min_amount: 0
      country: GB
    tasks:
      - identifier: raw_orders
        kind: {action: materialization, target: seed}
      - identifier: daily_revenue
        kind: {action: materialization, target: table}
        partitioning: {field: day, data_type: date}
        dependencies: [raw_orders]
      - identifier: v_big_orders
        kind: {action: materialization, target: view}
        dependencies: [raw_orders]
      - identifier: assert_revenue_positive
        kind: {action: assertion, target: assertion}
        dependencies: [daily_revenue]
    """
SQL = {
    # the last two days up to the run's date (every day on a first run or a full refresh)
    "daily_revenue": """\
        SELECT order_date AS day, country, SUM(amount) AS revenue, COUNT(*) AS orders
        FROM `my-gcp-project.shop.raw_orders`
        WHERE amount >= {{ params.min_amount | int }} AND country = {{ params.country | tojson }}
          AND order_date <= DATE '{{ ds }}'
        {% if is_incremental() %}
          AND order_date > DATE_SUB(DATE '{{ ds }}', INTERVAL 2 DAY)
        {% endif %}
        GROUP BY order_date, country
        """,
    "v_big_orders": "SELECT order_id, amount FROM shop.raw_orders WHERE amount >= 100\n",
    "assert_revenue_positive": """\
        SELECT COUNTIF(revenue < 0) = 0 AS success, 'no negative revenue' AS description
        FROM shop.daily_revenue
        UNION ALL
        SELECT COUNT(*) > 0, 'a row for {{ ds }}' FROM shop.daily_revenue WHERE day = DATE '{{ ds }}'
        """,
}
ORDERS = """\
      my-gcp-project.shop.raw_orders:
        - {order_id: 1, order_date: 2024-06-01, country: GB, amount: 10}
        - {order_id: 2, order_date: 2024-06-02, country: GB, amount: 20}
        - {order_id: 3, order_date: 2024-06-02, country: GB, amount: 120}
        - {order_id: 4, order_date: 2024-06-02, country: FR, amount: 50}
        - {order_id: 5, order_date: 2024-06-03, country: GB, amount: 5}
"""


def given_orders(text: str) -> str:
    """A test file's text: ``text`` dedented, each line ``  GIVEN`` replaced by ``given:`` with the orders."""
    return textwrap.dedent(text).replace("  GIVEN\n", "  given:\n" + ORDERS)


FIRST_RUN = given_orders("""\
    - name: a first run sums every day up to the date
      date: 2024-06-02
      GIVEN
      expect:
        - {day: 2024-06-01, country: GB, revenue: 10, orders: 1}
        - {day: 2024-06-02, country: GB, revenue: 140, orders: 2}
    """)


def project(dop_project, tests: dict[str, str] | None = None, config: str = CONFIG):
    files = {f"tests/{task}.yaml": text_ for task, text_ in (tests or {}).items()}
    files["data/raw_orders.csv"] = "order_id,order_date,country,amount\n"
    dop_project.dag("shop", config, SQL, files)
    return dop_project.project()


def only(report):
    assert not report.problems, "\n".join(str(p) for p in report.problems)
    assert len(report.results) == 1, report.results
    return report.results[0]


def shown(report) -> str:
    return "\n".join(line for line, _ in text(report))


def test_correct_sql_passes(dop_project):
    report = run_tests(project(dop_project, {"daily_revenue": FIRST_RUN}))
    result = only(report)
    assert result.status == "passed", shown(report)
    assert report.ok
    assert shown(report).startswith("PASS  shop.daily_revenue: a first run sums every day up to the date (")


def test_a_changed_expected_row_fails_with_a_diff(dop_project):
    tests = FIRST_RUN.replace("revenue: 140, orders: 2", "revenue: 150, orders: 2") + given_orders("""\
        - name: an extra and a missing row
          date: 2024-06-02
          GIVEN
          expect:
            - {day: 2024-06-01, country: GB, revenue: 10, orders: 1}
            - {day: 2024-06-02, country: GB, revenue: 140, orders: 2}
            - {day: 2024-06-02, country: FR, revenue: 50, orders: 1}
        """)
    report = run_tests(project(dop_project, {"daily_revenue": tests}))
    changed, extra = report.results
    assert (changed.status, extra.status) == ("failed", "failed")
    assert not report.ok
    assert describe(changed.diff) == [
        "expected 2 row(s), got 2 (compared: day, country, revenue, orders)",
        '~ {day: 2024-06-02, country: "GB", revenue: 150, orders: 2}',
        "    revenue: expected 150, got 140",
    ]
    assert describe(extra.diff)[1:] == ['- missing:    {day: 2024-06-02, country: "FR", revenue: 50, orders: 1}']
    out = shown(report)
    assert "FAIL  shop.daily_revenue: an extra and a missing row" in out
    where = pathlib.Path(report.results[0].case.location.path)
    assert where.name == "daily_revenue.yaml" and f"{where}:1:9" in out  # the test's name


def test_an_incremental_partitioned_run_replaces_the_partitions_the_query_returns(dop_project):
    tests = given_orders("""\
        - name: an incremental run rebuilds the last two days
          date: 2024-06-03
          GIVEN
          existing:   # the table before the run; columns left out are NULL
            - {day: 2024-05-31, country: GB, revenue: 7, orders: 1}
            - {day: 2024-06-01, country: GB, revenue: 99, orders: 9}
            - {day: 2024-06-02, country: GB, revenue: 99, orders: 9}
          expect:
            - {day: 2024-05-31, country: GB, revenue: 7, orders: 1}
            - {day: 2024-06-01, country: GB, revenue: 99, orders: 9}
            - {day: 2024-06-02, country: GB, revenue: 140, orders: 2}
            - {day: 2024-06-03, country: GB, revenue: 5, orders: 1}
        - name: a full refresh rebuilds the table from the query alone
          date: 2024-06-03
          full_refresh: true
          GIVEN
          existing:
            - {day: 2024-05-31, country: GB}
          expect:
            - {day: 2024-06-01, revenue: 10}
            - {day: 2024-06-02, revenue: 140}
            - {day: 2024-06-03, revenue: 5}
        """)
    report = run_tests(project(dop_project, {"daily_revenue": tests}))
    assert [r.status for r in report.results] == ["passed", "passed"], shown(report)


def test_a_wrong_incremental_expectation_shows_the_kept_partition(dop_project):
    tests = given_orders("""\
        - name: forgets the kept day
          date: 2024-06-03
          GIVEN
          existing:
            - {day: 2024-06-01, country: GB, revenue: 99, orders: 9}
          expect:
            - {day: 2024-06-02, revenue: 140}
            - {day: 2024-06-03, revenue: 5}
        """)
    result = only(run_tests(project(dop_project, {"daily_revenue": tests})))
    assert describe(result.diff)[1:] == ["+ unexpected: {day: 2024-06-01, revenue: 99}"]


def test_an_assertion_is_tested_by_its_success_and_description_rows(dop_project):
    tests = given_orders("""\
        - name: passes on good rows
          date: 2024-06-02
          given:
            shop.daily_revenue:
              - {day: 2024-06-02, revenue: 10}
          expect:
            - {success: true, description: no negative revenue}
            - {success: true, description: a row for 2024-06-02}
        - name: catches a negative revenue and a missing day
          date: 2024-06-03
          given:
            shop.daily_revenue:
              - {day: 2024-06-02, revenue: -1}
          expect:
            - {success: false, description: no negative revenue}
            - {success: false, description: a row for 2024-06-03}
        """)
    report = run_tests(project(dop_project, {"assert_revenue_positive": tests}))
    assert [r.status for r in report.results] == ["passed", "passed"], shown(report)


def test_params_and_the_date_reach_the_template(dop_project):
    tests = given_orders("""\
        - name: the French orders of 2024-06-02 and later, from 50
          date: 2024-06-03
          params: {country: FR, min_amount: 50}
          GIVEN
          expect:
            - {day: 2024-06-02, country: FR, revenue: 50}
        - name: without a date, the DAG's start_date
          GIVEN
          expect:
            - {day: 2024-06-01, country: GB, revenue: 10}
        """)
    report = run_tests(project(dop_project, {"daily_revenue": tests}))
    assert [r.status for r in report.results] == ["passed", "passed"], shown(report)


def test_a_view_and_ordered_rows(dop_project):
    tests = given_orders("""\
        - name: big orders, in any order
          GIVEN
          expect:
            - {order_id: 3, amount: 120}
        - name: order matters when the test says so
          given:
            my-gcp-project.shop.raw_orders:
              - {order_id: 2, amount: 200}
              - {order_id: 1, amount: 100}
          ordered: true
          expect:
            - {order_id: 1, amount: 100}
            - {order_id: 2, amount: 200}
        """)
    report = run_tests(project(dop_project, {"v_big_orders": tests}))
    passed, failed = report.results
    assert passed.status == "passed", shown(report)
    assert failed.status == "failed"
    assert describe(failed.diff)[1:] == ["~ {order_id: 1, amount: 100}", "    order_id: expected 1, got 2",
                                         "    amount: expected 100, got 200", "~ {order_id: 2, amount: 200}",
                                         "    order_id: expected 2, got 1", "    amount: expected 200, got 100"]


def test_declared_column_types_are_in_the_project_dialect(dop_project):
    tests = textwrap.dedent("""\
        - name: NUMERIC amounts keep their decimals
          date: 2024-06-01
          given:
            my-gcp-project.shop.raw_orders:
              columns: {amount: NUMERIC, order_date: DATE}
              rows:
                - {order_id: 1, order_date: "2024-06-01", country: GB, amount: 0.1}
                - {order_id: 2, order_date: "2024-06-01", country: GB, amount: 0.2}
          expect:
            - {day: 2024-06-01, revenue: 0.3}
        """)
    report = run_tests(project(dop_project, {"daily_revenue": tests}))
    result = only(report)
    assert result.status == "passed", shown(report)


def test_tests_written_under_the_task_in_config_yaml(dop_project):
    config = CONFIG.replace("        dependencies: [raw_orders]\n      - identifier: v_big_orders", textwrap.indent(
        textwrap.dedent("""\
            dependencies: [raw_orders]
            tests:
              - name: written in config.yaml
                date: 2024-06-01
                given:
                  my-gcp-project.shop.raw_orders:
                    - {order_id: 1, order_date: 2024-06-01, country: GB, amount: 10}
                expect:
                  - {day: 2024-06-01, revenue: 11}
        """), "        ") + "      - identifier: v_big_orders")
    report = run_tests(project(dop_project, config=config))
    result = only(report)
    assert result.status == "failed"
    assert result.case.location.path.endswith("config.yaml")
    assert (result.case.location.line, result.case.location.column) == (14, 15)
    assert describe(result.diff)[1:] == ["~ {day: 2024-06-01, revenue: 11}", "    revenue: expected 11, got 10"]


@pytest.mark.parametrize(("tests", "where", "texts"), [
    ("- name: a typo\n  expcet: []\n", "2:3", ["unknown key 'expcet'", "did you mean 'expect'?"]),
    ("- name: no expectation\n  given: {}\n", "1:3", ["missing required key 'expect'"]),
    ("- name: t\n  given:\n    shop.x:\n      - {a: 1}\n      - {a: one}\n  expect: []\n", "5:13",
     ["column 'a' holds integers and strings", "columns: {a: TYPE}"]),
    ("- name: t\n  given:\n    shop.x:\n      rows: [{a: 1}]\n      colums: {a: INT64}\n  expect: []\n", "5:7",
     ["unknown key 'colums'", "did you mean 'columns'?"]),
    ("- name: t\n  given:\n    shop.x: {columns: {a: NOT A TYPE}, rows: []}\n  expect: []\n", "3:27",
     ["is not a bigquery type"]),
    ("- name: t\n  params: {contry: FR}\n  expect: []\n", "2:12", ["the DAG has no param 'contry'",
                                                               "did you mean 'country'?"]),
    ("- name: t\n  params: {min_amount: lots}\n  expect: []\n", "2:24", ["'lots' does not fit param 'min_amount'",
                                                                       "an integer"]),
    ("- name: t\n  date: someday\n  expect: []\n", "2:9", ["'someday' is not a date"]),
    ("- name: t\n  expect: [}\n", "2:12", ["invalid YAML"]),
    ("name: t\nexpect: []\n", "1:1", ["not a list of tests"]),
])
def test_a_broken_test_file_is_reported_where_it_is(dop_project, tests, where, texts):
    report = run_tests(project(dop_project, {"daily_revenue": tests}))
    assert not report.ok
    assert all(r.status == "error" for r in report.results)
    shown_ = "\n".join(str(p) for p in [*report.problems, *(p for r in report.results for p in r.problems)])
    assert f"daily_revenue.yaml:{where}: error: " in shown_, shown_
    for piece in texts:
        assert piece in shown_


def test_a_test_file_named_after_no_task_and_a_test_of_a_seed_are_refused(dop_project):
    report = run_tests(project(dop_project, {"daily_revenu": FIRST_RUN, "raw_orders": FIRST_RUN}))
    shown_ = "\n".join(str(p) for p in report.problems)
    assert "daily_revenu.yaml:1:1: error: tests/daily_revenu.yaml is named after no task" in shown_
    assert "did you mean 'daily_revenue'?" in shown_
    assert "raw_orders.yaml:1:3: error: `dop test` runs the SQL of materialization/table" in shown_
    assert "task 'raw_orders' is materialization/seed" in shown_


def test_a_table_the_test_does_not_give_is_named(dop_project):
    tests = "- name: nothing given\n  expect: []\n"
    result = only(run_tests(project(dop_project, {"daily_revenue": tests})))
    assert result.status == "error"
    assert "raw_orders does not exist" in result.message and "under `given:`" in result.message


def test_sql_that_does_not_translate_is_an_error_at_its_line(dop_project):
    sql = dict(SQL, v_big_orders="SELECT order_id,\n  amount FROM shop.raw_orders WHERE amount >>= 1\n")
    dop_project.dag("shop", CONFIG, sql, {"tests/v_big_orders.yaml": "- name: t\n  expect: []\n",
                                          "data/raw_orders.csv": "a\n"})
    result = only(run_tests(dop_project.project()))
    assert result.status == "error"
    (problem,) = result.problems
    assert problem.location.path.endswith("sql/v_big_orders.sql") and problem.location.line == 2


def test_select_picks_tests_by_task_and_name(dop_project):
    root = project(dop_project, {"daily_revenue": FIRST_RUN, "v_big_orders": "- name: big\n  expect: []\n"})
    assert [r.case.task.identifier for r in run_tests(root, select=["v_big*"]).results] == ["v_big_orders"]
    assert [r.case.test.name for r in run_tests(root, select=["a first run*"]).results] == [
        "a first run sums every day up to the date"]
    assert len(run_tests(root, "shop", select=["shop.*"]).results) == 2
    assert run_tests(root, select=["nothing"]).results == []


PROBE = """
import json, sys, time
from dop_core.config.project import load_project
from dop_core.sqltest.report import run_tests
report = run_tests(load_project(sys.argv[1]))
heavy = sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0] in ("airflow", "google", "dbt", "pyspark")})
print(json.dumps({"statuses": [r.status for r in report.results], "seconds": [r.seconds for r in report.results],
                  "heavy": heavy}))
"""


def test_dop_test_imports_no_airflow(dop_project):
    project(dop_project, {"daily_revenue": FIRST_RUN})
    result = subprocess.run([sys.executable, "-c", PROBE, str(dop_project.root)], capture_output=True, text=True,
                            check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["statuses"] == ["passed"]
    assert [m for m in found["heavy"] if m != "google"] == []  # google: the namespace package, nothing imported


def test_the_context_names_are_airflows():
    from airflow.sdk.definitions.context import Context

    from dop_core.jinja.render import AIRFLOW_CONTEXT_NAMES

    assert sorted(AIRFLOW_CONTEXT_NAMES) == sorted(Context.__annotations__)


RENDERED_PROJECTS = [pathlib.Path(__file__).parent / "projects" / "retail",
                     pathlib.Path(__file__).parents[1] / "service_project_template" / "{{cookiecutter.project_slug}}"]


@pytest.mark.parametrize("source", RENDERED_PROJECTS, ids=["retail", "template"])
def test_sql_renders_as_in_the_built_dag(source, tmp_path, dop_plugin_manager):
    """The renders of ``dop test`` (no DAG, no Airflow) are those of the built DAG, for every SQL task and mode."""
    import datetime as dt
    import shutil

    from dop_core.build.dags import build_one
    from dop_core.config.params import structure_params
    from dop_core.config.project import load_project, parse_dag_config
    from dop_core.config.structure import Structurer
    from dop_core.jinja.render import render_task
    from dop_core.validate.render import Renderer
    from dop_core.validate.targets import resolve_target

    root = tmp_path / "p"
    shutil.copytree(source, root, ignore=shutil.ignore_patterns(".dop", "dbt", "example_dbt"))
    (root / "dop_project.yml").write_text("name: p\n")
    proj = load_project(root)
    day, compared = dt.date(2024, 6, 3), 0
    for folder in proj.dag_folders():
        config = parse_dag_config(folder, [])
        if not config.enabled:
            continue
        dag = build_one(proj, folder.name)
        params = structure_params(config.params, Structurer(config.document, []))
        renderer = Renderer(proj, config, resolve_target(proj), {k: s.default for k, s in params.items()})
        for task in config.tasks:
            if not (folder / "sql" / f"{task.identifier}.sql").is_file():
                continue
            for full_refresh, incremental in ((False, True), (True, False)):
                expected = render_task(dag, dag.get_task(task.identifier), day, full_refresh, incremental).text
                assert renderer.render(task, day, {}, full_refresh, incremental).text == expected, task.identifier
                compared += 1
    assert compared >= 8


@pytest.mark.slow
def test_the_command_line_reports_and_exits(dop_project):
    project(dop_project, {"daily_revenue": FIRST_RUN.replace("revenue: 10,", "revenue: 11,")})
    result = run_dop("test", "--project", str(dop_project.root))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAIL  shop.daily_revenue: a first run sums every day up to the date" in result.stdout
    assert "    revenue: expected 11, got 10" in result.stdout
    assert "0 passed, 1 failed, 0 error(s)" in result.stderr
    as_json = run_dop("test", "shop", "--format", "json", "--project", str(dop_project.root))
    assert as_json.returncode == 1
    report = json.loads(as_json.stdout)
    assert report["failed"] == 1 and report["tests"][0]["diff"]["changed"][0]["columns"] == ["revenue"]
    none = run_dop("test", "--select", "nothing", "--project", str(dop_project.root))
    assert none.returncode == 1 and "no test matches --select nothing" in none.stderr


def test_a_config_error_stops_only_its_dag(dop_project):
    project(dop_project, {"daily_revenue": FIRST_RUN})
    dop_project.dag("broken", "tasks: a\n")
    report = run_tests(dop_project.project())
    assert [r.status for r in report.results] == ["passed"]
    assert any(p.location.path.endswith("broken/config.yaml") for p in report.problems)
    assert not report.ok


@pytest.mark.slow
def test_the_benchmark_runs_generated_tests_and_imports_no_airflow(tmp_path):
    """benchmarks/sql_tests.py at a tiny size (no timing asserted: the speed target is in its output)."""
    import re

    script = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "sql_tests.py"
    env = clean_env()
    result = subprocess.run([sys.executable, str(script), "--tests", "4", "--rows", "5", "--reps", "1", "--workdir",
                             str(tmp_path)], capture_output=True, text=True, env=env, timeout=600, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert re.search(r"per test: \d\.\d{3} s -> (meets|MISSES) target <= 0\.25 s", result.stdout), result.stdout
    assert "airflow modules imported: none" in result.stdout


def test_an_expected_column_the_output_lacks_is_named(dop_project):
    tests = FIRST_RUN.replace("revenue: 140, orders: 2", "revenu: 140, orders: 2")
    result = only(run_tests(project(dop_project, {"daily_revenue": tests})))
    assert result.status == "failed"
    assert describe(result.diff) == ["the output has no column 'revenu' (did you mean 'revenue'?); its columns: day, "
                                     "country, revenue, orders"]
