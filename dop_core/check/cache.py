"""What ``dop validate`` learnt by building each DAG and checking its SQL, kept until one of its inputs changes.

Checking a DAG's SQL builds the DAG (its operators, Airflow's template environment) and renders and parses
each template: it imports Airflow and sqlglot, seconds of a command a developer runs all day. The problems
that step found for a DAG (none, most of the time) are stored in
``~/.cache/dop/parse/<project hash>/checks/<dag folder>.pickle`` (beside the parse cache's entries) under a
key that hashes every input of the step:

- the parse cache's key of the DAG's folder (:meth:`~dop_core.build.cache.ConfigCache.key`: ``config.yaml``,
  the name, size and mtime of each file of the folder, ``dop_project.yml``, the target, DOP's sources, the
  loaded plugins, Python's and Airflow's versions), and the bytes of each of the folder's files up to
  :data:`CONTENT_LIMIT` (the SQL templates: an edit that keeps a file's size within the file system's time
  resolution still changes the key);
- what the DAG's task kinds and triggers declare their validation reads (``inputs``: a dbt project...);
- the installed distributions (the ``sys.path`` folders and their times, as DOP's other caches of what is
  installed), the ``DOP_*`` and ``AIRFLOW*`` environment variables, and the date the SQL is rendered for.

An entry also lists the Python file of each operator's class the DAG was built with (an operator of the
project's own code is built again when edited): it is used only while their bytes are unchanged. Only DAGs
that built, and whose every kind declares its inputs (as in the parse cache), are kept: a DAG that does not
build is built again at every check. Entries are read by the parse cache's unpickler (DOP's attrs
classes and plain values only); ``DOP_PARSE_CACHE=0`` turns this cache off with the parse cache.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import os
import pathlib
import pickle
import sys
from collections.abc import Iterable
from typing import Any

from dop_core.build.cache import ConfigCache, SafeUnpickler, input_digest
from dop_core.config.models import DagConfig, Project, Target
from dop_core.contract.registry import Registry
from dop_core.errors import Problem
from dop_core.util.cachedir import project_cache_dir, write_atomically

log = logging.getLogger(__name__)

FORMAT = b"DOP-CHECK-CACHE 1"
#: files of a DAG's folder up to this size are keyed by their bytes, larger ones (seeds) by size and mtime
CONTENT_LIMIT = 256 * 1024


class CheckCache:
    """The problems found by building and checking the SQL of each DAG of one project, for one target."""

    def __init__(self, project: Project, registry: Registry, target: Target, date: dt.date, installed: str):
        """``installed``: the key of what is installed (:func:`~dop_core.util.cachedir.installed_cache`), taken
        before anything imported Airflow (which adds folders to ``sys.path``)."""
        self.configs = ConfigCache.open(project, registry, target)
        self.active = self.configs.active and bool(installed)
        self.dir = project_cache_dir(project.root) / "checks"
        environment = sorted((k, v) for k, v in os.environ.items() if k.startswith(("DOP_", "AIRFLOW")))
        self._salt = hashlib.sha256(FORMAT + f"\0{installed}\0{date.isoformat()}\0{environment!r}".encode()).digest()
        self._packages = frozenset(info.module.partition(".")[0] for info in registry.plugins)

    def key(self, config: DagConfig) -> str | None:
        """The hash of every input of ``config``'s build and SQL check; None when they cannot all be named."""
        if not self.active or config.folder is None or config.inputs is None \
                or not ConfigCache.cacheable(config):
            return None
        folder_key = self.configs.key(config.folder)
        if folder_key is None:
            return None
        h = hashlib.sha256(self._salt + folder_key.encode())
        try:
            for path in _small_files(config.folder):
                h.update(f"{path}\0".encode() + pathlib.Path(path).read_bytes())
        except OSError:
            return None
        for path in config.inputs:
            h.update(f"{path}\0{input_digest(path)}\n".encode())
        return h.hexdigest()

    def _path(self, config: DagConfig) -> pathlib.Path:
        assert config.folder is not None
        return self.dir / f"{config.folder.name}.pickle"

    def problems(self, config: DagConfig, key: str | None) -> list[Problem] | None:
        """The problems stored for ``config`` under ``key``, or None (a miss)."""
        if key is None:
            return None
        try:
            head, _, body = self._path(config).read_bytes().partition(b"\n")
        except OSError:
            return None
        if head != FORMAT + b" " + key.encode():
            return None
        try:
            found, modules = SafeUnpickler(io.BytesIO(body), self._packages).load()
        except Exception as exc:  # a truncated or tampered entry is a miss, never an error
            log.debug("DOP check cache: ignoring %s: %s", self._path(config), exc)
            return None
        if not (isinstance(found, list) and all(isinstance(p, Problem) for p in found) and isinstance(modules, list)):
            return None
        if any(input_digest(path) != digest for path, digest in modules):
            return None
        return found

    def store(self, config: DagConfig, key: str | None, problems: list[Problem], dag: Any) -> None:
        """Keep ``problems``, found with inputs of ``key`` by building ``dag`` and checking its SQL, if the
        inputs did not change meanwhile."""
        if key is None or self.key(config) != key:
            return
        modules = [(path, input_digest(path)) for path in _operator_files(dag)]
        payload = pickle.dumps((problems, modules), protocol=pickle.HIGHEST_PROTOCOL)
        write_atomically(self._path(config), FORMAT + b" " + key.encode() + b"\n" + payload)


def _small_files(folder: pathlib.Path) -> list[str]:
    """The files under ``folder`` of at most :data:`CONTENT_LIMIT` bytes, sorted."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in files:
            path = os.path.join(root, name)
            if os.stat(path).st_size <= CONTENT_LIMIT:
                found.append(path)
    return sorted(found)


def _operator_files(dag: Any) -> Iterable[str]:
    """The Python files of the classes of ``dag``'s operators."""
    files = set()
    for task in dag.tasks:
        source = getattr(sys.modules.get(type(task).__module__), "__file__", None)
        if source:
            files.add(source)
    return sorted(files)
