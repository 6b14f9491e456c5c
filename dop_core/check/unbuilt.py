"""Checking a DAG without building it: what ``dop validate`` does when building the DAG could find nothing its
validation did not (a DAG whose task kinds all say so, see ``validate_covers_build`` of
:class:`~dop_core.contract.records.TaskType`, native SQL kinds always; with no trigger, and no plugin
implementing ``dop_dag_built``). Its SQL templates are
rendered with the DAG's Jinja environment and stand-ins of the DAG and its tasks (:mod:`dop_core.validate.render`)
and checked as a built DAG's are (:func:`dop_core.check.sql.check_templates`), with no Airflow imported."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from dop_core.config.models import DagConfig, Project, Target
from dop_core.contract import registry as plugins
from dop_core.errors import ConfigError, Location, Problem


def checks_unbuilt(config: DagConfig) -> bool:
    """Whether ``config``'s DAG is checked without building it (see the module's docs)."""
    if config.triggers or any(t.triggers for t in config.tasks) or plugins.dag_built_hooked():
        return False
    registry = plugins.get_registry()
    for task in config.tasks:
        kind = registry.task_type(task.kind.action, task.kind.target)
        try:
            if task.typed_options is None or not kind.covers_build(task.typed_options,
                                                                   config.typed_settings.get(kind.provider)):
                return False
            kind.load("build")
        except Exception:  # a plugin that cannot say, or whose build does not load: building reports it
            return False
    return True


def check_unbuilt(config: DagConfig, project: Project, target: Target, date: dt.date, engine: Any) -> list[Problem]:
    """The problems building ``config``'s DAG would find (a plugin's failing Jinja macros, a cycle that
    ``dependencies: auto`` makes) and those of its SQL templates, rendered for ``date``."""
    from dop_core.check.sql import check_templates
    from dop_core.lineage.infer import dependencies_of, recorded_reads
    from dop_core.validate.dag import plain_sql_folder, sql_file
    from dop_core.validate.render import Renderer

    _, macro_errors = plugins.jinja_macros(project)
    fix = "fix or disable the plugin (DOP_DISABLE_PLUGINS)"
    problems = [Problem(Location(str(config.config_path)), error, None, fix) for error in macro_errors]
    try:
        dependencies_of(config, recorded_reads(config, project, target))
    except ConfigError as exc:
        return [*problems, *exc.problems]
    renderer = Renderer(project, config, target, {k: spec.default for k, spec in config.typed_params.items()})
    registry = plugins.get_registry()
    plain = plain_sql_folder(project, config)
    tasks = [attrs.evolve(renderer.task(task), options=task.typed_options,
                          dop_kind=registry.task_type(task.kind.action, task.kind.target))
             for task in config.tasks if sql_file(project, config, task.identifier, plain) is not None]
    return problems + check_templates(renderer.dag({}), tasks, renderer.env, project.dialect, date, engine=engine)
