"""The tables each task of a DAG reads, recorded so that building DAGs knows them without sqlglot.

``dop validate`` (and every command that builds a DAG from the CLI: ``dop compile``, ``dop graph``, ``dop
run``) reads each DAG's SQL with sqlglot (:mod:`dop_core.lineage.tables`) and records what it found in
``<DOP's parse cache>/lineage/<dag folder>.json`` (beside the validated-config cache:
:func:`dop_core.util.cachedir.project_cache_dir`; ``DOP_PARSE_CACHE_DIR`` moves both, ``DOP_PARSE_CACHE=0``
turns both off). An entry holds the hash of everything the reads depend on: every file of the DAG
folder but its ``data/`` and ``tests/`` (``config.yaml``, the SQL files, templates they include),
``dop_project.yml``, the target and DOP's version. An entry whose hash differs is not used: building
the DAG then reads the SQL itself and says so (:func:`dop_core.lineage.infer.dependencies_of`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pathlib
from typing import Any

from dop_core.config.models import PROJECT_FILE, DagConfig, Project, Target
from dop_core.errors import Location

log = logging.getLogger(__name__)

FORMAT = "DOP-LINEAGE 2"
#: folders of a DAG folder that no SQL template reads from (seeds, SQL tests)
UNREAD_FOLDERS = ("data", "tests", "__pycache__")

#: the tables each task reads, by task id (see dop_core.lineage.tables.TableRead)
Reads = dict[str, list[Any]]


def store_path(project: Project, config: DagConfig) -> pathlib.Path:
    from dop_core.util.cachedir import project_cache_dir

    return project_cache_dir(project.root) / "lineage" / f"{config.name}.json"


def inputs_key(project: Project, config: DagConfig, target: Target) -> str | None:
    """The hash of everything the reads of ``config``'s tasks depend on; None if a file cannot be read.

    The template files count by name, size and modification time, as in the parse cache's keys: the store is
    read at every parse, and reading every SQL file of the DAG to hash it cost more than the rest of the read."""
    import dop_core

    h = hashlib.sha256(f"{FORMAT}\0{dop_core.__version__}\0{project.dialect}\0{target!r}\0".encode())
    try:
        h.update((project.root / PROJECT_FILE).read_bytes())
        assert config.folder is not None
        for relative, path in _template_files(str(config.folder)):
            st = os.stat(path)
            h.update(f"\0{relative}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    except OSError:
        return None
    return h.hexdigest()


def _template_files(folder: str) -> list[tuple[str, str]]:
    """(path relative to ``folder``, path) of every file a template may read, sorted (plain strings: a DAG
    folder has dozens of files, and ``dop validate`` hashes every DAG's)."""
    found = []
    for parent, dirs, files in os.walk(folder):
        if parent == folder:
            dirs[:] = [d for d in dirs if d not in UNREAD_FOLDERS]
        found += [(os.path.relpath(os.path.join(parent, name), folder), os.path.join(parent, name)) for name in files]
    return sorted(found)


def load(project: Project, config: DagConfig, target: Target) -> Reads | None:
    """The recorded reads of ``config``'s tasks, if recorded for the DAG folder as it is now."""
    from dop_core.lineage.tables import TableRead
    from dop_core.util.cachedir import enabled

    if not enabled():
        return None
    try:  # read first: a DAG never validated here costs one failed open, not a hash of its files
        data = json.loads(store_path(project, config).read_text(encoding="utf-8"))
        if data.get("format") != FORMAT or data.get("key") != inputs_key(project, config, target):
            return None
        return {task: [TableRead(table, Location(path, line, column), function)
                       for table, path, line, column, function in reads]
                for task, reads in data["tasks"].items()}
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:  # absent, or not DOP's: a miss
        log.debug("DOP lineage: no usable entry for %s: %s", config.dag_id, exc)
        return None


def save(project: Project, config: DagConfig, target: Target, reads: Reads) -> None:
    from dop_core.util.cachedir import enabled, write_atomically

    key = inputs_key(project, config, target) if enabled() else None
    if key is None:
        return
    tasks = {task: [[r.table, r.location.path, r.location.line, r.location.column, r.function] for r in found]
             for task, found in reads.items()}
    text = json.dumps({"format": FORMAT, "key": key, "dag": config.dag_id, "tasks": tasks}, indent=1)
    write_atomically(store_path(project, config), text.encode())


def current_reads(project: Project, config: DagConfig, target: Target) -> Reads:
    """The reads of ``config``'s tasks: recorded ones when current, else read from the SQL (sqlglot) and
    recorded."""
    reads = load(project, config, target)
    if reads is None:
        from dop_core.lineage.tables import task_reads

        reads = task_reads(project, config, target)
        save(project, config, target, reads)
    return reads
