"""The plugin manager façade: load plugins once, collect their records, answer typed questions.

Nothing else in DOP calls ``pm.hook`` directly. Built-in plugins are registered first, then the
entry points of group ``dop``. Environment switches:

- ``DOP_DISABLE_PLUGINS``: comma-separated entry-point names not to load (``all`` for every external one);
- ``DOP_PLUGINS``: if set, only these entry-point names are loaded (an allow-list);
- ``DOP_STRICT_PLUGINS=1``: a plugin that fails to load or registers a broken record is fatal
  (for CI) instead of being reported and skipped.

The list of entry points is cached (see :func:`dop_entry_points`).
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import pathlib
from collections.abc import Callable, Iterable
from typing import Any, cast

import attrs
import pluggy

from dop_core.contract import hookspecs
from dop_core.contract.records import EgressType, EngineType, TaskType, TriggerType
from dop_core.errors import PluginError, did_you_mean

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "dop"
BUILTIN_PLUGINS = (
    "dop_core.builtin.materialization.plugin",
    "dop_core.builtin.triggers.plugin",
    "dop_core.builtin.duckdb.plugin",
    "dop_core.builtin.bigquery.plugin",
    "dop_core.builtin.egress.plugin",
)
# Where to find actions, triggers, destinations and engines DOP knows of but does not ship.
KNOWN_PROVIDERS = {
    "action": {"dbt": "dop-dbt", "spark": "dop-spark"},
    "egress": {"file": "dop-egress", "gcs": "dop-egress", "sftp": "dop-egress"},
    "engine": {"postgres": "dop-postgres"},
    "trigger": {},
}


@attrs.frozen
class PluginInfo:
    """One plugin as ``dop plugins`` shows it."""

    name: str
    module: str
    distribution: str | None = None
    version: str | None = None
    builtin: bool = False
    error: str | None = None
    registers: tuple[str, ...] = ()


@attrs.define
class Registry:
    """Everything the loaded plugins registered, keyed by unique name."""

    task_types: dict[tuple[str, str], TaskType] = attrs.field(factory=dict)
    trigger_types: dict[str, TriggerType] = attrs.field(factory=dict)
    egress_types: dict[str, EgressType] = attrs.field(factory=dict)
    engines: dict[str, EngineType] = attrs.field(factory=dict)
    plugins: list[PluginInfo] = attrs.field(factory=list)
    errors: list[str] = attrs.field(factory=list)

    def actions(self) -> list[str]:
        return sorted({a for a, _ in self.task_types})

    def task_type(self, action: str, target: str) -> TaskType:
        """The task type for ``action``/``target``; LookupError explains what exists and what to install."""
        if (action, target) in self.task_types:
            return self.task_types[(action, target)]
        if (action, "*") in self.task_types:  # an action taking any target (airflow_operator: a dotted path)
            return self.task_types[(action, "*")]
        actions = self.actions()
        if action not in actions:
            if action in KNOWN_PROVIDERS["action"]:
                raise LookupError(f"action {action!r} is provided by the {KNOWN_PROVIDERS['action'][action]} "
                                  f"plugin, which is not installed|pip install {KNOWN_PROVIDERS['action'][action]}")
            raise LookupError(f"unknown action {action!r}; installed actions: {', '.join(actions)}|"
                              + (did_you_mean(action, actions) or "check the spelling or install the plugin "
                                 "providing it (`dop plugins` lists what is installed)"))
        targets = sorted(t for a, t in self.task_types if a == action)
        raise LookupError(f"unknown target {target!r} for action {action!r}; targets: {', '.join(targets)}|"
                          + (did_you_mean(target, targets) or f"use one of {', '.join(targets)}"))

    def named(self, table: str, name: str) -> Any:
        """The egress destination, trigger kind or engine called ``name``; LookupError explains."""
        tables: dict[str, dict[str, Any]] = {"egress": self.egress_types, "trigger": self.trigger_types,
                                             "engine": self.engines}
        records = tables[table]
        if name in records:
            return records[name]
        if name in KNOWN_PROVIDERS[table]:
            dist = KNOWN_PROVIDERS[table][name]
            raise LookupError(f"{table} {name!r} is provided by the {dist} plugin, which is not installed|"
                              f"pip install {dist}")
        raise LookupError(f"unknown {table} {name!r}; installed: {', '.join(sorted(records)) or 'none'}|"
                          + (did_you_mean(name, records) or "check the spelling or install the plugin providing it"))


_HOOKS: tuple[tuple[str, type, str, Callable[[Any], Any]], ...] = (
    ("dop_task_types", TaskType, "task_types", lambda r: (r.action, r.target)),
    ("dop_trigger_types", TriggerType, "trigger_types", lambda r: r.kind),
    ("dop_egress_types", EgressType, "egress_types", lambda r: r.name),
    ("dop_engines", EngineType, "engines", lambda r: r.name),
)
#: the hooks through which plugins register records
REGISTRATION_HOOKS = tuple(hook for hook, *_ in _HOOKS)


def _strict() -> bool:
    return os.environ.get("DOP_STRICT_PLUGINS", "").lower() in ("1", "true", "yes")


def _env_list(name: str) -> set[str] | None:
    value = os.environ.get(name)
    if value is None:
        return None
    return {v.strip() for v in value.split(",") if v.strip()}


def new_plugin_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    return pm


def _dist_of(ep: Any) -> tuple[str | None, str | None]:
    dist = getattr(ep, "dist", None)
    return (dist.name, dist.version) if dist is not None else (None, None)


EntryPointRow = tuple[str, str, str | None, str | None]  # name, value ("module:attr"), distribution, version


def dop_entry_points() -> list[EntryPointRow]:
    """The installed entry points of group ``dop``.

    Finding them reads the metadata of every installed distribution (~300 files beside Airflow, ~10 ms),
    at every parse, in every parsing process. So the list is kept in DOP's cache (one file per Python
    executable, for a few ``sys.path`` at a time) under a key made of the ``sys.path`` folders and their
    modification times: installing, upgrading or removing a distribution adds or removes a
    ``*.dist-info`` folder in one of them, which changes that folder's time. ``DOP_PARSE_CACHE=0`` turns
    this cache off with the parse cache.
    """
    from importlib.metadata import entry_points

    path, key = _entry_points_cache()
    known: dict[str, Any] = {}
    if path is not None:
        try:
            known = dict(json.loads(path.read_text(encoding="utf-8")))
            rows = known.get(key)
            if isinstance(rows, list) and all(
                    isinstance(row, list) and len(row) == 4 and isinstance(row[0], str) and isinstance(row[1], str)
                    and all(isinstance(v, str | None) for v in row[2:]) for row in rows):
                return [(row[0], row[1], row[2], row[3]) for row in rows]
        except (OSError, ValueError, TypeError):
            known = {}
    found = [(ep.name, ep.value, *_dist_of(ep)) for ep in entry_points(group=ENTRY_POINT_GROUP)]
    if path is not None:  # a few keys: the dop command and Airflow's processes see different sys.path
        known.pop(key, None)
        kept = dict(list(known.items())[-7:])
        from dop_core.cachedir import write_atomically

        write_atomically(path, json.dumps({**kept, key: found}).encode())
    return found


def _entry_points_cache() -> tuple[pathlib.Path | None, str]:
    import hashlib
    import sys

    from dop_core.cachedir import enabled, user_cache_dir

    if not enabled():
        return None, ""
    h = hashlib.sha256(f"{sys.version}\0{sys.executable}\0".encode())
    for entry in sys.path:
        try:
            h.update(f"{entry}\0{os.stat(entry or '.').st_mtime_ns}\n".encode())
        except OSError:
            h.update(f"{entry}\0-\n".encode())
    name = hashlib.sha256(sys.executable.encode()).hexdigest()[:16]
    return user_cache_dir() / "entry-points" / f"{name}.json", h.hexdigest()


def load_plugins(pm: pluggy.PluginManager, autoload: bool = True) -> list[PluginInfo]:
    """Register the built-ins and (with ``autoload``) the ``dop`` entry points; return what happened."""
    infos: list[PluginInfo] = []
    for module_name in BUILTIN_PLUGINS:
        module = importlib.import_module(module_name)
        pm.register(module, name=module_name)
        infos.append(PluginInfo(module_name, module_name, "dop-core", _core_version(), builtin=True))
    if not autoload:
        return infos
    from importlib.metadata import EntryPoint

    disabled = _env_list("DOP_DISABLE_PLUGINS") or set()
    allowed = _env_list("DOP_PLUGINS")
    for name, value, dist, version in dop_entry_points():
        if "all" in disabled or name in disabled or (allowed is not None and name not in allowed):
            continue
        if pm.has_plugin(name):
            continue
        try:
            plugin = EntryPoint(name=name, value=value, group=ENTRY_POINT_GROUP).load()
            pm.register(plugin, name=name)
        except Exception as exc:  # a broken plugin must not stop the others
            message = f"plugin {name!r} ({dist or value}) failed to load: {type(exc).__name__}: {exc}"
            if _strict():
                raise PluginError(message) from exc
            log.error("%s", message)
            infos.append(PluginInfo(name, value, dist, version, error=message))
            continue
        infos.append(PluginInfo(name, value, dist, version))
    return infos


def _core_version() -> str:
    from dop_core import __version__

    return __version__


def collect(pm: pluggy.PluginManager, infos: Iterable[PluginInfo] = ()) -> Registry:
    """Call each plugin's registration hooks separately, so one broken plugin is named and skipped."""
    registry = Registry()
    by_name = {i.name: i for i in infos}
    registered: dict[str, list[str]] = {}

    def fail(plugin: str, message: str) -> None:
        message = f"plugin {plugin!r}: {message}"
        if _strict():
            raise PluginError(message)
        log.error("%s", message)
        registry.errors.append(message)

    for hook_name, record_type, table_name, key_of in _HOOKS:
        table: dict[Any, Any] = getattr(registry, table_name)
        for impl in getattr(pm.hook, hook_name).get_hookimpls():  # in registration order
            plugin = impl.plugin_name
            try:
                records: list[Any] = list(impl.function() or ())
            except Exception as exc:
                fail(plugin, f"{hook_name}() raised {type(exc).__name__}: {exc}")
                continue
            for record in records:
                if not isinstance(record, record_type):
                    fail(plugin, f"{hook_name}() returned {record!r}, not a {record_type.__name__}")
                    continue
                key = key_of(record)
                record = attrs.evolve(cast(Any, record), provider=plugin)
                if key in table:
                    shown = "/".join(key) if isinstance(key, tuple) else key
                    raise PluginError(f"{record_type.__name__} {shown!r} is registered twice: by "
                                      f"{table[key].provider!r} and by {plugin!r}; uninstall or disable one "
                                      "(DOP_DISABLE_PLUGINS)")
                table[key] = record
                registered.setdefault(plugin, []).append(f"{hook_name.removeprefix('dop_')}:"
                                                         + ("/".join(key) if isinstance(key, tuple) else key))
    for name, info in by_name.items():
        registry.plugins.append(attrs.evolve(info, registers=tuple(registered.get(name, ()))))
    for name in registered:
        if name not in by_name:
            registry.plugins.append(PluginInfo(name, name, registers=tuple(registered[name])))
    return registry


class _State:
    pm: pluggy.PluginManager | None = None
    registry: Registry | None = None


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager (built-ins plus installed entry points), created once."""
    if _State.pm is None:
        get_registry()
    assert _State.pm is not None
    return _State.pm


def get_registry() -> Registry:
    """The process-wide registry of what the loaded plugins registered, collected once."""
    if _State.registry is None:
        pm = new_plugin_manager()
        infos = load_plugins(pm)
        _State.registry = collect(pm, infos)
        _State.pm = pm
    return _State.registry


def refresh() -> Registry:
    """Re-collect records from the current plugin manager (after registering a plugin in a test)."""
    pm = get_plugin_manager()
    _State.registry = collect(pm, _infos_of(pm))
    return _State.registry


def _infos_of(pm: pluggy.PluginManager) -> list[PluginInfo]:
    infos = []
    for name, plugin in pm.list_name_plugin():
        module = getattr(plugin, "__name__", type(plugin).__name__)
        infos.append(PluginInfo(name, module, builtin=name in BUILTIN_PLUGINS))
    return infos


def dag_built(dag: Any, config: Any, project: Any) -> None:
    get_plugin_manager().hook.dop_dag_built(dag=dag, config=config, project=project)


def jinja_macros(project: Any) -> dict[str, Callable[..., Any]]:
    macros: dict[str, Callable[..., Any]] = {}
    owners: dict[str, str] = {}
    pm = get_plugin_manager()
    for impl in pm.hook.dop_jinja_macros.get_hookimpls():
        found = cast(dict[str, Callable[..., Any]], impl.function(project=project) or {})
        for name, fn in found.items():
            if name in macros:
                raise PluginError(f"Jinja macro {name!r} is defined by {owners[name]!r} and by {impl.plugin_name!r}")
            macros[name], owners[name] = fn, impl.plugin_name
    return macros
