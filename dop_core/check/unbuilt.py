"""Checking a DAG without building it: what ``dop validate`` does when building the DAG could find nothing its
validation did not (a DAG whose task kinds and triggers all say so, see ``validate_covers_build`` of
:class:`~dop_core.contract.records.TaskType`, native SQL kinds always; and no plugin implementing
``dop_dag_built``). Its SQL templates are rendered with the DAG's Jinja environment and stand-ins of the DAG
and its tasks (:mod:`dop_core.validate.render`) and checked as a built DAG's are
(:func:`dop_core.check.sql.check_templates`), with no Airflow imported."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from dop_core.config.models import DagConfig, Project, Target, trigger_groups, trigger_task_ids
from dop_core.contract import registry as plugins
from dop_core.errors import ConfigError, Location, Problem


def _kinds(config: DagConfig) -> Iterator[tuple[Any, Any]]:
    """The record and typed options of each task and trigger of ``config``."""
    registry = plugins.get_registry()
    for task in config.tasks:
        yield registry.task_type(task.kind.action, task.kind.target), task.typed_options
    for _, triggers, _ in trigger_groups(config.tasks, config.triggers):
        for trig in triggers:
            yield registry.named("trigger", trig.kind), trig.typed_options


def checks_unbuilt(config: DagConfig) -> bool:
    """Whether ``config``'s DAG is checked without building it (see the module's docs)."""
    if plugins.dag_built_hooked():
        return False
    try:
        for record, options in _kinds(config):
            if options is None or not record.covers_build(options, config.typed_settings.get(record.provider)):
                return False
            record.load("build")
    except Exception:  # a plugin that cannot say, or whose build does not load: building reports it
        return False
    return True


def check_unbuilt(config: DagConfig, project: Project, target: Target, date: dt.date, engine: Any) -> list[Problem]:
    """The problems building ``config``'s DAG would find (a plugin's failing Jinja macros, a cycle that
    ``dependencies: auto`` makes) and those of its SQL templates, rendered for ``date``."""
    from dop_core.check.sql import check_templates, inline_sql_locations
    from dop_core.lineage.infer import dependencies_of, recorded_reads
    from dop_core.validate.render import Renderer

    _, macro_errors = plugins.jinja_macros(project)
    fix = "fix or disable the plugin (DOP_DISABLE_PLUGINS)"
    problems = [Problem(Location(str(config.config_path)), error, None, fix) for error in macro_errors]
    try:
        dependencies_of(config, recorded_reads(config, project, target))
    except ConfigError as exc:
        return [*problems, *exc.problems]
    renderer = Renderer(project, config, target, {k: spec.default for k, spec in config.typed_params.items()})
    tasks = list(_stand_ins(config, project, renderer))
    return problems + check_templates(renderer.dag({}), tasks, renderer.env, project.dialect, date, engine=engine,
                                      inline=inline_sql_locations(config))


def _stand_ins(config: DagConfig, project: Project, renderer: Any) -> Iterator[Any]:
    """What templates read of each task and wait task of ``config`` that has SQL, as built it would have: a
    task's ``sql/<identifier>.sql``; a trigger's ``options.sql``, else its ``sql/<identifier>.sql``."""
    import attrs

    from dop_core.validate.dag import SqlFiles
    from dop_core.validate.render import TaskStandIn

    registry = plugins.get_registry()
    sql_files = SqlFiles(project, config)
    for task in config.tasks:
        kind = registry.task_type(task.kind.action, task.kind.target)
        if _reads_sql(kind) and sql_files.get(task.identifier) is not None:
            yield attrs.evolve(renderer.task(task), options=task.typed_options, dop_kind=kind)
    keys = tuple(renderer.defaults)
    for _, triggers, owner in trigger_groups(config.tasks, config.triggers):
        for task_id, trig in zip(trigger_task_ids(config, triggers, owner), triggers, strict=True):
            kind = registry.named("trigger", trig.kind)
            if not _reads_sql(kind):
                continue
            path = sql_files.get(trig.identifier) if trig.identifier else None
            template = str(path.relative_to(config.folder)) if path is not None and config.folder else None
            sql = getattr(trig.typed_options, "sql", None) or template
            if sql:
                yield TaskStandIn(task_id, f"trigger/{trig.kind}", sql, template or "", keys, None, trig.typed_options,
                                  kind)


def _reads_sql(record: Any) -> bool:
    """Whether a task or trigger of kind ``record`` has a SQL template: a native SQL kind's SQL file, or a kind
    that says how its SQL is read or that it reads a SQL file."""
    return getattr(record, "run", None) is not None or record.sql is not None or record.sql_file != "none"
