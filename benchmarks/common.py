"""Helpers shared by the benchmark scripts: medians, ratios, tables, the machine's description."""

from __future__ import annotations

import os
import platform
import random
import statistics
import subprocess
from collections.abc import Callable, Sequence
from typing import TypeVar

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
T = TypeVar("T")


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def machine() -> str:
    """One line: CPU model and count, memory, load average, Python, OS."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as handle:
            kb = int(handle.readline().split()[1])
            mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    load = ", load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()) if hasattr(os, "getloadavg") else ""
    return (f"{cpu}, {os.cpu_count()} cores{mem}{load}; Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def versions(*dists: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for dist in dists:
        try:
            out.append(f"{dist} {version(dist)}")
        except PackageNotFoundError:
            out.append(f"{dist} (not installed)")
    return ", ".join(out)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (also readable in a terminal)."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(cells[0], widths, strict=True)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells[1:]]
    return "\n".join(lines)


def verdict(value: float, limit: float, lower_is_better: bool = True) -> str:
    ok = value <= limit if lower_is_better else value >= limit
    return ("meets" if ok else "MISSES") + f" target {'<=' if lower_is_better else '>='} {limit:g}"


#: the caller's DOP settings a measured process keeps: how the machine runs DOP (`DOP_RUN_SERVER=0` measures
#: `dop run` without its run server, `DOP_DBT_SERVER=0` dbt tasks without the dbt server), as
#: dop_core.testing.MACHINE_ENV (which this file cannot import: the benchmark's env may have no pytest)
MACHINE_ENV = ("DOP_RUN_SERVER", "DOP_RUN_SERVER_IDLE", "DOP_DBT_SERVER", "DOP_DBT_SERVER_IDLE")


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a measured process: none of the caller's DOP (but :data:`MACHINE_ENV`) or Airflow
    settings, .pyc files written (as in a deployment), no usage telemetry (dag-factory's would make a network
    call)."""
    env = {k: v for k, v in os.environ.items()
           if (not k.startswith(("DOP_", "AIRFLOW__")) or k in MACHINE_ENV)
           and k not in ("VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE", "PYTHONPATH", "AIRFLOW_HOME")}
    env.update({"DO_NOT_TRACK": "1", "SCARF_NO_ANALYTICS": "true", "AIRFLOW__DAG_FACTORY__ENABLE_TELEMETRY": "False",
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False"})
    env.update(extra)
    return env


def run_json(args: Sequence[str], env: dict[str, str] | None = None, timeout: float = 900) -> dict:
    """Run a helper process; return the JSON object on the last line of its output starting with '{'."""
    import json

    result = subprocess.run(list(args), capture_output=True, text=True, env=env, timeout=timeout, check=False)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout[-3000:]}\n"
                           f"{result.stderr[-3000:]}")
    return json.loads(lines[-1])


def timed(args: Sequence[str], env: dict[str, str], cwd: str | os.PathLike[str] | None = None,
          timeout: float = 1800) -> float:
    """Wall-clock seconds of one command, which must succeed."""
    import time

    start = time.perf_counter()
    result = subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                            cwd=cwd, timeout=timeout, check=False)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args))} failed ({result.returncode}):\n{result.stdout[-4000:]}")
    return seconds


def interleaved(jobs: dict[str, Callable[[int], T]], rounds: int, rng: random.Random,
                say: Callable[[str], None] = print) -> dict[str, list[T]]:
    """Run every job once per round, in a new random order each round; each job gets the round's number."""
    out: dict[str, list[T]] = {name: [] for name in jobs}
    for number in range(rounds):
        order = list(jobs)
        rng.shuffle(order)
        for name in order:
            out[name].append(jobs[name](number))
        say(f"  round {number + 1}/{rounds} done; load average {os.getloadavg()[0]:.1f}")
    return out
