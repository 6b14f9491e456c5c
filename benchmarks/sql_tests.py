"""Speed of ``dop test``: the time of each SQL unit test, and of starting the command.

A generated project holds one incremental, date-partitioned BigQuery table task (a CTE, a window
function, SAFE_DIVIDE, DATE_SUB, a UDF) and N tests of it, half of them incremental runs with existing
rows. ``dop test --format json`` runs them in a fresh process, as CI does; each test's own time comes
from the report (rendering, translation, loading the given rows into a new in-memory DuckDB, running
the materialization, comparing), the start-up is the rest of the process's wall time. A second probe
checks that running the tests imported no Airflow module.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common

TARGET_SECONDS = 0.25  # per test, median: "well under a second"

CONFIG = """\
schema: shop
start_date: 2024-06-01
params:
  lookback_days: 3
tasks:
  - identifier: clean
    kind: {action: materialization, target: udf}
    options:
      arguments: [{name: s, type: STRING}]
      returns: STRING
  - identifier: daily_revenue
    kind: {action: materialization, target: table}
    partitioning: {field: day, data_type: date}
"""
UDF = "IF(TRIM(s) = '', NULL, UPPER(TRIM(s)))\n"
SQL = """\
WITH orders AS (
  SELECT order_date AS day, shop.clean(country) AS country, amount
  FROM `my-project.shop.raw_orders`
  WHERE order_date <= DATE '{{ ds }}'
)
SELECT day, country, SUM(amount) AS revenue, COUNT(*) AS orders,
       ROUND(SAFE_DIVIDE(SUM(amount), COUNT(*)), 2) AS average,
       SUM(SUM(amount)) OVER (PARTITION BY country ORDER BY day ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS week
FROM orders
{% if is_incremental() %}WHERE day > DATE_SUB(DATE '{{ ds }}', INTERVAL {{ params.lookback_days | int }} DAY){% endif %}
GROUP BY day, country
"""


def test_case(n: int, rows: int) -> str:
    days = [f"2024-06-{1 + d:02d}" for d in range(10)]
    given = "".join(f"      - {{order_date: {days[i % 10]}, country: ' gb ', amount: {i + 1}}}\n" for i in range(rows))
    kept = days if n % 2 else days[:min(rows, 10)]  # an incremental run keeps the existing days
    expect = "".join(f"    - {{day: {day}, country: GB}}\n" for day in kept)
    text = f"- name: test {n}\n  date: 2024-06-10\n  given:\n    my-project.shop.raw_orders:\n{given}  expect:\n{expect}"
    if n % 2:
        text += "  existing:\n" + "".join(f"    - {{day: {day}, country: GB, revenue: 1}}\n" for day in days)
    return text


def generate(root: pathlib.Path, tests: int, rows: int) -> pathlib.Path:
    folder = root / "orchestration" / "shop"
    (folder / "sql").mkdir(parents=True)
    (folder / "tests").mkdir()
    (root / "dop_project.yml").write_text("name: bench\n")
    (folder / "config.yaml").write_text(CONFIG)
    (folder / "sql" / "clean.sql").write_text(UDF)
    (folder / "sql" / "daily_revenue.sql").write_text(SQL)
    (folder / "tests" / "daily_revenue.yaml").write_text("".join(test_case(n, rows) for n in range(tests)))
    return root


PROBE = """
import json, sys
from dop_core.config.project import load_project
from dop_core.sqltest.report import run_tests
report = run_tests(load_project(sys.argv[1]))
print(json.dumps({"ok": report.ok, "airflow": sorted(m for m in sys.modules if m.split(".")[0] == "airflow")}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description="The time of each `dop test` SQL unit test, and of the command's "
                                     "start.", epilog=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tests", type=int, default=40, help="tests in the generated project (default %(default)s)")
    parser.add_argument("--rows", type=int, default=50, help="given rows per test (default %(default)s)")
    parser.add_argument("--reps", type=int, default=3, help="fresh `dop test` processes (default %(default)s)")
    parser.add_argument("--workdir", type=pathlib.Path)
    args = parser.parse_args()
    work = args.workdir or pathlib.Path(tempfile.mkdtemp(prefix="dop-bench-sqltests-"))
    root = generate(work / "project", args.tests, args.rows)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOP_")}
    env["PYTHONPATH"] = common.REPO
    print(f"# dop test\nmachine: {common.machine()}\n{common.versions('dop-core', 'duckdb', 'sqlglot')}; "
          f"{args.tests} tests of one table task, {args.rows} given rows each\n")
    per_test, starts = [], []
    for _ in range(args.reps):
        began = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "dop_core.cli.main", "test", "--format", "json", "--project",
                               str(root)], capture_output=True, text=True, env=env, timeout=600, check=False)
        wall = time.perf_counter() - began
        report = json.loads(done.stdout)
        if not report["ok"]:
            raise SystemExit(f"the generated tests failed:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}")
        seconds = [t["seconds"] for t in report["tests"]]
        per_test += seconds
        starts.append(wall - sum(seconds))
    ordered = sorted(per_test)
    median = common.median(per_test)
    print(common.table(["measure", "seconds"], [
        ["one test, median", f"{median:.3f}"],
        ["one test, 95th percentile", f"{ordered[int(0.95 * (len(ordered) - 1))]:.3f}"],
        ["one test, slowest", f"{ordered[-1]:.3f}"],
        ["start of the command (imports, reading the project), median", f"{common.median(starts):.2f}"],
    ]))
    print(f"\nper test: {median:.3f} s -> {common.verdict(median, TARGET_SECONDS)} s")
    probe = subprocess.run([sys.executable, "-c", PROBE, str(root)], capture_output=True, text=True, env=env,
                           timeout=600, check=False)
    imported = json.loads(probe.stdout.strip().splitlines()[-1])["airflow"]
    print("airflow modules imported: " + (", ".join(imported[:5]) if imported else "none"))
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    if imported:
        raise SystemExit("dop test imported Airflow")


if __name__ == "__main__":
    main()
