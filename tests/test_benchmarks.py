"""The benchmark scripts keep working: each runs at a tiny size and prints its figures and ratios.

No timing is asserted here (the machine is shared and noisy); the speed targets live in the scripts'
output and in docs/performance.md.
"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

import pytest

BENCHMARKS = pathlib.Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPTS = ("parse", "imports", "engine")


def run(name: str, *args: str, timeout: float = 300) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOP_", "AIRFLOW__"))}
    result = subprocess.run([sys.executable, str(BENCHMARKS / f"{name}.py"), *args], capture_output=True, text=True,
                            timeout=timeout, env=env, check=False)
    assert result.returncode == 0, \
        f"{name}.py {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.mark.parametrize("name", SCRIPTS)
def test_help_describes_the_benchmark(name):
    out = run(name, "--help", timeout=60)
    assert out.startswith("usage:") and "--reps" in out


def test_engine_benchmark_compares_dop_with_raw_duckdb(tmp_path):
    out = run("engine", "--rows", "20000", "--reps", "1", "--workdir", str(tmp_path))
    assert "tables identical: yes" in out
    assert re.search(r"DOP / raw \(median of the paired ratios\): \d+\.\d+x -> (meets|MISSES) target <= 1\.1", out)
    assert re.search(r"one of 365 daily partitions replaced; table keeps 20,000 rows", out)
    assert re.search(r"full / incremental \(median of the paired ratios\): \d+\.\dx -> (meets|MISSES) target >= 10", out)


@pytest.mark.slow
def test_imports_benchmark_finds_no_heavy_module(tmp_path):
    out = run("imports", "--dags", "2", "--tasks", "5", "--reps", "1", "--workdir", str(tmp_path))
    assert out.count("heavy modules imported: none") == 2  # local (DuckDB) and prod (BigQuery) targets
    assert re.search(r"DOP's import cost .*: \d+ ms -> (meets|MISSES) target <= 100 ms", out)


@pytest.mark.slow
def test_parse_benchmark_prints_ratios_for_every_layout(tmp_path):
    out = run("parse", "--sizes", "2x6", "--reps", "1", "--sample", "1", "--workdir", str(tmp_path), timeout=600)
    assert re.search(r"\| 2x6 DOP loader, cache warm +\| \d+\.\d\dx +\| (meets|MISSES) target <= 1\.2 +\| \d+\.\d\dx +\| "
                     r"(meets|MISSES) target <= 1\.2", out), out
    assert re.search(r"\| 2x6 DOP loader, no cache +\| \d+\.\d\dx +\| \(first parse after a change\)", out), out
    assert re.search(r"\| 2x6 DOP per-DAG files, cache warm +\| \d+\.\d\dx +\| \(the other layout\)", out), out
    assert "DAG processor" in out and "after one edit" in out
    # the generated project was loaded the three ways, the DOP DAGs equal to the hand-written ones
    assert list(tmp_path.glob("**/cache/dop/parse/*/dags/dag_0001.pickle")), sorted(tmp_path.rglob("*.pickle"))


def test_bigquery_sql_benchmark_measures_dop_beside_sqlglot(tmp_path):
    cases = pathlib.Path(__file__).parent / "sql" / "cases"
    out = run("bigquery_sql", "--cases", str(cases), "--failures")
    # the INT32 column and the RANGE feature are skipped, each with its reason
    assert re.search(r"1  reads a column of a non-BigQuery type: INT32", out), out
    assert re.search(r"1  needs a feature BigQuery has not: RANGE_TYPE", out), out
    # five measured cases: DOP passes them all; plain sqlglot misses the offset, the literal and the bounds;
    # an array of structs in a column printed ARRAY<> is compared by the type its value carries
    assert re.search(r"\| overall +\| 5 +\| 5/5 \(100\.0%\) +\| 2/5 \(40\.0%\) +\|", out), out
    assert "failing cases (DOP):" in out and "dop_own.test" not in out.split("failing cases (DOP):")[1]
