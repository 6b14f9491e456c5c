"""The measurements that run inside the benchmark's virtualenv (Airflow, DOP, dag-factory and gusty), one
fresh process each, started by ``compare.py``; each prints one JSON line.

- ``check NAME=FOLDER...``: loads each folder's DagBag, compares every layout's DAGs with the first one's
  (task ids, edges, retries, timeouts, assets, schedule, tags, params) and measures the serialized
  DAGs (``DagSerialization.to_dict``, JSON bytes) as the DAG processor sends them to the database;
- ``dagbag FOLDER``: times ``DagBag(FOLDER)`` in a process that imported only the DagBag (what
  ``airflow dags list``, tests and ``dag.test`` do), and its peak memory;
- ``processor --bundle DIR --warmup FILE --edit PATH --reparse FILE FILE...``: parses each file with Airflow 3's own
  DAG processor code (``DagFileProcessorProcess``: a forked child parses the file, serializes its DAGs
  and sends them back), one file at a time, from a parent that has pre-imported the files' ``airflow``
  imports and frozen its objects as ``DagFileProcessorManager`` does; then changes one file (``--edit``:
  one DAG's config or DAG file) and re-parses what the processor then re-parses (``--reparse``);
- ``groups N``: the DAG file group of each of the workload's N DAGs (``workload.dop_group_of``);
- ``versions DIST...``: the installed versions.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import resource
import sys
import time
from typing import Any

import workload

#: DOP's own param (the "Full refresh" checkbox of the trigger form): the other layouts do not declare it.
DOP_ONLY_PARAMS = ("full_refresh",)
#: the tag dag-factory adds to every DAG it builds
TOOL_TAGS = ("dagfactory",)


def _rss_kb() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def _dagbag(folder: str) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=folder, bundle_name="dags-folder")


def describe(bag: Any) -> dict[str, Any]:
    """What must be equal in every layout, per DAG."""
    out: dict[str, Any] = {}
    for dag_id, dag in sorted(bag.dags.items()):
        tasks = {t.task_id: {"upstream": sorted(t.upstream_task_ids), "retries": t.retries,
                             "retry_delay": str(t.retry_delay), "execution_timeout": str(t.execution_timeout),
                             "outlets": sorted(getattr(o, "uri", str(o)) for o in t.outlets)}
                 for t in dag.tasks}
        params = {k: v for k, v in dag.params.dump().items() if k not in DOP_ONLY_PARAMS}
        out[dag_id] = {"tasks": tasks, "schedule": [getattr(dag.timetable, "_expression", None),
                                                    str(getattr(dag.timetable, "_timezone", None))],
                       "tags": sorted(set(dag.tags) - set(TOOL_TAGS)), "params": params, "start_date": str(dag.start_date)}
    return out


def difference(a: Any, b: Any, where: str = "") -> str | None:
    """The first place where ``a`` and ``b`` differ, as ``path: a != b``."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{where}/{key}: only in {'the second' if key not in a else 'the first'}"
            found = difference(a[key], b[key], f"{where}/{key}")
            if found:
                return found
        return None
    return None if a == b else f"{where}: {a!r} != {b!r}"


def serialized_bytes(bag: Any) -> int:
    from airflow.serialization.serialized_objects import DagSerialization

    return sum(len(json.dumps(DagSerialization.to_dict(dag)).encode()) for dag in bag.dags.values())


def check(folders: dict[str, str]) -> dict[str, Any]:
    described, sizes, errors = {}, {}, {}
    for name, folder in folders.items():
        bag = _dagbag(folder)
        errors[name] = {k: v.splitlines()[-1] for k, v in bag.import_errors.items()}
        described[name] = describe(bag)
        sizes[name] = serialized_bytes(bag)
    first = next(iter(described))
    diffs = {name: difference(described[first], d) for name, d in described.items() if name != first}
    tasks = sum(len(d["tasks"]) for d in described[first].values())
    return {"reference": first, "diffs": {k: v for k, v in diffs.items() if v}, "errors": {k: v for k, v in
            errors.items() if v}, "sizes": sizes, "dags": len(described[first]), "tasks": tasks}


def dagbag(folder: str) -> dict[str, Any]:
    from airflow.dag_processing.dagbag import DagBag  # noqa: F401  (imported before the clock starts)

    rss = _rss_kb()
    start, cpu = time.perf_counter(), time.process_time()
    bag = _dagbag(folder)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": seconds, "cpu": cpu, "peak_kb": max(peak - rss, 0), "dags": len(bag.dags),
            "errors": sorted(bag.import_errors)}


class Processor:
    """Airflow 3's DAG processor, one file at a time: what ``DagFileProcessorManager`` runs per file."""

    def __init__(self, bundle: pathlib.Path, files: list[pathlib.Path]) -> None:
        import gc
        import importlib
        import selectors

        import structlog
        from airflow.sdk.api.client import Client
        from airflow.sdk.log import logging_processors
        from airflow.utils.file import iter_airflow_imports

        self.bundle = bundle
        self.selector = selectors.DefaultSelector()
        self.client = Client(base_url=None, token="", dry_run=True)  # the files ask for no Variable nor Connection
        self.log_file = open(os.devnull, "wb")  # noqa: SIM115  (the processes' logs, for the whole run)
        self.logger = structlog.wrap_logger(structlog.BytesLogger(self.log_file), logger_name="processor",
                                            processors=logging_processors(json_output=True)).bind()
        # the steady state of a long-running manager: every file's airflow imports done once already
        for path in files:
            for module in iter_airflow_imports(str(path)):
                importlib.import_module(module)
        gc.freeze()

    def parse(self, path: pathlib.Path, bundle: pathlib.Path | None = None) -> dict[str, Any]:
        from airflow.dag_processing.processor import DagFileProcessorProcess
        from uuid6 import uuid7

        bundle = bundle or self.bundle
        start = time.perf_counter()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        own = time.process_time()
        proc = DagFileProcessorProcess.start(
            id=uuid7(), path=path, bundle_path=bundle, bundle_name="dags-folder",
            dag_file_rel_path=str(path.relative_to(bundle)), callbacks=[], selector=self.selector,
            logger=self.logger, logger_filehandle=self.log_file, client=self.client)
        while not proc.is_ready:
            if not self.selector.get_map():
                time.sleep(0.0005)  # sockets closed: the child is exiting
                continue
            for key, _ in self.selector.select(timeout=0.05):
                handler, on_close = key.data
                try:
                    more = handler(key.fileobj)
                except (BrokenPipeError, ConnectionResetError):
                    more = False
                if not more:
                    on_close(key.fileobj)
                    key.fileobj.close()
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - children.ru_utime + after.ru_stime - children.ru_stime
               + time.process_time() - own)
        result = proc.parsing_result
        if result is None:
            raise RuntimeError(f"the DAG processor returned no result for {path}")
        return {"seconds": seconds, "cpu": cpu, "dags": len(result.serialized_dags),
                "errors": sorted((result.import_errors or {}).values())[:1]}


def processor(bundle: pathlib.Path, warmup: pathlib.Path, files: list[pathlib.Path], edit: pathlib.Path,
              reparse: pathlib.Path) -> dict[str, Any]:
    proc = Processor(bundle, files)
    proc.parse(warmup, warmup.parent)  # the parent's lazy set-up (sockets, decoders, loggers), untimed
    out: dict[str, Any] = {"files": [proc.parse(path) for path in files]}
    workload.edit(edit)
    out["reparse"] = proc.parse(reparse)
    return out


def versions(dists: list[str]) -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for dist in dists:
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "not installed"
    return out


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    modes = parser.add_subparsers(dest="mode", required=True)
    modes.add_parser("check").add_argument("layouts", nargs="+", metavar="NAME=FOLDER")
    modes.add_parser("dagbag").add_argument("folder")
    proc = modes.add_parser("processor")
    for option in ("--bundle", "--warmup", "--edit", "--reparse"):
        proc.add_argument(option, type=pathlib.Path, required=True)
    proc.add_argument("files", nargs="+", type=pathlib.Path)
    modes.add_parser("groups").add_argument("n", type=int)
    modes.add_parser("versions").add_argument("dists", nargs="+")
    args = parser.parse_args(argv)
    if args.mode == "check":
        result = check(dict(arg.split("=", 1) for arg in args.layouts))
    elif args.mode == "dagbag":
        result = dagbag(args.folder)
    elif args.mode == "processor":
        result = processor(args.bundle, args.warmup, args.files, args.edit, args.reparse)
    elif args.mode == "groups":
        result = {"groups": workload.dop_group_of(args.n)}
    else:
        result = versions(args.dists)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
