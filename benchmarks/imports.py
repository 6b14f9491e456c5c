"""Import footprint of building DAGs: which modules it imports, and how many milliseconds DOP adds.

A fresh process first imports what Airflow's DAG processor already holds when it parses a file
(``airflow.sdk``, the DagBag, the standard operators), then builds the DAGs of a DOP project of ``workload.py`` with
``python -X importtime``. Every module imported from then on is DOP's doing; they are grouped as DOP's
own (``dop_core`` and installed DOP plugins), third-party (ruamel.yaml, pluggy, ...), and ``airflow``
modules Airflow had not loaded yet. Heavy clients must not appear at all: google-cloud, duckdb, dbt,
pyspark (and sqlglot, psycopg), for the ``local`` (DuckDB) and ``prod`` (BigQuery) targets alike.
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
import workload

HEAVY = ("google.cloud", "google.auth", "google.api_core", "duckdb", "dbt", "pyspark", "sqlglot", "psycopg")
DOP_PACKAGES = ("dop_core", "dop_dbt", "dop_spark", "dop_egress", "dop_postgres", "dop_hello")
TARGET_MS = 100.0

PROBE = """
import json, sys, time
import airflow.sdk, airflow.dag_processing.dagbag
import airflow.providers.standard.operators.bash, airflow.providers.standard.operators.empty
before = set(sys.modules)
sys.stderr.write("import time: -- DOP STARTS --\\n")
start = time.perf_counter()
from dop_core import build_dags
dags = build_dags(sys.argv[1])
seconds = time.perf_counter() - start
wanted = json.loads(sys.argv[2])
heavy = sorted(m for m in set(sys.modules) - before if any(m == h or m.startswith(h + ".") for h in wanted))
print(json.dumps({"dags": len(dags), "seconds": seconds, "heavy": heavy, "new": sorted(set(sys.modules) - before)}))
"""


def parse_importtime(stderr: str, before: bool = False) -> list[tuple[str, int, int, int]]:
    """(module, self µs, cumulative µs, depth) of each import after (``before``: until) the DOP STARTS marker."""
    out, started = [], False
    for line in stderr.splitlines():
        if "-- DOP STARTS --" in line:
            started = True
            continue
        if started == before or not line.startswith("import time:") or "|" not in line:
            continue
        try:
            self_us, cum_us, name = line[len("import time:"):].split("|")
            depth = (len(name) - len(name.lstrip())) // 2
            out.append((name.strip(), int(self_us), int(cum_us), depth))
        except ValueError:
            continue
    return out


def group_of(module: str) -> str:
    top = module.split(".")[0]
    if top in DOP_PACKAGES:
        return "DOP (dop_core and plugins)"
    if top == "airflow":
        return "airflow (not yet loaded by Airflow)"
    return "third-party " + top


def measure(root: pathlib.Path, target: str, env: dict[str, str]) -> dict:
    run_env = dict(env, DOP_TARGET=target)
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", PROBE, str(root), json.dumps(HEAVY)],
                            capture_output=True, text=True, env=run_env, timeout=600, check=False)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"probe failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    data = json.loads(lines[-1])
    imports = parse_importtime(result.stderr)
    groups: dict[str, float] = {}
    for name, self_us, _, _ in imports:
        groups[group_of(name)] = groups.get(group_of(name), 0.0) + self_us / 1000
    data["groups"] = groups
    data["top"] = sorted(((n, c / 1000) for n, _, c, d in imports if d == 0), key=lambda x: -x[1])[:12]
    data["dop_ms"] = sum(ms for g, ms in groups.items() if not g.startswith("airflow"))
    data["airflow_ms"] = sum(c / 1000 for _, _, c, d in parse_importtime(result.stderr, before=True) if d == 0)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description="What building DOP DAGs imports, and DOP's import cost in ms.",
                                     epilog=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dags", type=int, default=5, help="DAGs in the generated project (default %(default)s)")
    parser.add_argument("--tasks", type=int, default=20, help="tasks per DAG (default %(default)s)")
    parser.add_argument("--reps", type=int, default=5, help="fresh processes per target (default %(default)s)")
    parser.add_argument("--workdir", type=pathlib.Path)
    args = parser.parse_args()
    work = args.workdir or pathlib.Path(tempfile.mkdtemp(prefix="dop-bench-imports-"))
    root = work / "project"
    root.mkdir(parents=True)
    workload.write_dop(root, args.dags, args.tasks)
    (root / "dop_project.yml").write_text(
        "name: bench\ndialect: bigquery\ntargets:\n  local: {engine: duckdb, path: .dop/warehouse.duckdb}\n"
        "  prod: {engine: bigquery, project: my-gcp-project, location: EU}\n")
    env = dict(os.environ, AIRFLOW_HOME=str(work / "airflow"), AIRFLOW__CORE__LOAD_EXAMPLES="False",
               PYTHONPATH=common.REPO)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # a deployment has .pyc files: so do the warm runs here
    print(f"# Import footprint\nmachine: {common.machine()}\n"
          f"{common.versions('apache-airflow', 'dop-core')}; project {args.dags} DAGs x {args.tasks} tasks\n")
    started = time.perf_counter()
    failed = False
    for target in ("local", "prod"):
        measure(root, target, env)  # warm: pyc files and DOP's parse cache
        runs = [measure(root, target, env) for _ in range(args.reps)]
        groups = sorted({g for r in runs for g in r["groups"]})
        rows = [[g, f"{common.median([r['groups'].get(g, 0.0) for r in runs]):.1f} ms"] for g in groups]
        dop_ms = common.median([r["dop_ms"] for r in runs])
        heavy = sorted({m for r in runs for m in r["heavy"]})
        print(f"## target {target}: imports made by building {runs[0]['dags']} DAGs "
              f"(self time summed per group, median of {args.reps})")
        print(common.table(["group", "import time"], rows))
        print("\nslowest top-level imports (cumulative, last run): "
              + ", ".join(f"{n} {ms:.0f} ms" for n, ms in runs[-1]["top"][:8]))
        print(f"\nDOP's import cost (DOP and the non-Airflow modules it pulls in): {dop_ms:.0f} ms -> "
              f"{common.verdict(dop_ms, TARGET_MS)} ms")
        print(f"for scale, Airflow's own imports before it (airflow.sdk, DagBag, standard operators): "
              f"{common.median([r['airflow_ms'] for r in runs]):.0f} ms")
        print(f"build_dags wall time, imports included: {common.median([r['seconds'] for r in runs]) * 1000:.0f} ms")
        print("heavy modules imported: " + (", ".join(heavy) if heavy else f"none (checked: {', '.join(HEAVY)})")
              + "\n")
        failed |= bool(heavy)
    print(f"machine at the end: {common.machine()}; took {time.perf_counter() - started:.0f} s")
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    if failed:
        raise SystemExit("building DAGs imported a heavy module")


if __name__ == "__main__":
    main()
