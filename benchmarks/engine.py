"""Engine overhead: DOP's native materializations on DuckDB against the same SQL run directly in DuckDB.

A DuckDB warehouse gets a generated table ``src.events`` (``--rows`` rows, default 10M, made with
DuckDB's ``range()``, spread over 365 days). Then, repetitions interleaved, medians reported:

Rows are in day order by default, as a daily-partitioned table's rows arrive (``--layout interleaved``
puts every day in every row group: the worst case for replacing one partition).

1. **Table**: ``materialization/table`` through DOP (``DuckDBEngine`` + ``materialize_table``, with the
   project-dialect translation the task does; a full refresh, so the table is rebuilt) against the
   same ``CREATE OR REPLACE TABLE ... AS SELECT`` run on a plain ``duckdb.connect``. Both open and close
   their connection. Target: DOP within 10% of raw DuckDB.
2. **Incremental**: a table partitioned by day over the 365 days; an incremental run whose query
   returns one day (DOP stages it, checks the columns, and replaces that one partition atomically)
   against a full rebuild of the table. Target: at least 10x faster.

Airflow is not involved (its task start-up is not the engine's cost); ``--dop-run`` adds one end-to-end
``dop run`` of a DAG holding the table task, for reference.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common

# Written in the project's dialect (BigQuery), as a DOP project's SQL file is.
SELECT = ("SELECT id, day, customer, amount, ROUND(amount * 1.2, 2) AS amount_gross, "
          "CONCAT('c', CAST(customer AS STRING)) AS customer_code FROM src.events")
ONE_DAY = "DATE '2024-07-01'"
THREADS: list[int] = []  # --threads, for both sides


def make_source(path: pathlib.Path, rows: int, layout: str) -> None:
    """``daily``: rows in day order, as daily loads append them; ``interleaved``: every day in every row group."""
    import duckdb

    day = f"CAST(i * 365 // {rows} AS INTEGER)" if layout == "daily" else "CAST(i % 365 AS INTEGER)"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA IF NOT EXISTS src")
    con.execute("CREATE SCHEMA IF NOT EXISTS bench")
    con.execute(f"CREATE OR REPLACE TABLE src.events AS SELECT i AS id, DATE '2024-01-01' + {day} "
                f"AS day, i % 1000 AS customer, ROUND((i * 7919 % 100000) / 100.0, 2) AS amount "
                f"FROM range({rows}) t(i)")
    con.close()


def _engine(path: pathlib.Path):
    from dop_core.builtin.duckdb.engine import DuckDBEngine
    from dop_core.builtin.duckdb.target import DuckDBTarget
    from dop_core.config.models import Target

    typed = DuckDBTarget(path=str(path), threads=(THREADS or [None])[0])
    return DuckDBEngine(Target("local", "duckdb", {"path": str(path)}, typed_options=typed, root=path.parent))


def dop_table(path: pathlib.Path, sql: str, name: str, partitioned: bool, full_refresh: bool) -> float:
    from dop_core.builtin.materialization.table import materialize_table
    from dop_core.config.identifiers import Relation
    from dop_core.config.models import Partitioning

    start = time.perf_counter()
    with _engine(path) as engine:
        translated = engine.translate(sql, "bigquery")
        materialize_table(engine, Relation("bench", name), translated,
                          Partitioning(field="day", data_type="date") if partitioned else None, full_refresh)
    return time.perf_counter() - start


def raw_table(path: pathlib.Path, sql: str, name: str) -> float:
    import duckdb

    start = time.perf_counter()
    con = duckdb.connect(str(path), config={"threads": THREADS[0]} if THREADS else {})
    con.execute(f"CREATE OR REPLACE TABLE bench.{name} AS {sql}")
    con.close()
    return time.perf_counter() - start


def count(path: pathlib.Path, sql: str) -> int:
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        return int(con.execute(sql).fetchone()[0])
    finally:
        con.close()


def dop_run(work: pathlib.Path, db: pathlib.Path) -> float:
    """One ``dop run`` of a DAG with the table task over the same source, end to end through Airflow."""
    root = work / "run_project"
    (root / "orchestration" / "bench" / "sql").mkdir(parents=True, exist_ok=True)
    (root / "dags").mkdir(exist_ok=True)
    (root / "dags" / "dop_dags.py").write_text("# the Airflow DAGs of the project\nfrom dop_core import build_dags\n\n"
                                               "globals().update(build_dags(__file__))\n")
    (root / "dop_project.yml").write_text(f"name: bench\ndialect: bigquery\ndata_paths: [{db.parent}]\n"
                                          f"targets:\n  local: {{engine: duckdb, path: {db}}}\n")
    (root / "orchestration" / "bench" / "config.yaml").write_text(
        "schema: bench\ntasks:\n  - identifier: events_e2e\n    kind: {action: materialization, target: table}\n")
    (root / "orchestration" / "bench" / "sql" / "events_e2e.sql").write_text(SELECT + "\n")
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "dop_core.cli.main", "run", "bench", "--date", "2024-07-01",
                             "--full-refresh", "--project", str(root)], capture_output=True, text=True, timeout=900,
                            check=False, env=dict(os.environ, PYTHONPATH=common.REPO))
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"dop run failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description="DOP's native materializations vs raw DuckDB.", epilog=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows of the source table (default %(default)s)")
    parser.add_argument("--reps", type=int, default=7, help="interleaved repetitions (default %(default)s)")
    parser.add_argument("--layout", choices=("daily", "interleaved"), default="daily",
                        help="rows in day order as daily loads append them (default), or every day in every row "
                             "group (the worst case for replacing one partition)")
    parser.add_argument("--threads", type=int, default=0, help="DuckDB threads (default: DuckDB's choice)")
    parser.add_argument("--dop-run", action="store_true", help="also time one end-to-end `dop run` (Airflow included)")
    parser.add_argument("--workdir", type=pathlib.Path)
    args = parser.parse_args()
    work = args.workdir or pathlib.Path(tempfile.mkdtemp(prefix="dop-bench-engine-"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / "warehouse.duckdb"
    for stale in (db, work / "warehouse.duckdb.wal"):
        stale.unlink(missing_ok=True)
    if args.threads:
        THREADS.append(args.threads)
    print(f"# Engine overhead\nmachine: {common.machine()}\n{common.versions('duckdb', 'sqlglot', 'dop-core')}\n")
    started = time.perf_counter()
    t = time.perf_counter()
    make_source(db, args.rows, args.layout)
    print(f"source table src.events: {args.rows:,} rows over 365 days ({args.layout} layout), "
          f"made in {time.perf_counter() - t:.1f} s\n")

    # 1. a table: DOP (full refresh) vs raw CREATE TABLE AS of the very SQL DOP sends, interleaved
    from dop_core.sql.dialects import translate

    raw_sql = translate(SELECT, "bigquery", "duckdb", True)
    dop_t, raw_t = [], []
    dop_table(db, SELECT, "events_dop", False, True)  # warm-up: first-touch costs go to neither side
    raw_table(db, raw_sql, "events_raw")
    for rep in range(args.reps):
        pair = [("dop", lambda: dop_table(db, SELECT, "events_dop", False, True)),
                ("raw", lambda: raw_table(db, raw_sql, "events_raw"))]
        for name, run in pair if rep % 2 == 0 else reversed(pair):
            (dop_t if name == "dop" else raw_t).append(run())
    same = count(db, "SELECT COUNT(*) FROM (SELECT * FROM bench.events_dop EXCEPT ALL SELECT * FROM bench.events_raw)")
    rows = count(db, "SELECT COUNT(*) FROM bench.events_dop")
    # each repetition ran DOP and raw back to back: the median of those paired ratios shrugs off the machine's
    # slow and fast phases better than a ratio of medians
    table_ratio = common.median([common.ratio(d, r) for d, r in zip(dop_t, raw_t, strict=True)])
    print("## materialization/table vs raw DuckDB CREATE TABLE AS "
          f"({rows:,} rows written; tables identical: {'yes' if same == 0 else 'NO'})")
    print(common.table(["run", "median", "all runs"],
                       [["raw DuckDB", f"{common.median(raw_t):.2f} s", " ".join(f"{x:.2f}" for x in raw_t)],
                        ["DOP materialize_table", f"{common.median(dop_t):.2f} s", " ".join(f"{x:.2f}" for x in dop_t)]]))
    print(f"\nDOP / raw (median of the paired ratios): {table_ratio:.3f}x -> {common.verdict(table_ratio, 1.10)}; "
          f"ratio of the medians {common.ratio(common.median(dop_t), common.median(raw_t)):.3f}x\n")

    # 2. incremental: one of 365 daily partitions vs a full rebuild, interleaved
    dop_table(db, SELECT, "events_daily", True, True)
    inc_t, full_t = [], []
    one_day = f"{SELECT} WHERE day = {ONE_DAY}"
    for rep in range(args.reps):
        pair = [("inc", lambda: dop_table(db, one_day, "events_daily", True, False)),
                ("full", lambda: dop_table(db, SELECT, "events_daily", True, True))]
        for name, run in pair if rep % 2 == 0 else reversed(pair):
            (inc_t if name == "inc" else full_t).append(run())
    dop_table(db, one_day, "events_daily", True, False)
    days = count(db, "SELECT COUNT(DISTINCT day) FROM bench.events_daily")
    total = count(db, "SELECT COUNT(*) FROM bench.events_daily")
    speedup = common.median([common.ratio(f, i) for f, i in zip(full_t, inc_t, strict=True)])
    print(f"## incremental run (one of {days} daily partitions replaced; table keeps {total:,} rows) vs full rebuild")
    print(common.table(["run", "median", "all runs"],
                       [["full rebuild", f"{common.median(full_t):.2f} s", " ".join(f"{x:.2f}" for x in full_t)],
                        ["incremental, one partition", f"{common.median(inc_t):.3f} s",
                         " ".join(f"{x:.3f}" for x in inc_t)]]))
    print(f"\nfull / incremental (median of the paired ratios): {speedup:.1f}x -> "
          f"{common.verdict(speedup, 10, lower_is_better=False)}\n")
    if total != rows or days != 365:
        raise SystemExit(f"the incremental runs lost or duplicated rows: {total} rows over {days} days")

    if args.dop_run:
        seconds = dop_run(work, db)
        print(f"## end to end: `dop run` of a one-task DAG (the same table, full refresh) took {seconds:.1f} s "
              f"(Airflow start-up and task process included; the materialization itself is the ~"
              f"{common.median(dop_t):.1f} s above)\n")
    print(f"machine at the end: {common.machine()}; took {time.perf_counter() - started:.0f} s")
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
