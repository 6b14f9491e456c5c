"""``dop compile``: render each SQL task's template for a date, as Airflow would, without running it."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Sequence
from typing import Any

import attrs

from dop_core.config.models import Project
from dop_core.errors import ConfigError, DopError
from dop_core.jinja.render import render_task, sql_tasks


@attrs.frozen
class CompiledTask:
    task_id: str
    kind: str
    sql_file: str | None
    dialect: str
    rendered: str
    engine: str
    translated: str | None
    variant: str = ""


def variants(task: Any, full_refresh: bool) -> list[tuple[bool, str]]:
    """The renders of ``task`` worth showing: ``(is_incremental(), label)``.

    Without touching the warehouse DOP cannot know whether a table exists yet: a task of a kind whose
    ``is_incremental()`` waits for its table shows both what its first run (or a full refresh) and what an
    incremental run would send.
    """
    if getattr(getattr(task, "dop_kind", None), "incremental", False) and not full_refresh:
        return [(True, "incremental run"), (False, "first run or full refresh")]
    return [(not full_refresh, "")]


def compile_dag(project: Project, name: str, task_id: str | None, date: dt.date, full_refresh: bool,
                target: str | None = None, select: Sequence[str] = (), exclude: Sequence[str] = ()
                ) -> list[CompiledTask]:
    from dop_core.build.dags import build_one
    from dop_core.cli.selection import select_tasks
    from dop_core.contract.registry import get_registry
    from dop_core.validate.targets import resolve_target

    dag = build_one(project, name, target)
    engine_type = get_registry().named("engine", resolve_target(project, target).engine)
    selected = set(select_tasks(dag, select, exclude).selected)
    tasks = [t for t in sql_tasks(dag) if t.task_id in selected]
    if task_id:
        config = project.orchestration_dir / project.dag_name(name) / "config.yaml"
        _check_task(dag, task_id, [t.task_id for t in tasks], os.path.relpath(config, project.root))
        tasks = [t for t in tasks if t.task_id == task_id]
    return [item for task in tasks if task.sql
            for item in _compile_task(project, dag, task, date, full_refresh, engine_type)]


def _check_task(dag: Any, task_id: str, with_sql: list[str], config: str) -> None:
    """DopError unless ``task_id`` is a task of ``dag`` with SQL: what is missing, which tasks there are."""
    from dop_core.errors import did_you_mean

    if task_id in with_sql:
        return
    if task_id not in dag.task_ids:
        raise DopError(f"no task {task_id!r} in {dag.dag_id} ({config})", expected=f"one of {', '.join(dag.task_ids)}",
                       fix=did_you_mean(task_id, dag.task_ids) or "name one of these tasks")
    raise DopError(f"task {task_id!r} of {dag.dag_id} has no SQL to compile",
                   expected=f"one of the tasks with SQL: {', '.join(with_sql) or 'none in this DAG'}",
                   fix=did_you_mean(task_id, with_sql) or "name a task that runs SQL")


def _compile_task(project: Project, dag: Any, task: Any, date: dt.date, full_refresh: bool,
                  engine_type: Any) -> Iterator[CompiledTask]:
    from dop_core.check.sql import located_parse_error, sql_form
    from dop_core.sql.dialects import translate

    seen: set[str] = set()
    for incremental, label in variants(task, full_refresh):
        template = render_task(dag, task, date, full_refresh, incremental)
        rendered = template.text
        if rendered in seen:
            continue
        seen.add(rendered)
        translated = None
        form = sql_form(task)
        if form is not None:
            errors = list(located_parse_error(template, project.dialect, task))
            if errors:
                raise ConfigError(errors)
            if form != "script":  # a script runs statement by statement, each translated as it runs
                translated = translate(rendered, project.dialect, engine_type.dialect, engine_type.single_catalog)
        yield CompiledTask(task.task_id, task.kind, task.sql_file, project.dialect, rendered, engine_type.name,
                           translated, label)
