"""DOP against what the same work costs without it: every figure a ratio to a baseline measured in the same run.

  python benchmarks/compare.py parse      the same DAGs hand-written (no DOP), for DOP, dag-factory and gusty:
                                          DagBag in one process, Airflow's DAG processor (full pass, re-parse
                                          after one edit), serialized size (workload.py, parsing.py)
  python benchmarks/compare.py devloop    dop run against python / dbt doing the same work (devloop.py)
  python benchmarks/compare.py validate   dop validate against dop --help (devloop.py)
  python benchmarks/compare.py all        the three

Each figure is the median of interleaved rounds (every case once per round, in a new random order), so a
load change on a shared machine hits baseline and DOP alike. Everything runs in the benchmark's own
virtualenv (benchenv.py: DOP as locked, plus dag-factory and gusty from PyPI), built once with uv.
The tables (Markdown) go to stdout, progress to stderr. ``--quick`` is a smoke test (tiny workload, one
round): its ratios mean nothing.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import random
import shutil
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import benchenv
import common
import devloop
import parsing

QUICK_SIZES = "3x5"
DISTRIBUTIONS = ("apache-airflow", "apache-airflow-task-sdk", "dop-core", "dag-factory", "gusty")


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_parse(python: pathlib.Path, work: pathlib.Path, sizes: list[tuple[int, int]], rounds: int,
              rng: random.Random) -> dict:
    ratios, data = [], []
    for n, m in sizes:
        measured = parsing.measure(python, work / f"parse-{n}x{m}", n, m, rounds, rng, say)
        text, size_ratios = parsing.report(measured)
        print(text + "\n", flush=True)
        ratios.append(size_ratios)
        data.append(measured)
    print("### Parse: ratios to the hand-written DAGs (targets of issue 21)\n")
    print(parsing.summary([f"{n}x{m}" for n, m in sizes], ratios) + "\n", flush=True)
    return {"parse": data}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("area", choices=("parse", "devloop", "validate", "all"))
    parser.add_argument("--rounds", type=int, help="interleaved rounds, medians reported (default 7; --quick: 1)")
    parser.add_argument("--sizes", help="parse: N DAGs x M tasks, comma-separated (default 50x20,200x30; "
                        f"--quick: {QUICK_SIZES})")
    parser.add_argument("--quick", action="store_true", help="a smoke test: a tiny workload, one round")
    parser.add_argument("--workdir", type=pathlib.Path,
                        help="where the workloads and projects go, kept (default: a temporary folder, removed)")
    parser.add_argument("--venv", type=pathlib.Path,
                        help=f"the benchmark's virtualenv (default: built once under {benchenv.cache_dir()})")
    parser.add_argument("--json", type=pathlib.Path, help="also write every measurement to this file")
    parser.add_argument("--seed", type=int, default=0, help="of the rounds' random order")
    args = parser.parse_args()
    rounds = args.rounds or (1 if args.quick else 7)
    sizes_text = args.sizes or (QUICK_SIZES if args.quick else "50x20,200x30")
    sizes = [(int(n), int(m)) for n, m in (s.lower().split("x") for s in sizes_text.split(","))]
    python = benchenv.ensure(args.venv, say)
    work = args.workdir or pathlib.Path(tempfile.mkdtemp(prefix="dop-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    found = common.run_json([str(python), str(pathlib.Path(__file__).with_name("probe.py")), "versions",
                             *DISTRIBUTIONS], env=common.child_env())
    print(f"## DOP compared ({args.area}{', quick' if args.quick else ''})\n\nmachine: {common.machine()}  \n"
          f"versions: {', '.join(f'{d} {v}' for d, v in found.items())}\n", flush=True)
    started, data = time.perf_counter(), {}
    try:
        if args.area in ("parse", "all"):
            data.update(run_parse(python, work, sizes, rounds, rng))
        if args.area in ("devloop", "all"):
            data["devloop"] = devloop.measure_devloop(python, work, rounds, rng, say)
            print(devloop.report_devloop(data["devloop"]) + "\n", flush=True)
        if args.area in ("validate", "all"):
            data["validate"] = devloop.measure_validate(python, work, rounds, rng, say)
            print(devloop.report_validate(data["validate"]) + "\n", flush=True)
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    print(f"machine at the end: {common.machine()}; took {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(data, indent=1, default=str))


if __name__ == "__main__":
    main()
