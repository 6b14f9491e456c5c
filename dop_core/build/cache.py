"""A compiled cache of validated DAG configs, so that an unchanged DAG re-parses without YAML or validation.

Airflow re-parses DAG files every few seconds; reading and validating ``config.yaml`` is most of what
DOP adds to that. After a DAG validates, its :class:`~dop_core.config.models.DagConfig` (typed options
included) is stored in ``~/.cache/dop/parse/<project hash>/dags/<dag folder>.pickle`` (see
:func:`default_dir`) under a key that hashes every
input of validation:

- the DAG's ``config.yaml`` bytes, and the name, size and mtime of every file in its folder (SQL files,
  seeds...);
- ``dop_project.yml``'s bytes, the project's path, the chosen target (name and options: validators see
  it), DOP's version and the size and mtime of each of its source files, each loaded plugin (name,
  distribution, version, module file), Python's and Airflow's versions;
- what each task kind and trigger declares its validation reads beyond those (a record's ``inputs``: for
  an ``external_task`` trigger on another DOP DAG, that DAG's ``config.yaml``; for a dbt task, its dbt
  project...): a file's bytes, a folder's names, sizes and mtimes, checked when the entry is read.

Secrets: a project whose targets hold a secret in ``dop_project.yml`` (a password, a key, a DSN: what
:func:`dop_core.contract.runtime.target_secrets` finds) is never cached: its file is read at every parse, so no
secret is copied in clear to the user's cache. Omitting the entry is the simplest sound choice: an
encrypted copy would need a key kept beside it (no safer than the file), and a reference resolved at
build time would read ``dop_project.yml`` anyway; keeping secrets out of the file (PGPASSWORD, an
Airflow connection) keeps the cache. DAG entries hold no target options. Entries are written 0600 in
0700 folders (:mod:`dop_core.util.private`).

Safety rules: a stale entry is never used (any input changing changes the key; the key is computed
again after validating and the entry is written only if the inputs did not change meanwhile); only DAGs
whose every task kind and trigger declares its inputs are cached (DOP's own all do; a plugin's kind that
does not say may read files DOP cannot know of); an entry whose DAG fails to build
is dropped and the DAG re-validated; a cache folder that cannot be written (a read-only DAG mount) only
means no cache; entries are unpickled by a loader that admits nothing but attrs classes of DOP and of the loaded plugins
(their typed options and settings) and a few plain value types, so an entry cannot load code.
``DOP_PARSE_CACHE=0`` turns the cache off; ``DOP_PARSE_CACHE_DIR`` moves it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import logging
import os
import pathlib
import pickle
import sys
from collections.abc import Iterable
from typing import Any

import attrs

from dop_core.config.models import PROJECT_FILE, DagConfig, Project, Target
from dop_core.config.project import find_project_root, load_project
from dop_core.contract.registry import Registry
from dop_core.util.cachedir import enabled, project_cache_dir, write_atomically
from dop_core.validate.dag import validate_dag
from dop_core.validate.settings import PluginSettingsStore

log = logging.getLogger(__name__)

FORMAT = b"DOP-DAG-CACHE 2"
_PLAIN_TYPES = {("pathlib", "PosixPath"), ("pathlib", "PurePosixPath"), ("datetime", "timedelta"),
                ("datetime", "date"), ("datetime", "datetime"), ("datetime", "time"), ("datetime", "timezone")}


def default_dir(project: Project) -> pathlib.Path:
    """``$DOP_PARSE_CACHE_DIR``, else a folder per project in the user's cache: on local disk even where
    the DAGs folder is a bucket mount (Cloud Composer), and never deployed with the project."""
    return project_cache_dir(project.root) / "dags"



def cached_project(location: Any = None) -> Project:
    """:func:`~dop_core.config.project.load_project`, from the cache while ``dop_project.yml`` is unchanged, so a
    warm parse reads no YAML at all (nor imports the YAML library)."""
    import dop_core

    root = find_project_root(location)
    data = _read(root / PROJECT_FILE)
    if not enabled() or data is None:
        return load_project(root)
    key = hashlib.sha256(FORMAT + f"\0project\0{dop_core.__version__}\0{root}\0".encode() + data).hexdigest()
    path = project_cache_dir(root) / "project.pickle"
    cached = _read(path)
    if cached is not None:
        head, _, body = cached.partition(b"\n")
        if head == FORMAT + b" " + key.encode():
            try:
                project = _SafeUnpickler(io.BytesIO(body)).load()
                if isinstance(project, Project) and project.root == root:
                    return project
            except Exception as exc:  # a truncated or tampered entry is a miss, never an error
                log.debug("DOP parse cache: ignoring %s: %s", path, exc)
    project = load_project(root)
    if _holds_secrets(project):  # never written to disk: read from dop_project.yml at every parse
        with contextlib.suppress(OSError):
            path.unlink()
        return project
    payload = pickle.dumps(project, protocol=pickle.HIGHEST_PROTOCOL)
    write_atomically(path, FORMAT + b" " + key.encode() + b"\n" + payload)
    return project


def _holds_secrets(project: Project) -> bool:
    """Whether a target of ``project`` has a secret value (a password, a key, a DSN) in ``dop_project.yml``."""
    from dop_core.contract.runtime import target_secrets

    return any(target_secrets(target) for target in project.targets.values())


class _SafeUnpickler(pickle.Unpickler):
    """Admits the attrs classes of DOP and of the given plugin packages (configs, typed options and settings)
    and plain value types; nothing else."""

    def __init__(self, file: io.BytesIO, packages: frozenset[str] = frozenset()):
        super().__init__(file)
        self.packages = packages | {"dop_core"}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _PLAIN_TYPES:
            return super().find_class(module, name)
        if module.partition(".")[0] in self.packages:
            found = super().find_class(module, name)
            if isinstance(found, type) and attrs.has(found):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a DOP cache entry")


def _stat_line(path: pathlib.Path | str, rel: str) -> str:
    st = os.stat(path)
    return f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n"


def _tree(folder: pathlib.Path | str, prefix: str = "") -> list[str]:
    """Name, size and mtime of every file under ``folder`` (sorted)."""
    lines = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir():
                if entry.name != "__pycache__":
                    lines += _tree(entry.path, f"{prefix}{entry.name}/")
            else:
                st = entry.stat()
                lines.append(f"{prefix}{entry.name}\0{st.st_size}\0{st.st_mtime_ns}\n")
    return sorted(lines)


def _digest(path: str) -> str | None:
    """A file's content hash, a folder's tree (names, sizes, mtimes) hash, or None when it does not exist."""
    try:
        if os.path.isdir(path):
            return hashlib.sha256("".join(_tree(path)).encode()).hexdigest()
        return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


@functools.cache
def airflow_version() -> str:
    """Airflow's version, without importing Airflow when it is not imported yet (``dop validate`` keys its
    cache with the parse cache's salt and imports no Airflow when its entries are current)."""
    airflow = sys.modules.get("airflow")
    if airflow is not None:
        return str(airflow.__version__)
    from importlib.metadata import version

    return version("apache-airflow")


@functools.cache
def _dop_sources() -> bytes:
    """The name, size and mtime of each of DOP's source files, read once per process: the code a process
    runs is the code it imported, and a project split among several DAG files keys each of them."""
    import dop_core

    return "".join(_tree(pathlib.Path(dop_core.__file__).parent)).encode()


def _read(path: pathlib.Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def read_entry(path: pathlib.Path, form: bytes, key: str, packages: frozenset[str]) -> Any:
    """The value :func:`write_entry` stored at ``path`` under ``key`` (``form``: the kind of cache), if the files
    it depends on are unchanged; else None (a truncated or tampered entry is a miss, never an error)."""
    data = _read(path)
    if data is None:
        return None
    head, _, body = data.partition(b"\n")
    if head != form + b" " + key.encode():
        return None
    try:
        value, deps = _SafeUnpickler(io.BytesIO(body), packages).load()
    except Exception as exc:
        log.debug("DOP cache: ignoring %s: %s", path, exc)
        return None
    if not isinstance(deps, list) or any(_digest(dep) != digest for dep, digest in deps):
        return None
    return value


def write_entry(path: pathlib.Path, form: bytes, key: str, value: Any, deps: Iterable[str]) -> bool:
    """Store ``value`` at ``path`` under ``key``, valid while the files and folders ``deps`` are unchanged;
    False when the folder cannot be written."""
    payload = pickle.dumps((value, [(dep, _digest(dep)) for dep in deps]), protocol=pickle.HIGHEST_PROTOCOL)
    return write_atomically(path, form + b" " + key.encode() + b"\n" + payload)


class ConfigCache:
    """Validated configs of one project, for one target and one set of plugins."""

    def __init__(self, project: Project, registry: Registry, target: Target | None,
                 folder: pathlib.Path | None = None, active: bool = True):
        self.project = project
        self.registry = registry
        self.target = target
        #: the plugins' settings of the project for ``target``, validated once for every DAG folder
        self.settings = PluginSettingsStore(project, registry, target)
        self.active = active
        self.dir = folder or default_dir(project)
        self.writable = True
        self.hits: set[str] = set()
        self._salt = self._project_salt(target) if active else b""
        #: the top-level packages of the loaded plugins: their attrs classes may be in an entry
        self._packages = frozenset(info.module.partition(".")[0] for info in registry.plugins)

    @classmethod
    def open(cls, project: Project, registry: Registry, target: Target | None) -> ConfigCache:
        """The project's cache for ``target`` (validators see it), or a pass-through one when
        ``DOP_PARSE_CACHE=0`` or it cannot be keyed."""
        if not enabled():
            return cls(project, registry, target, active=False)
        try:
            return cls(project, registry, target)
        except OSError as exc:
            log.debug("DOP parse cache off: %s", exc)
            return cls(project, registry, target, active=False)

    # -- keys ---------------------------------------------------------------------------------
    def _project_salt(self, target: Target | None) -> bytes:
        import dop_core

        h = hashlib.sha256(FORMAT)
        h.update(f"{sys.version}\0{dop_core.__version__}\0{airflow_version()}\0"
                 f"{self.project.root}\0{target!r}\0{os.environ.get('DOP_TARGET', '')}\n".encode())
        h.update(_read(self.project.root / PROJECT_FILE) or b"")
        h.update(_dop_sources())
        for info in self.registry.plugins:
            module = sys.modules.get(info.module)
            where = getattr(module, "__file__", None)
            stat = _stat_line(where, "") if where else ""
            h.update(f"{info.name}\0{info.module}\0{info.distribution}\0{info.version}\0{info.error}\0{stat}".encode())
        return h.digest()

    def key(self, folder: pathlib.Path) -> str | None:
        """The hash of every input of ``folder``'s validation; None if they cannot be read."""
        config = _read(folder / "config.yaml")
        if config is None:
            return None
        h = hashlib.sha256(self._salt)
        h.update(config)
        try:
            for line in _tree(folder):
                h.update(line.encode())
        except OSError:
            return None
        return h.hexdigest()

    def _path(self, folder: pathlib.Path) -> pathlib.Path:
        return self.dir / f"{folder.name}.pickle"

    # -- reading and writing ------------------------------------------------------------------
    def validated(self, folder: pathlib.Path) -> DagConfig:
        """``folder``'s validated config: from the cache when every input is unchanged, else validated
        (and stored). Raises ConfigError like :func:`~dop_core.validate.dag.validate_dag`."""
        if not self.active:
            return validate_dag(self.project, folder, self.registry, target=self.target, settings=self.settings)
        key = self.key(folder)
        if key is not None:
            found = self._load(folder, key)
            if found is not None:
                self.hits.add(folder.name)
                return found
        config = validate_dag(self.project, folder, self.registry, target=self.target, settings=self.settings)
        if key is not None and self.writable and self.cacheable(config) and self.key(folder) == key:
            self._store(folder, key, config)
        return config

    def forget(self, folder: pathlib.Path) -> bool:
        """Drop ``folder``'s entry; True if its config had come from the cache (so it is worth re-validating)."""
        if folder.name not in self.hits:
            return False
        self.hits.discard(folder.name)
        with contextlib.suppress(OSError):
            self._path(folder).unlink()
        return True

    def _load(self, folder: pathlib.Path, key: str) -> DagConfig | None:
        config = read_entry(self._path(folder), FORMAT, key, self._packages)
        return attrs.evolve(config, _folder=folder) if isinstance(config, DagConfig) else None

    def _store(self, folder: pathlib.Path, key: str, config: DagConfig) -> None:
        assert config.inputs is not None
        if not write_entry(self._path(folder), FORMAT, key, attrs.evolve(config, _document=None), config.inputs):
            self.writable = False

    @staticmethod
    def cacheable(config: DagConfig) -> bool:
        """Only DAGs whose every task kind and trigger said what its validation read (``inputs``)."""
        triggers = [*config.triggers, *(t for task in config.tasks for t in task.triggers)]
        return config.inputs is not None and all(t.typed_options is not None for t in config.tasks) \
            and all(t.typed_options is not None for t in triggers)
