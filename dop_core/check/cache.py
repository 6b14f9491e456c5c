"""What ``dop validate`` learnt of each DAG folder (validating its config, building the DAG, checking its SQL),
kept until one of its inputs changes.

Validating a config reads its YAML and checks types and params (sqlglot, jsonschema); checking a DAG builds it
(its operators, Airflow's template environment: importing Airflow) unless its kinds' validation covers their
build (:mod:`dop_core.check.unbuilt`), and renders and parses each template (sqlglot): seconds of a command a
developer runs all day. For each DAG that validates and
builds, its validated config (with the positions of its YAML, which later checks use to place problems),
its warnings and the problems of its build and SQL are stored in
``~/.cache/dop/parse/<project hash>/checks/<dag folder>.pickle`` (beside the parse cache's entries) under a
key that hashes every input of the three:

- the parse cache's key of the DAG's folder (:meth:`~dop_core.build.cache.ConfigCache.key`: ``config.yaml``,
  the name, size and mtime of each file of the folder, ``dop_project.yml``, the target, DOP's sources, the
  loaded plugins, Python's and Airflow's versions);
- the installed distributions (the ``sys.path`` folders and their times, as DOP's other caches of what is
  installed), the ``DOP_*`` and ``AIRFLOW*`` environment variables, and the date the SQL is rendered for.

An entry also lists what the DAG's task kinds and triggers declare their validation reads (``inputs``: the
DAG an ``external_task`` trigger waits for, a dbt project...) and the Python file of each operator class the
DAG was built with (an operator of the project's own code is checked again when edited): it is used only
while their bytes are unchanged. Only DAGs whose every kind declares its inputs (as in the parse cache) are
kept, and only once they validated and built: a broken DAG is checked again every time. Nor is a folder
with a file changed less than :data:`RACY_SECONDS` ago: a file's time moves in ticks of the file system's
clock, and an edit within the same tick that keeps the file's size would not change the key. Project-wide
checks (targets, plugin settings, asset schedules, lineage across DAGs) run every time. Entries are read by
the parse cache's unpickler (DOP's and the plugins' attrs classes and plain values only);
``DOP_PARSE_CACHE=0`` turns this cache off with the parse cache.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import pathlib
import sys
import time
from collections.abc import Iterable
from typing import Any

import attrs

from dop_core.build.cache import ConfigCache, read_entry, write_entry
from dop_core.config.models import DagConfig, Project, Target
from dop_core.contract.registry import Registry
from dop_core.errors import Problem
from dop_core.util.cachedir import project_cache_dir

FORMAT = b"DOP-CHECK-CACHE 1"
#: a folder with a file changed this recently is not kept (its next edit could keep its time and size)
RACY_SECONDS = 2.0


@attrs.frozen
class Entry:
    """What validating, building and checking one DAG folder found."""

    config: DagConfig
    warnings: list[Problem]
    #: the problems of the DAG's build and SQL (None: not checked yet in this process)
    checked: list[Problem] | None = None


class CheckCache:
    """What validating each DAG folder of one project, building it and checking its SQL found, for one target.

    It is the ``known`` of :func:`~dop_core.validate.project.validate_project`: a folder whose inputs did not
    change gives its stored config and warnings; a folder validated now is noted, and stored (:meth:`store`)
    once its DAG is checked."""

    def __init__(self, project: Project, registry: Registry, target: Target, date: dt.date, installed: str):
        """``installed``: the key of what is installed (:func:`~dop_core.util.cachedir.installed_cache`), taken
        before anything imported Airflow (which adds folders to ``sys.path``)."""
        self.configs = ConfigCache.open(project, registry, target)
        self.active = self.configs.active and bool(installed)
        self.dir = project_cache_dir(project.root) / "checks"
        environment = sorted((k, v) for k, v in os.environ.items() if k.startswith(("DOP_", "AIRFLOW")))
        self._salt = hashlib.sha256(FORMAT + f"\0{installed}\0{date.isoformat()}\0{environment!r}".encode()).digest()
        self._packages = frozenset(info.module.partition(".")[0] for info in registry.plugins)
        self._found: dict[str, tuple[str | None, Entry]] = {}

    def key(self, folder: pathlib.Path) -> str | None:
        """The hash of the inputs of ``folder``'s validation, build and SQL check that are known before
        validating it (the kinds' declared inputs are checked when an entry is read)."""
        folder_key = self.configs.key(folder) if self.active else None
        if folder_key is None:
            return None
        return hashlib.sha256(self._salt + folder_key.encode()).hexdigest()

    def validated(self, folder: pathlib.Path) -> tuple[DagConfig, list[Problem]] | None:
        key = self.key(folder)
        entry = self._load(folder, key) if key is not None else None
        if entry is None:
            return None
        self._found[folder.name] = (key, entry)
        return entry.config, entry.warnings

    def note(self, folder: pathlib.Path, config: DagConfig, warnings: list[Problem]) -> None:
        self._found[folder.name] = (self.key(folder), Entry(config, warnings))

    def checked(self, config: DagConfig) -> list[Problem] | None:
        """The problems of ``config``'s build and SQL when they were stored with its validation."""
        assert config.folder is not None
        found = self._found.get(config.folder.name)
        return found[1].checked if found is not None else None

    def store(self, config: DagConfig, checked: list[Problem], dag: Any) -> None:
        """Keep ``config``'s validation with ``checked``, the problems of building it into ``dag`` (None for a
        disabled DAG, never built) and of its SQL, if its inputs did not change meanwhile and its kinds all said
        what they read."""
        assert config.folder is not None
        key, entry = self._found.get(config.folder.name, (None, None))
        if key is None or entry is None or config.inputs is None or not ConfigCache.cacheable(config) \
                or self.key(config.folder) != key or _changed_lately(config.folder):
            return
        write_entry(self._path(config.folder), FORMAT, key, attrs.evolve(entry, config=config, checked=checked),
                    [*config.inputs, *_operator_files(dag)])

    def _path(self, folder: pathlib.Path) -> pathlib.Path:
        return self.dir / f"{folder.name}.pickle"

    def _load(self, folder: pathlib.Path, key: str) -> Entry | None:
        entry = read_entry(self._path(folder), FORMAT, key, self._packages)
        if not (isinstance(entry, Entry) and isinstance(entry.config, DagConfig)):
            return None
        return attrs.evolve(entry, config=attrs.evolve(entry.config, _folder=folder))


def _changed_lately(folder: pathlib.Path) -> bool:
    """Whether a file under ``folder`` changed less than :data:`RACY_SECONDS` ago (or cannot be read)."""
    recent = time.time() - RACY_SECONDS
    try:
        for root, _, files in os.walk(folder):
            if any(os.stat(os.path.join(root, name)).st_mtime > recent for name in files):
                return True
    except OSError:
        return True
    return False


def _operator_files(dag: Any) -> Iterable[str]:
    """The Python files of the classes of ``dag``'s operators (none when it was not built)."""
    files = set()
    for task in getattr(dag, "tasks", ()):
        source = getattr(sys.modules.get(type(task).__module__), "__file__", None)
        if source:
            files.add(source)
    return sorted(files)
