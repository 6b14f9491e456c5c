"""``compare.py parse``: the same DAGs loaded from each layout of ``workload.py``, ratios to the hand-written.

Per size (N DAGs x M tasks), after checking that every layout builds the same DAGs, each round runs,
in a new random order, one fresh process per figure (``probe.py``):

- one process, ``DagBag()`` of the layout's DAG folder: hand-written, DOP with its parse cache warm and
  cold (an empty cache folder: the first parse after a deploy), dag-factory, gusty;
- the DAG processor (Airflow 3's ``DagFileProcessorProcess``, one file at a time): a full pass over
  the layout's DAG files, then the re-parse after one DAG's config (or hand-written file) changes:
  the file holding that DAG (hand-written, DOP's group file, DOP per-DAG files) or the loader holding every DAG;
- the serialized DAGs' size (measured once: it does not vary).
"""

from __future__ import annotations

import pathlib
import random
import shutil
from collections.abc import Callable
from typing import Any

import common
import workload

PROBE = str(pathlib.Path(__file__).with_name("probe.py"))
HAND = "hand-written"
ONE_PROCESS = (HAND, "DOP, cache warm", "DOP, cache cold", "dag-factory", "gusty")
PROCESSOR = (HAND, "DOP", "DOP one loader file", "DOP per-DAG files", "dag-factory", "gusty")
WARMUP = "# an Airflow DAG file that defines no DAG: the processor's warm-up\n"

#: (figure, layout, target) of issue 21, as ratios to the hand-written DAGs
TARGETS = (("DagBag, one process", "DOP, cache warm", 1.0), ("DagBag, one process", "DOP, cache cold", 1.5),
           ("DAG processor, full pass", "DOP", 0.4), ("re-parse after one edit", "DOP", 3.0),
           ("serialized size", "DOP", 1.05))


class SizeRun:
    """The workload of one size and the measurements taken on it."""

    def __init__(self, python: pathlib.Path, work: pathlib.Path, n: int, m: int) -> None:
        self.python, self.work, self.n, self.m = python, work, n, m
        # no DagBag import timeout: a loader slower than Airflow's 30 s (gusty at 200x30 on a loaded machine)
        # is a figure to report, not a DAG file to drop
        self.env = common.child_env(AIRFLOW_HOME=str(work / "airflow"), XDG_CACHE_HOME=str(work / "cache"),
                                    AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT="0")
        self.layouts = workload.generate(work / "workload", n, m, groups=self.probe("groups", str(n))["groups"])
        self.warmup = work / "warmup" / "warmup.py"
        self.warmup.parent.mkdir(exist_ok=True)
        self.warmup.write_text(WARMUP)

    def probe(self, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
        return common.run_json([str(self.python), PROBE, *args], env=env or self.env)

    def check(self) -> dict[str, Any]:
        """Every layout builds the same DAGs: stop here otherwise (a ratio of different DAGs means nothing)."""
        result = self.probe("check", *(f"{name}={layout.dags}" for name, layout in self.layouts.items()))
        if result["errors"] or result["diffs"] or result["dags"] != self.n:
            raise SystemExit(f"the layouts do not build the same {self.n} DAGs: {result}")
        return result

    def dagbag(self, layout: str, cold: bool = False) -> dict[str, Any]:
        folder = self.layouts[layout].dags
        if not cold:
            return self.probe("dagbag", str(folder))
        cache = self.work / "cache-cold"
        try:
            return self.probe("dagbag", str(folder), env=dict(self.env, XDG_CACHE_HOME=str(cache)))
        finally:
            shutil.rmtree(cache, ignore_errors=True)

    def processor(self, layout: str, dag: int) -> dict[str, Any]:
        spec = self.layouts[layout]
        return self.probe("processor", "--bundle", str(spec.dags), "--warmup", str(self.warmup),
                          "--edit", str(spec.edited(dag)), "--reparse", str(spec.reparsed(dag)), *map(str, spec.files))

    def jobs(self) -> dict[str, Callable[[int], dict[str, Any]]]:
        def dagbag(name: str) -> Callable[[int], dict[str, Any]]:
            layout = name.split(",")[0]
            return lambda _: self.dagbag(layout, cold=name.endswith("cold"))

        def processor(name: str) -> Callable[[int], dict[str, Any]]:
            return lambda number: self.processor(name, number % self.n)

        return {**{f"dagbag: {name}": dagbag(name) for name in ONE_PROCESS},
                **{f"processor: {name}": processor(name) for name in PROCESSOR}}


def _med(results: list[dict[str, Any]], key: str) -> float:
    return common.median([r[key] for r in results])


def _pass(results: list[dict[str, Any]], key: str) -> float:
    """The median over rounds of a full pass: the sum over the layout's files."""
    return common.median([sum(f[key] for f in r["files"]) for r in results])


def _x(value: float) -> str:
    return f"{value:.2f}x"


def measure(python: pathlib.Path, work: pathlib.Path, n: int, m: int, rounds: int, rng: random.Random,
            say: Callable[[str], None] = print) -> dict[str, Any]:
    run = SizeRun(python, work, n, m)
    say(f"{n}x{m}: checking that the layouts build the same DAGs")
    check = run.check()  # which also writes the .pyc files and DOP's parse cache, as in the steady state
    results = common.interleaved(run.jobs(), rounds, rng, say)
    return {"size": f"{n}x{m}", "n": n, "m": m, "rounds": rounds, "check": check, "results": results}


def report(data: dict[str, Any]) -> tuple[str, dict[tuple[str, str], float]]:
    """The size's tables, and its ratios by (figure, layout) for the summary."""
    res, n = data["results"], data["n"]
    ratios: dict[tuple[str, str], float] = {}
    one = {name: res[f"dagbag: {name}"] for name in ONE_PROCESS}
    hand_t, hand_c, hand_m = (_med(one[HAND], k) for k in ("seconds", "cpu", "peak_kb"))
    rows = []
    for name, results in one.items():
        t, c, mem = (_med(results, k) for k in ("seconds", "cpu", "peak_kb"))
        ratios[("DagBag, one process", name)] = common.ratio(t, hand_t)
        rows.append([name, f"{t:.2f} s", _x(common.ratio(t, hand_t)), _x(common.ratio(c, hand_c)),
                     f"{mem / 1024:.1f} MiB", _x(common.ratio(mem, hand_m))])
    text = [f"### {data['size']}: {n} DAGs x {data['m']} tasks, medians of {data['rounds']} interleaved rounds", "",
            f"Checked first: the {len(PROCESSOR)} layouts build the same {n} DAGs ({data['check']['tasks']} tasks): "
            "task ids, edges, retries, timeouts, assets, schedule, tags, params.", "",
            "One process, `DagBag()` of the DAG folder (after `import DagBag`):", "",
            common.table(["layout", "time", "vs hand", "CPU vs hand", "peak memory", "vs hand"], rows)]

    proc = {name: res[f"processor: {name}"] for name in PROCESSOR}
    hand_pass, hand_cpu = _pass(proc[HAND], "seconds"), _pass(proc[HAND], "cpu")
    hand_edit = common.median([r["reparse"]["seconds"] for r in proc[HAND]])
    rows = []
    for name, results in proc.items():
        full, cpu = _pass(results, "seconds"), _pass(results, "cpu")
        edit = common.median([r["reparse"]["seconds"] for r in results])
        ratios[("DAG processor, full pass", name)] = common.ratio(full, hand_pass)
        ratios[("re-parse after one edit", name)] = common.ratio(edit, hand_edit)
        rows.append([name, str(len(results[0]["files"])), f"{full:.2f} s", _x(common.ratio(full, hand_pass)),
                     _x(common.ratio(cpu, hand_cpu)), f"{edit * 1000:.0f} ms", _x(common.ratio(edit, hand_edit))])
    text += ["", "DAG processor (Airflow 3's `DagFileProcessorProcess`, one file at a time): a full pass over the "
             "DAG files, and the re-parse after one DAG's config (or hand-written file) changed:", "",
             common.table(["layout", "files", "full pass", "vs hand", "CPU vs hand", "after one edit",
                           "vs a hand-written file"], rows)]

    sizes = data["check"]["sizes"]
    rows = []
    for name, size in sizes.items():
        ratios[("serialized size", name)] = common.ratio(size, sizes[HAND])
        rows.append([name, f"{size / 1e6:.2f} MB", _x(common.ratio(size, sizes[HAND]))])
    text += ["", "Serialized DAGs (`DagSerialization.to_dict`, JSON bytes, all DAGs):", "",
             common.table(["layout", "size", "vs hand"], rows)]
    return "\n".join(text), ratios


def summary(sizes: list[str], ratios: list[dict[tuple[str, str], float]]) -> str:
    """Issue 21's targets, then what the other loaders reach, one column per size."""
    rows = []
    for figure, layout, limit in TARGETS:
        values = [r[(figure, layout)] for r in ratios]
        verdict = "meets" if all(v <= limit for v in values) else "MISSES"
        rows.append([f"{figure}: {layout}", *map(_x, values), f"<= {limit:g}x", verdict])
    for figure, layouts in (("DagBag, one process", ("dag-factory", "gusty")),
                            ("DAG processor, full pass", ("DOP one loader file", "DOP per-DAG files", "dag-factory",
                                                          "gusty")),
                            ("re-parse after one edit", ("DOP one loader file", "DOP per-DAG files", "dag-factory",
                                                         "gusty")),
                            ("serialized size", ("dag-factory", "gusty"))):
        for layout in layouts:
            rows.append([f"{figure}: {layout}", *(_x(r[(figure, layout)]) for r in ratios), "", "(for scale)"])
    return common.table(["ratio to the hand-written DAGs", *sizes, "target", ""], rows)
