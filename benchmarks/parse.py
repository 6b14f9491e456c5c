"""Parse benchmark: DOP's DAGs against the same DAGs written by hand, loaded by Airflow's DagBag.

For each size (N DAGs x M tasks) a project is generated (see ``project.py``) with three DAG folders
holding the same DAGs: ``dags/dop_dags.py`` (one loader file building every DAG, DOP's default),
``dags_per_dag/dop__<dag>.py`` (one small DOP file per DAG, ``build_dags(__file__, only=...)``) and
``dags_hand/dop__<dag>.py`` (written by hand in Python). A check first makes sure DOP's DAGs and the
hand-written ones are equal (tasks, operators, edges, SQL, params, schedule, outlets...).

Two ways of loading are measured, repetitions interleaved, medians reported:

1. **One process** (``airflow dags list``, tests, ``dag.test``): a fresh Python process imports the
   Airflow modules the DAG files import (as Airflow's DAG processor pre-imports them), then times
   ``DagBag(dag_folder=...)`` and its peak memory (ru_maxrss above the RSS before the DagBag). The
   empty-DagBag baseline (a folder with one file defining no DAG) is subtracted.
2. **DAG processor** (Airflow's scheduler side): the processor forks one child per DAG file from a
   parent that pre-imported the files' ``airflow.*`` imports. Here a parent does that and forks a child
   per sampled file; each child times its own ``DagBag`` of the one file. A full pass over the folder
   is the per-file median times N (or the one loader file); "one edit" is what re-parsing costs after
   one DAG's config (or hand-written file) changed: the loader re-builds every DAG, a per-DAG file one.

DOP is measured with its parse cache warm (the steady state: Airflow re-parses unchanged files every
30 s) and cold (``DOP_PARSE_CACHE=0``: every config read and validated, as on a first parse).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import random
import resource
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common
import project

EMPTY_FILE = "# an airflow dag file that defines no DAG: the baseline\n"


def _rss_kb() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def _preimport(files: list[str], processor: bool = False) -> None:
    """What Airflow does before parsing a file: import its ``airflow.*`` imports; the DAG processor's child
    also has its own module loaded (and with it the Task SDK's supervisor, through which Variables are read)."""
    import importlib

    from airflow.utils.file import iter_airflow_imports

    importlib.import_module("airflow.dag_processing.processor" if processor else "airflow.dag_processing.dagbag")
    for path in files:
        for module in iter_airflow_imports(path):
            importlib.import_module(module)


def _load(path: str) -> dict:
    from airflow.dag_processing.dagbag import DagBag

    rss = _rss_kb()
    start = time.perf_counter()
    bag = DagBag(dag_folder=path, bundle_name="dags-folder")
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": seconds, "peak_kb": max(peak - rss, 0), "dags": len(bag.dags),
            "tasks": sum(len(d.tasks) for d in bag.dags.values()), "errors": sorted(bag.import_errors)}


def measure_one_process(path: str, preimport: list[str]) -> dict:
    _preimport(preimport)
    return _load(path)


def measure_processor(files: list[str], preimport: list[str]) -> list[dict]:
    """Fork one child per file from a parent that pre-imported the files' airflow imports."""
    import gc

    _preimport(preimport, processor=True)
    gc.freeze()  # as Airflow's DagFileProcessorManager does, so that children do not copy the parent's pages
    out = []
    for path in files:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: parse one file, report, exit without cleanup
            os.close(read)
            try:
                data = json.dumps(_load(path)).encode()
            except BaseException as exc:
                data = json.dumps({"error": repr(exc)}).encode()
            os.write(write, data)
            os._exit(0)
        os.close(write)
        chunks = []
        while chunk := os.read(read, 65536):
            chunks.append(chunk)
        os.close(read)
        os.waitpid(pid, 0)
        result = json.loads(b"".join(chunks))
        if "error" in result:
            raise RuntimeError(f"{path}: {result['error']}")
        out.append(result)
    return out


# -- the driver ------------------------------------------------------------------------------------
def _env(airflow_home: str, cache: bool) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"AIRFLOW_HOME": airflow_home, "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "DOP_PARSE_CACHE": "1" if cache else "0", "PYTHONPATH": common.REPO,
                # the parse cache of the generated projects stays beside them, not in the user's cache
                "XDG_CACHE_HOME": str(pathlib.Path(airflow_home).parent / "cache")})
    env.pop("DOP_TARGET", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # a deployment has .pyc files: so do the warm runs here
    return env


def _child(args: list[str], env: dict[str, str]) -> dict:
    return common.run_json([os.path.abspath(__file__), "_measure", *args], env=env)


def _edit_hand(root: pathlib.Path, i: int) -> None:
    path = root / "dags_hand" / f"dop__{project.dag_name(i)}.py"
    path.write_text(path.read_text() + "# edited\n")


def run_size(root: pathlib.Path, n: int, m: int, reps: int, sample: int, airflow_home: str,
             rng: random.Random) -> dict:
    project.generate(root, n, m)
    (root / "dags_empty" / "empty.py").write_text(EMPTY_FILE)
    hand_files = [str(p) for p in sorted((root / "dags_hand").glob("*.py"))]
    warm, cold = _env(airflow_home, True), _env(airflow_home, False)
    pre = [hand_files[0]]  # hand-written files import airflow.sdk and the standard operators; DOP's files none

    # equal DAG objects, and the cache and pyc files warmed up
    check = _child(["--check", str(root)], warm)
    if not check["equal"]:
        raise SystemExit(f"DOP's DAGs and the hand-written ones differ: {check['diff']}")
    _child(["--one-process", str(root / "dags_per_dag"), *pre], warm)

    variants = {
        "baseline": (str(root / "dags_empty"), warm),
        "hand-written": (str(root / "dags_hand"), warm),
        "DOP loader, cache warm": (str(root / "dags"), warm),
        "DOP loader, no cache": (str(root / "dags"), cold),
        "DOP per-DAG files, cache warm": (str(root / "dags_per_dag"), warm),
    }
    one: dict[str, list[dict]] = {k: [] for k in variants}
    picks = sorted({round(k * (n - 1) / max(sample - 1, 1)) for k in range(sample)}) if sample else []
    proc: dict[str, list[dict]] = {k: [] for k in ("baseline", "hand-written", "hand-written, edited",
                                                    "DOP per-DAG file, cache warm", "DOP per-DAG file, edited",
                                                    "DOP loader, cache warm", "DOP loader, one DAG edited")}
    for rep in range(reps):
        order = list(variants)
        rng.shuffle(order)
        for name in order:
            path, env = variants[name]
            one[name].append(_child(["--one-process", path, *pre], env))
        if not picks:
            continue
        # DAG processor: one parent per repetition, children interleaved file by file
        files: list[tuple[str, str]] = [("baseline", str(root / "dags_empty" / "empty.py")),
                                        ("DOP loader, cache warm", str(root / "dags" / "dop_dags.py"))]
        for i in picks:
            files += [("hand-written", hand_files[i]),
                      ("DOP per-DAG file, cache warm", str(root / "dags_per_dag" / f"dop__{project.dag_name(i)}.py"))]
        rng.shuffle(files)
        results = _child(["--processor", ",".join(f for _, f in files), *pre], warm)["results"]
        for (name, _), result in zip(files, results, strict=True):
            proc[name].append(result)
        # one edit: the changed DAG's config (or hand-written file), then the file(s) that hold it
        i = picks[rep % len(picks)]
        project.touch_config(root, i)
        _edit_hand(root, i)
        edits = [("hand-written, edited", hand_files[i]),
                 ("DOP per-DAG file, edited", str(root / "dags_per_dag" / f"dop__{project.dag_name(i)}.py"))]
        results = _child(["--processor", ",".join(f for _, f in edits), *pre], warm)["results"]
        for (name, _), result in zip(edits, results, strict=True):
            proc[name].append(result)
        project.touch_config(root, i)
        proc["DOP loader, one DAG edited"].append(
            _child(["--processor", str(root / "dags" / "dop_dags.py"), *pre], warm)["results"][0])
    for name, results in one.items():
        expected = 0 if name == "baseline" else n
        bad = [r for r in results if r["dags"] != expected or r["errors"]]
        if bad:
            raise SystemExit(f"{name}: expected {expected} DAGs, got {bad[0]}")
    return {"size": f"{n}x{m}", "dags": n, "tasks": m, "one": one, "proc": proc, "n": n}


def _med(results: list[dict], key: str) -> float:
    return common.median([r[key] for r in results])


def report(data: dict) -> tuple[str, list[tuple[str, float, float]]]:
    n = data["n"]
    one, proc = data["one"], data["proc"]
    base_t, base_m = _med(one["baseline"], "seconds"), _med(one["baseline"], "peak_kb")
    hand_t, hand_m = _med(one["hand-written"], "seconds") - base_t, _med(one["hand-written"], "peak_kb") - base_m
    rows, ratios = [], []
    for name, results in one.items():
        if name == "baseline":
            rows.append([name, f"{base_t * 1000:.0f} ms", "", f"{base_m / 1024:.1f} MiB", ""])
            continue
        t, mem = _med(results, "seconds") - base_t, _med(results, "peak_kb") - base_m
        rows.append([name, f"{t:.2f} s", f"{common.ratio(t, hand_t):.2f}x", f"{mem / 1024:.1f} MiB",
                     f"{common.ratio(mem, hand_m):.2f}x"])
        if name != "hand-written":
            ratios.append((f"{data['size']} {name}", common.ratio(t, hand_t), common.ratio(mem, hand_m)))
    text = [f"### {data['size']} ({n} DAGs x {data['tasks']} tasks): one process, DagBag of the whole folder",
            f"(above the empty-DagBag baseline; {len(one['baseline'])} interleaved repetitions, medians)", "",
            common.table(["layout", "time", "vs hand", "peak memory", "vs hand"], rows)]
    if proc["baseline"]:
        pb = _med(proc["baseline"], "seconds")
        per = {k: max(_med(v, "seconds") - pb, 0.0) for k, v in proc.items() if v and k != "baseline"}
        mem = {k: _med(v, "peak_kb") for k, v in proc.items() if v}
        hand_full = per["hand-written"] * n
        rows = [["hand-written (one file per DAG)", f"{per['hand-written'] * 1000:.0f} ms", f"{hand_full:.2f} s",
                 "1.00x", f"{per['hand-written, edited'] * 1000:.0f} ms", f"{mem['hand-written'] / 1024:.1f} MiB"],
                ["DOP per-DAG files, cache warm", f"{per['DOP per-DAG file, cache warm'] * 1000:.0f} ms",
                 f"{per['DOP per-DAG file, cache warm'] * n:.2f} s",
                 f"{common.ratio(per['DOP per-DAG file, cache warm'] * n, hand_full):.2f}x",
                 f"{per['DOP per-DAG file, edited'] * 1000:.0f} ms",
                 f"{mem['DOP per-DAG file, cache warm'] / 1024:.1f} MiB"],
                ["DOP loader (one file), cache warm", "", f"{per['DOP loader, cache warm']:.2f} s",
                 f"{common.ratio(per['DOP loader, cache warm'], hand_full):.2f}x",
                 f"{per['DOP loader, one DAG edited'] * 1000:.0f} ms",
                 f"{mem['DOP loader, cache warm'] / 1024:.1f} MiB"]]
        loader, per_dag = per["DOP loader, cache warm"], per["DOP per-DAG file, cache warm"] * n
        data["layouts"] = {"loader_full": loader, "per_dag_full": per_dag,
                           "loader_edit": per["DOP loader, one DAG edited"],
                           "per_dag_edit": per["DOP per-DAG file, edited"]}
        rows.append(["", "", "", "", "", ""])
        text += ["", f"### {data['size']}: DAG processor (one forked child per file, airflow.* pre-imported)",
                 f"(per-file medians of {len(proc['hand-written'])} sampled files, less the {pb * 1000:.0f} ms "
                 "of a file defining no DAG; a full pass = per file x N)", "",
                 common.table(["layout", "per file", "full pass", "vs hand", "after one edit", "peak memory/child"],
                              rows[:-1]),
                 "", f"Airflow re-parses every file every 30 s (min_file_process_interval): the loader costs "
                 f"{loader:.2f} s of CPU per pass, per-DAG files {per_dag:.2f} s ({common.ratio(per_dag, loader):.1f}x); "
                 f"an edit costs {data['layouts']['loader_edit']:.2f} s with the loader, "
                 f"{data['layouts']['per_dag_edit']:.2f} s with per-DAG files."]
    return "\n".join(text), ratios


def main() -> None:
    parser = argparse.ArgumentParser(description="Parse time and memory: DOP vs hand-written DAGs (Airflow DagBag).",
                                     epilog=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="50x20,200x30",
                        help="N DAGs x M tasks, comma-separated (default %(default)s)")
    parser.add_argument("--reps", type=int, default=5, help="interleaved repetitions (default %(default)s)")
    parser.add_argument("--sample", type=int, default=4,
                        help="files timed per repetition in the DAG-processor mode; 0 skips it (default %(default)s)")
    parser.add_argument("--workdir", type=pathlib.Path, help="where to generate the projects (default: a temp dir)")
    parser.add_argument("--json", type=pathlib.Path, help="also write every measurement to this file")
    parser.add_argument("--seed", type=int, default=0)
    args, rest = parser.parse_known_args()
    if rest and rest[0] == "_measure":
        return _measure(rest[1:])
    sizes = [tuple(int(x) for x in s.lower().split("x")) for s in args.sizes.split(",")]
    work = args.workdir or pathlib.Path(tempfile.mkdtemp(prefix="dop-bench-parse-"))
    airflow_home = str(work / "airflow")
    os.makedirs(airflow_home, exist_ok=True)
    rng = random.Random(args.seed)
    print(f"# Parse benchmark\nmachine: {common.machine()}\n"
          f"{common.versions('apache-airflow', 'apache-airflow-task-sdk', 'dop-core')}\n")
    started = time.perf_counter()
    all_data, all_ratios = [], []
    for n, m in sizes:
        data = run_size(work / f"project_{n}x{m}", n, m, args.reps, args.sample, airflow_home, rng)
        text, ratios = report(data)
        print(text + "\n", flush=True)
        all_data.append(data)
        all_ratios += ratios
    print("## DOP / hand-written (targets: time <= 1.2x, memory <= 1.2x, for DOP's default: the loader with its "
          "parse cache; the cache aims below 1.0x)")

    def verdicts(case: str, t: float, mem: float) -> list[str]:
        if "loader, cache warm" in case:
            return [common.verdict(t, 1.2), common.verdict(mem, 1.2)]
        why = "first parse after a change" if "no cache" in case else "the other layout"
        return [f"({why})", ""]

    print(common.table(["case", "time ratio", "", "memory ratio", ""],
                       [[c, f"{t:.2f}x", v[0], f"{mem:.2f}x", v[1]]
                        for c, t, mem in all_ratios for v in [verdicts(c, t, mem)]]))
    layouts = [d["layouts"] for d in all_data if "layouts" in d]
    if layouts:
        cheaper = all(x["loader_full"] < x["per_dag_full"] for x in layouts)
        print("\nrecommended default layout, by these figures: " + (
            "one loader file (dags/dop_dags.py): the cheapest steady state (every pass re-parses every file); "
            "per-DAG files (build_dags(__file__, only=...)) re-parse less after an edit but pay DOP's import per file"
            if cheaper else "one file per DAG (build_dags(__file__, only=...)): cheaper than the loader here"))
    print(f"\nmachine at the end: {common.machine()}; took {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(all_data, indent=1))
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


def _measure(argv: list[str]) -> None:
    mode, target, *pre = argv
    if mode == "--check":
        print(json.dumps(_check(pathlib.Path(target))))
    elif mode == "--one-process":
        print(json.dumps(measure_one_process(target, pre)))
    elif mode == "--processor":
        print(json.dumps({"results": measure_processor(target.split(","), pre)}))


def _check(root: pathlib.Path) -> dict:
    from airflow.dag_processing.dagbag import DagBag

    bags = [project.describe(DagBag(dag_folder=str(root / d), bundle_name="dags-folder"))
            for d in ("dags", "dags_per_dag", "dags_hand")]
    diff = []
    for dag_id in sorted(set(bags[0]) | set(bags[2])):
        a, b, c = (bag.get(dag_id) for bag in bags)
        if not (a == b == c):
            diff.append(dag_id)
    return {"equal": not diff and bool(bags[0]), "diff": diff[:5], "dags": len(bags[0])}


if __name__ == "__main__":
    main()
