"""Validating a whole project: its targets, then every DAG folder, then what spans DAGs (asset schedules)."""

from __future__ import annotations

import os
import pathlib
from collections.abc import Callable
from typing import Any, Protocol

import attrs

from dop_core.config.models import DagConfig, Project, TaskConfig
from dop_core.contract.registry import Registry, get_registry
from dop_core.errors import ConfigError, Problem, did_you_mean
from dop_core.validate.dag import validate_dag
from dop_core.validate.settings import PluginSettingsStore
from dop_core.validate.targets import validate_target


@attrs.frozen
class ProjectReport:
    """The outcome of validating a whole project: the valid DAG configs and every problem."""

    project: Project | None
    dags: list[DagConfig]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)


class KnownDags(Protocol):
    """What was learnt of DAG folders before (see :mod:`dop_core.check.cache`)."""

    def validated(self, folder: pathlib.Path) -> tuple[DagConfig, list[Problem]] | None:
        """``folder``'s validated config and its warnings, when none of its inputs changed since."""

    def note(self, folder: pathlib.Path, config: DagConfig, warnings: list[Problem]) -> None:
        """``folder`` validated now, with ``warnings``."""


def validate_project(root: Any = None, target: str | None = None,
                     known: Callable[[Project, Registry, Any], KnownDags | None] | None = None) -> ProjectReport:
    """Every problem of the project's configs; ``known(project, registry, chosen target)`` gives what was learnt
    of each DAG folder before (a DAG whose inputs did not change is not validated again)."""
    from dop_core.config.project import load_project

    try:
        project = load_project(root)
    except ConfigError as exc:
        return ProjectReport(None, [], exc.problems)
    registry = get_registry()
    problems: list[Problem] = []
    if project.document is not None:  # broken plugins are reported where they hurt: on the project
        problems += [Problem(project.document.at(()), e, severity="warning") for e in registry.errors]
    typed_targets = {}
    chosen_name = target or os.environ.get("DOP_TARGET") or project.default_target
    for t in project.targets.values():
        typed_targets[t.name], found = validate_target(project, t, registry, chosen=t.name == chosen_name)
        problems += found
    chosen = typed_targets.get(chosen_name)
    settings = PluginSettingsStore(project, registry, chosen)  # plugins.<name>: validated once for every DAG
    problems += settings.problems()
    memo = known(project, registry, chosen) if known is not None and chosen is not None else None
    dags = []
    for folder in project.dag_folders():
        learnt = memo.validated(folder) if memo is not None else None
        if learnt is None:
            warnings: list[Problem] = []
            try:
                learnt = validate_dag(project, folder, registry, warnings, target=chosen, thorough=True,
                                      settings=settings), warnings
            except ConfigError as exc:
                problems.extend(exc.problems)
                continue
            if memo is not None:
                memo.note(folder, *learnt)
        dags.append(learnt[0])
        problems += learnt[1]
    problems += _check_asset_schedules(dags, registry)
    # a plugin's settings problem is one problem, however many DAGs use the plugin's kinds
    return ProjectReport(project, dags, list(dict.fromkeys(problems)))


def _writes(registry: Registry, task: TaskConfig) -> bool:
    """Whether ``task``'s kind writes the table it names (its record's ``writes``)."""
    try:
        return registry.task_type(task.kind.action, task.kind.target).writes
    except LookupError:  # reported by the DAG's validation
        return False


def _check_asset_schedules(dags: list[DagConfig], registry: Registry) -> list[Problem]:
    """Warn about a DAG scheduled on a table no DAG of the project writes (a typo would never run it)."""
    written = {f"{t.schema or d.schema}.{t.identifier}" for d in dags for t in d.tasks if _writes(registry, t)}
    problems = []
    for config in dags:
        schedule = config.schedule_interval
        if not isinstance(schedule, dict) or config.document is None:
            continue
        for i, name in enumerate(schedule["assets"]):
            if name not in written:
                problems.append(Problem(
                    config.document.at(("schedule_interval", "assets", i)),
                    f"no DAG of this project writes {name!r}; this DAG runs only when something records an "
                    "event for that asset", "a table one of the project's materializations writes (schema.table)",
                    did_you_mean(name, sorted(written)) or "check the name", severity="warning"))
    return problems
