"""Plugins' own settings: ``plugins: {<name>: {...}}`` of dop_project.yml, validated once per project.

A plugin declares its settings with a :class:`~dop_core.contract.records.PluginSettings` record. DOP
structures ``plugins.<name>`` and each ``plugins.<name>.targets.<target>`` with the record's model (every
mistake at its line and column of dop_project.yml), merges the target's keys over the project-wide ones for
the chosen target, runs the plugin's own check of them (once, when a kind of the plugin is used), and hands
the typed result to the plugin's contexts as ``ctx.settings``.
"""

from __future__ import annotations

from typing import Any

import attrs

from dop_core.config.models import Project, Target
from dop_core.config.structure import MISSING, Structurer, yaml_keys
from dop_core.contract.contexts import SettingsContext
from dop_core.contract.records import PluginSettings
from dop_core.contract.registry import Registry
from dop_core.errors import Problem, did_you_mean

#: the key under ``plugins.<name>`` holding the per-target settings
TARGETS = "targets"


@attrs.frozen
class Settings:
    """One plugin's settings as they apply to the chosen target (``value`` is MISSING when they are wrong)."""

    value: Any
    problems: tuple[Problem, ...] = ()


class PluginSettingsStore:
    """The settings every installed plugin declares, for one project and one target, each computed once."""

    def __init__(self, project: Project, registry: Registry, target: Target | None):
        self.project = project
        self.registry = registry
        self.target = target
        self._structured: dict[str, Settings] = {}
        self._checked: dict[str, Settings] = {}

    def for_provider(self, provider: str) -> Settings:
        """The settings of the plugin ``provider`` (its name), structured, merged for the target and checked
        by the plugin; ``Settings(None)`` when it declares none."""
        record = self.registry.settings_of(provider)
        if record is None:
            return Settings(None)
        if record.name not in self._checked:
            found = self.structured(record)
            if found.value is not MISSING and record.validate is not None and self.target is not None:
                found = self._check(record, found)
            self._checked[record.name] = found
        return self._checked[record.name]

    def structured(self, record: PluginSettings) -> Settings:
        """``plugins.<record.name>``: structured with the record's model, merged for the target."""
        if record.name not in self._structured:
            self._structured[record.name] = self._structure(record, self.target)
        return self._structured[record.name]

    def problems(self) -> list[Problem]:
        """Every mistake in ``plugins:`` of dop_project.yml: each declared plugin's settings structured, and a
        warning for settings no installed plugin reads."""
        found: list[Problem] = []
        for record in self.registry.settings.values():
            if record.name in self.project.plugins:
                found += self.structured(record).problems
        doc = self.project.document
        for name in self.project.plugins:
            if name not in self.registry.settings and doc is not None:
                found.append(Problem(doc.at(("plugins", name), key=True), f"no installed plugin reads plugins.{name}",
                                     "the settings of an installed plugin: " + (", ".join(self.registry.settings)
                                                                                or "none declares any"),
                                     did_you_mean(name, self.registry.settings) or "install the plugin, or remove "
                                     "its settings", severity="warning"))
        return found

    def _structure(self, record: PluginSettings, target: Target | None) -> Settings:
        raw = self.project.plugins.get(record.name)
        model = record.options_model
        if raw is None:
            return Settings(model())
        doc = self.project.document
        assert doc is not None
        problems: list[Problem] = []
        s = Structurer(doc, problems)
        here = ("plugins", record.name)
        if not isinstance(raw, dict):
            s.problem(here, f"plugins.{record.name} must be a mapping of settings", "keys such as "
                      + ", ".join(yaml_keys(model)[:4]))
            return Settings(MISSING, tuple(problems))
        per_target = raw.get(TARGETS) or {}
        base = s.structure_attrs({k: v for k, v in raw.items() if k != TARGETS}, model, here)
        if not isinstance(per_target, dict):
            s.problem((*here, TARGETS), f"plugins.{record.name}.targets must be a mapping of target name to "
                      "settings", "{<target>: {...}}")
            return Settings(MISSING, tuple(problems))
        overrides: dict[str, tuple[Any, dict[str, Any]]] = {}
        for name, body in per_target.items():
            if name not in self.project.targets:
                s.problem((*here, TARGETS, name), f"plugins.{record.name}.targets names {name!r}, which is not a "
                          "target", "one of " + ", ".join(self.project.targets),
                          did_you_mean(name, self.project.targets) or "rename it or remove it", key=True)
                continue
            overrides[name] = (s.structure_attrs(body, model, (*here, TARGETS, name)), body or {})
        if problems or base is MISSING:
            return Settings(MISSING, tuple(problems))
        if target is None or target.name not in overrides:
            return Settings(base)
        typed, written = overrides[target.name]
        return Settings(merge(base, typed, written))

    def _check(self, record: PluginSettings, found: Settings) -> Settings:
        assert self.target is not None
        raw = self.project.plugins.get(record.name)
        written = ((raw or {}).get(TARGETS) or {}).get(self.target.name) if isinstance(raw, dict) else None
        ctx = SettingsContext(self.project, self.target, record.name, found.value,
                              frozenset(written) if isinstance(written, dict) else frozenset(),
                              merged_for=lambda target: self._structure(record, target).value)
        try:
            problems = tuple(record.load("validate")(ctx) or ())
        except Exception as exc:  # a plugin's check crashing is reported on its settings, not raised
            problems = (ctx.problem(ctx.where(), f"the check of plugins.{record.name} ({record.provider}) failed: "
                                    f"{type(exc).__name__}: {exc}"),)
        errors = any(p.severity == "error" for p in problems)
        return Settings(MISSING if errors else found.value, problems)


def merge(base: Any, override: Any, written: dict[str, Any]) -> Any:
    """``override`` (a target's settings, of which the keys ``written`` were set) over ``base``: a key set on the
    target wins, except that a field with metadata ``{"merge": "update"}`` (a mapping) or ``{"merge":
    "extend"}`` (a list) combines both."""
    changes = {}
    for field in attrs.fields(type(base)):
        key = field.alias or field.name
        if key not in written:
            continue
        value, before = getattr(override, field.name), getattr(base, field.name)
        how = field.metadata.get("merge")
        if how == "update" and isinstance(value, dict) and isinstance(before, dict):
            value = {**before, **value}
        elif how == "extend" and isinstance(value, list) and isinstance(before, list):
            value = [*before, *value]
        changes[field.alias or field.name] = value
    return attrs.evolve(base, **changes)


def plugin_settings(project: Project, target: Target, name: str) -> Any:
    """The settings ``plugins.<name>`` of ``project`` as they apply to ``target``: structured with the model the
    plugin declared, merged for the target and checked by the plugin (for a plugin's own command, outside a
    task's validation); a :class:`~dop_core.errors.ConfigError` with their problems when they are wrong."""
    from dop_core.contract.registry import get_registry
    from dop_core.errors import ConfigError, LookupProblem

    registry = get_registry()
    record = registry.settings.get(name)
    if record is None:
        raise LookupProblem(f"no installed plugin declares the settings plugins.{name}",
                            fix=did_you_mean(name, registry.settings) or "install the plugin that reads them")
    found = PluginSettingsStore(project, registry, target).for_provider(record.provider)
    if found.value is MISSING or any(p.severity == "error" for p in found.problems):
        raise ConfigError(found.problems)
    return found.value
