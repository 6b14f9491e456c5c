"""The plugin manager: pluggy, with DOP's rules for loading plugins and calling their hooks.

Plugins are registered in order: the built-ins first, then the entry points of group ``dop``.
Registering a plugin checks its hook implementations against the hookspecs there and then
(:meth:`PluginManager.register`): a misspelled hook or argument is reported naming the plugin. Hooks are
called through pluggy one plugin at a time (:meth:`PluginManager.call_each`), so one plugin's failure is
that plugin's error, never the end of the caller; pluggy's own argument matching (an implementation may
take fewer arguments than the spec), wrappers and tracing apply.

Environment switches:

- ``DOP_DISABLE_PLUGINS``: comma-separated entry-point names not to load (``all`` for every external one);
- ``DOP_PLUGINS``: if set, only these entry-point names are loaded (an allow-list);
- ``DOP_STRICT_PLUGINS=1``: a plugin that fails to load, or whose hook fails, is fatal (for CI) instead of
  being reported and skipped;
- ``DOP_TRACE_PLUGINS=1``: log every hook call and its result (pluggy's tracing) at INFO.

Nothing here knows DOP's records: :mod:`dop_core.contract.registry` collects them.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import Any

import attrs
import pluggy

from dop_core.errors import PluginError, did_you_mean
from dop_core.plugins.entry_points import ENTRY_POINT_GROUP, dop_entry_points

log = logging.getLogger(__name__)


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


@attrs.frozen
class HookOutcome:
    """What one plugin's implementation of a hook returned, or the error it raised."""

    plugin: str
    result: Any = None
    error: str | None = None


def strict() -> bool:
    """``DOP_STRICT_PLUGINS``: a broken plugin is fatal instead of reported and skipped."""
    return os.environ.get("DOP_STRICT_PLUGINS", "").lower() in ("1", "true", "yes")


def _env_list(name: str) -> set[str] | None:
    value = os.environ.get(name)
    if value is None:
        return None
    return {v.strip() for v in value.split(",") if v.strip()}


class PluginManager(pluggy.PluginManager):
    """pluggy's manager, checking each plugin as it is registered and calling hooks one plugin at a time."""

    def __init__(self, project_name: str, specs: ModuleType):
        super().__init__(project_name)
        self.add_hookspecs(specs)
        self._one: dict[tuple[str, str], Any] = {}
        if os.environ.get("DOP_TRACE_PLUGINS", "").lower() in ("1", "true", "yes"):
            self.trace.root.setwriter(lambda text: log.info("%s", text.rstrip()))
            self.enable_tracing()

    def register(self, plugin: Any, name: str | None = None) -> str | None:
        """Register ``plugin``; a hook implementation that matches no hookspec (a misspelled hook name) or
        takes an argument its spec does not have is a :class:`~dop_core.errors.PluginError` naming the
        plugin and the hook, and the plugin is not registered."""
        try:
            registered = super().register(plugin, name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"plugin {name or plugin!r}: {exc}") from None
        if registered is None:
            return None
        try:
            self.check_pending()
        except pluggy.PluginValidationError:
            unknown = self._unknown_hooks(plugin)
            self.unregister(plugin)
            specs = [n for n, caller in vars(self.hook).items() if not n.startswith("_") and caller.has_spec()]
            hints = [f"{n}{' (' + h + ')' if (h := did_you_mean(n, specs)) else ''}" for n in unknown]
            raise PluginError(f"plugin {registered!r} implements hooks DOP does not have: {', '.join(hints)}; "
                              "rename each to a DOP hook (docs/reference/hookspecs.md) or mark it "
                              "@hookimpl(optionalhook=True)") from None
        self._one.clear()
        return registered

    def unregister(self, plugin: Any = None, name: str | None = None) -> Any:
        self._one.clear()
        return super().unregister(plugin, name)

    def _unknown_hooks(self, plugin: Any) -> list[str]:
        return sorted(n for n, caller in vars(self.hook).items() if not n.startswith("_") and not caller.has_spec()
                      and any(i.plugin is plugin and not i.optionalhook for i in caller.get_hookimpls()))

    def call_each(self, hook: str, *, reverse: bool = False, **kwargs: Any) -> list[HookOutcome]:
        """Call ``hook`` with ``kwargs`` through pluggy, one plugin at a time (in registration order; with
        ``reverse``, in pluggy's own order: the last registered first), each failure kept as that plugin's
        error (raised under ``DOP_STRICT_PLUGINS``)."""
        impls = getattr(self.hook, hook).get_hookimpls()
        outcomes = []
        for impl in reversed(impls) if reverse else impls:
            try:
                results = self._caller(hook, impl.plugin_name)(**kwargs)
            except Exception as exc:
                if strict():
                    raise PluginError(f"plugin {impl.plugin_name!r}: {hook}() raised "
                                      f"{type(exc).__name__}: {exc}") from exc
                outcomes.append(HookOutcome(impl.plugin_name, error=f"{hook}() raised {type(exc).__name__}: {exc}"))
                continue
            outcomes.append(HookOutcome(impl.plugin_name, results[0] if results else None))
        return outcomes

    def _caller(self, hook: str, plugin_name: str) -> Any:
        """The hook caller of ``hook`` holding ``plugin_name``'s implementation only."""
        key = (hook, plugin_name)
        if key not in self._one:
            others = [p for name, p in self.list_name_plugin() if name != plugin_name and p is not None]
            self._one[key] = self.subset_hook_caller(hook, remove_plugins=others)
        return self._one[key]


def load_plugins(pm: PluginManager, builtins: Sequence[str], autoload: bool = True) -> list[PluginInfo]:
    """Register the built-in plugin modules and (with ``autoload``) the ``dop`` entry points; a plugin
    that cannot be imported or registered is reported by name with the reason, the others still load."""
    infos: list[PluginInfo] = []
    for module_name in builtins:
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
            reason = str(exc) if isinstance(exc, PluginError) else f"{type(exc).__name__}: {exc}"
            message = f"plugin {name!r} ({dist or value}) failed to load: {reason}"
            if strict():
                raise PluginError(message) from exc
            log.error("%s", message)
            infos.append(PluginInfo(name, value, dist, version, error=message))
            continue
        infos.append(PluginInfo(name, value, dist, version))
    return infos


def registered_plugins(pm: PluginManager, builtins: Iterable[str]) -> list[PluginInfo]:
    """The plugins registered on ``pm`` (after a test registered one by hand)."""
    builtin = set(builtins)
    return [PluginInfo(name, getattr(plugin, "__name__", type(plugin).__name__), builtin=name in builtin)
            for name, plugin in pm.list_name_plugin()]


def _core_version() -> str:
    from dop_core import __version__

    return __version__
