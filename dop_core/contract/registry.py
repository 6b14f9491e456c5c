"""What the loaded plugins registered, and one typed function per hook: the rest of DOP never calls
``pm.hook`` directly.

The process-wide :class:`Registry` is collected once (:func:`get_registry`): the built-in plugins
(:data:`BUILTIN_PLUGINS`, DOP's own kinds, triggers, egress and engines) are registered first, then the
installed entry points (:mod:`dop_core.plugins.manager`). A plugin whose hook fails, or that returns
something that is not a record, is an error naming it, and the others still count; a record whose name
another plugin already registered is one error naming both, and the first one registered is kept
(``DOP_STRICT_PLUGINS=1`` makes each of these fatal).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, cast

import attrs

from dop_core.contract import hookspecs
from dop_core.contract.records import EgressType, EngineType, PluginSettings, TaskType, TriggerType
from dop_core.errors import LookupProblem, PluginError, did_you_mean
from dop_core.plugins.manager import PluginInfo, PluginManager, load_plugins, registered_plugins, strict

log = logging.getLogger(__name__)

#: DOP's own plugins, registered before any installed one (each a module of @hookimpl functions)
BUILTIN_PLUGINS = (
    "dop_core.builtin.materialization.plugin",
    "dop_core.builtin.assertion.plugin",
    "dop_core.builtin.invocation.plugin",
    "dop_core.builtin.airflow_operator.plugin",
    "dop_core.builtin.triggers.plugin",
    "dop_core.builtin.egress.plugin",
    "dop_core.builtin.duckdb.plugin",
    "dop_core.builtin.bigquery.plugin",
)
#: Where to find actions, triggers, destinations and engines DOP knows of but does not ship.
KNOWN_PROVIDERS: dict[str, dict[str, str]] = {
    "action": {"dbt": "dop-dbt", "spark": "dop-spark"},
    "egress": {"file": "dop-egress", "gcs": "dop-egress", "sftp": "dop-egress"},
    "engine": {"postgres": "dop-postgres"},
    "trigger": {},
}


@attrs.define
class Registry:
    """Everything the loaded plugins registered, keyed by unique name."""

    task_types: dict[tuple[str, str], TaskType] = attrs.field(factory=dict)
    trigger_types: dict[str, TriggerType] = attrs.field(factory=dict)
    egress_types: dict[str, EgressType] = attrs.field(factory=dict)
    engines: dict[str, EngineType] = attrs.field(factory=dict)
    settings: dict[str, PluginSettings] = attrs.field(factory=dict)
    plugins: list[PluginInfo] = attrs.field(factory=list)
    errors: list[str] = attrs.field(factory=list)

    def actions(self) -> list[str]:
        return sorted({a for a, _ in self.task_types})

    def task_type(self, action: str, target: str) -> TaskType:
        """The task type for ``action``/``target``; :class:`~dop_core.errors.LookupProblem` says what exists
        and what to install."""
        if (action, target) in self.task_types:
            return self.task_types[(action, target)]
        if (action, "*") in self.task_types:  # an action taking any target (airflow_operator: a dotted path)
            return self.task_types[(action, "*")]
        actions = self.actions()
        if action not in actions:
            dist = KNOWN_PROVIDERS["action"].get(action)
            if dist:
                raise LookupProblem(f"action {action!r} is provided by the {dist} plugin, which is not installed",
                                    fix=f"pip install {dist}")
            raise LookupProblem(f"unknown action {action!r}; installed actions: {', '.join(actions)}",
                                fix=did_you_mean(action, actions) or "check the spelling or install the plugin "
                                "providing it (`dop plugins` lists what is installed)")
        targets = sorted(t for a, t in self.task_types if a == action)
        raise LookupProblem(f"unknown target {target!r} for action {action!r}; targets: {', '.join(targets)}",
                            fix=did_you_mean(target, targets) or f"use one of {', '.join(targets)}")

    def kind(self, name: str) -> TaskType:
        """The task type named ``action/target`` (as an operator's ``kind`` shows it)."""
        action, _, target = name.partition("/")
        return self.task_type(action, target)

    def named(self, table: str, name: str) -> Any:
        """The egress destination, trigger kind or engine called ``name``; LookupProblem explains."""
        tables: dict[str, dict[str, Any]] = {"egress": self.egress_types, "trigger": self.trigger_types,
                                             "engine": self.engines}
        records = tables[table]
        if name in records:
            return records[name]
        if name in KNOWN_PROVIDERS[table]:
            dist = KNOWN_PROVIDERS[table][name]
            raise LookupProblem(f"{table} {name!r} is provided by the {dist} plugin, which is not installed",
                                fix=f"pip install {dist}")
        raise LookupProblem(f"unknown {table} {name!r}; installed: {', '.join(sorted(records)) or 'none'}",
                            fix=did_you_mean(name, records) or "check the spelling or install the plugin providing it")

    def settings_of(self, provider: str) -> PluginSettings | None:
        """The settings ``provider`` (a plugin's name) declared, if any."""
        return next((s for s in self.settings.values() if s.provider == provider), None)


_HOOKS: tuple[tuple[str, type, str, Callable[[Any], Any]], ...] = (
    ("dop_task_types", TaskType, "task_types", lambda r: (r.action, r.target)),
    ("dop_trigger_types", TriggerType, "trigger_types", lambda r: r.kind),
    ("dop_egress_types", EgressType, "egress_types", lambda r: r.name),
    ("dop_engines", EngineType, "engines", lambda r: r.name),
    ("dop_plugin_settings", PluginSettings, "settings", lambda r: r.name),
)
#: the hooks through which plugins register records
REGISTRATION_HOOKS = tuple(hook for hook, *_ in _HOOKS)


def new_plugin_manager() -> PluginManager:
    return PluginManager(hookspecs.PROJECT_NAME, hookspecs)


def collect(pm: PluginManager, infos: list[PluginInfo]) -> Registry:
    """Call each plugin's registration hooks, one plugin at a time: a broken plugin is named and skipped."""
    registry = Registry()
    registered: dict[str, list[str]] = {}

    def fail(plugin: str, message: str) -> None:
        message = f"plugin {plugin!r}: {message}"
        if strict():
            raise PluginError(message)
        log.error("%s", message)
        registry.errors.append(message)

    for hook_name, record_type, table_name, key_of in _HOOKS:
        table: dict[Any, Any] = getattr(registry, table_name)
        for outcome in pm.call_each(hook_name):
            plugin = outcome.plugin
            if outcome.error is not None:
                fail(plugin, outcome.error)
                continue
            try:
                records = list(outcome.result or ())
            except TypeError:
                fail(plugin, f"{hook_name}() returned {outcome.result!r}, not a list of {record_type.__name__}")
                continue
            for record in records:
                if not isinstance(record, record_type):
                    fail(plugin, f"{hook_name}() returned {record!r}, not a {record_type.__name__}")
                    continue
                key = key_of(record)
                shown = "/".join(key) if isinstance(key, tuple) else key
                if key in table:
                    fail(plugin, f"{record_type.__name__} {shown!r} is registered twice: by {table[key].provider!r} "
                                 f"and by {plugin!r}; the one of {table[key].provider!r} is used; uninstall or "
                                 "disable one (DOP_DISABLE_PLUGINS)")
                    continue
                table[key] = attrs.evolve(cast(Any, record), provider=plugin)
                registered.setdefault(plugin, []).append(f"{hook_name.removeprefix('dop_')}:{shown}")
    by_name = {i.name: i for i in infos}
    for name, info in by_name.items():
        registry.plugins.append(attrs.evolve(info, registers=tuple(registered.get(name, ()))))
    for name in registered:
        if name not in by_name:
            registry.plugins.append(PluginInfo(name, name, registers=tuple(registered[name])))
    return registry


class _State:
    pm: PluginManager | None = None
    registry: Registry | None = None


def get_plugin_manager() -> PluginManager:
    """The process-wide plugin manager (built-ins plus installed entry points), created once."""
    if _State.pm is None:
        get_registry()
    assert _State.pm is not None
    return _State.pm


def get_registry() -> Registry:
    """The process-wide registry of what the loaded plugins registered, collected once."""
    if _State.registry is None:
        pm = new_plugin_manager()
        infos = load_plugins(pm, BUILTIN_PLUGINS)
        _State.registry = collect(pm, infos)
        _State.pm = pm
    return _State.registry


def builtins_only() -> tuple[PluginManager, Registry]:
    """A plugin manager holding DOP's built-in plugins only (no installed plugin), and their registry."""
    pm = new_plugin_manager()
    return pm, collect(pm, load_plugins(pm, BUILTIN_PLUGINS, autoload=False))


def use(pm: PluginManager | None, registry: Registry | None) -> tuple[PluginManager | None, Registry | None]:
    """Make ``pm`` and ``registry`` the process-wide ones (a test's); return the ones they replace."""
    saved = (_State.pm, _State.registry)
    _State.pm, _State.registry = pm, registry
    return saved


def refresh() -> Registry:
    """Re-collect records from the current plugin manager (after registering a plugin in a test)."""
    pm = get_plugin_manager()
    _State.registry = collect(pm, registered_plugins(pm, BUILTIN_PLUGINS))
    return _State.registry


def dag_built(dag: Any, config: Any, project: Any) -> list[str]:
    """Call ``dop_dag_built`` of every plugin (the built-ins last); each plugin's failure is returned as an
    error naming it, the DAG keeps the other plugins' changes."""
    outcomes = get_plugin_manager().call_each("dop_dag_built", reverse=True, dag=dag, config=config,
                                              project=project)
    return [f"plugin {o.plugin!r}: {o.error}" for o in outcomes if o.error]


def dag_built_hooked() -> bool:
    """Whether a plugin implements ``dop_dag_built`` (a DAG is then only checked once built and passed to it)."""
    return bool(get_plugin_manager().hook.dop_dag_built.get_hookimpls())


def jinja_macros(project: Any) -> tuple[dict[str, Callable[..., Any]], list[str]]:
    """The macros every plugin adds (``dop_jinja_macros``) and the errors: a plugin whose hook fails adds
    none; a name two plugins define is kept from the first and reported naming both."""
    macros: dict[str, Callable[..., Any]] = {}
    owners: dict[str, str] = {}
    errors = []
    for outcome in get_plugin_manager().call_each("dop_jinja_macros", project=project):
        if outcome.error:
            errors.append(f"plugin {outcome.plugin!r}: {outcome.error}")
            continue
        found = outcome.result or {}
        if not isinstance(found, dict):
            errors.append(f"plugin {outcome.plugin!r}: dop_jinja_macros() returned {found!r}, not a mapping of "
                          "names to functions")
            continue
        for name, fn in found.items():
            if name in macros:
                errors.append(f"Jinja macro {name!r} is defined by {owners[name]!r} and by {outcome.plugin!r}; "
                              f"the one of {owners[name]!r} is used")
                continue
            macros[name], owners[name] = fn, outcome.plugin
    return macros, errors
