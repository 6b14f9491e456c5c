"""``dop validate``'s lineage checks: a task reading a table that a task it does not wait for writes.

- in its own DAG: a warning at the reference in the SQL file, naming both tasks and the table (a dependency
  written without a shared table is fine: what is written wins);
- in another DAG of the project: a warning suggesting to schedule the DAG on the table (an asset) or to
  wait for that DAG (an ``external_task`` trigger);
- ``dependencies: auto`` on a task whose SQL DOP does not read (not a table, view or assertion).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dop_core.config.models import DagConfig, TaskConfig
from dop_core.contract.registry import get_registry
from dop_core.errors import ConfigError, LookupProblem, Problem
from dop_core.lineage.infer import combined, inferred_upstream, written_table
from dop_core.lineage.store import Reads
from dop_core.lineage.tables import reads_sql, table_key


def lineage_problems(dags: list[tuple[DagConfig, Reads]]) -> list[Problem]:
    """The warnings about the reads of each DAG's tasks (``dags``: each enabled DAG and its tasks' reads)."""
    problems: list[Problem] = []
    for config, reads in dags:
        problems += _unwaited_in_dag(config, reads)
        problems += _auto_without_sql(config)
    problems += _unwaited_across_dags(dags)
    return problems


def _ancestors(deps: dict[str, list[str]], task: str) -> set[str]:
    seen: set[str] = set()
    todo = list(deps.get(task, ()))
    while todo:
        dep = todo.pop()
        if dep not in seen:
            seen.add(dep)
            todo += deps.get(dep, ())
    return seen


def _dependencies_at(config: DagConfig, task: TaskConfig) -> str:
    """Where ``task``'s dependencies are written (else the task), as ``config.yaml line N``."""
    if config.document is None:
        return f"{config.name}/config.yaml"
    path: tuple[Any, ...] = ("tasks", task.position, "dependencies")
    at = config.document.at(path) if "dependencies" in (config.document.data["tasks"][task.position] or {}) \
        else config.document.at(("tasks", task.position))
    return f"{config.name}/config.yaml line {at.line}"


def _unwaited_in_dag(config: DagConfig, reads: Reads) -> Iterator[Problem]:
    try:
        deps = combined(config, reads)
    except ConfigError:  # a cycle `auto` makes: reported when the DAG is built
        return
    for task_id, upstream in inferred_upstream(config, reads).items():
        before = _ancestors(deps, task_id)
        for writer, read in upstream.items():
            if writer in before:
                continue
            task = config.task(task_id)
            after = task_id in _ancestors(deps, writer)
            when = (f"it runs before {writer!r}, so it reads {read.shown} as the previous run left it" if after
                    else f"it can run before {read.shown} is written")
            yield Problem(read.location, f"task {task_id!r} reads {read.shown}, which task {writer!r} of this DAG "
                          f"writes, but does not depend on it: {when}",
                          "a task that depends (directly or through other tasks) on the tasks writing the tables "
                          "it reads",
                          f"add {writer} to the dependencies of {task_id} ({_dependencies_at(config, task)}), "
                          "or write `dependencies: auto` there", severity="warning")


def _auto_without_sql(config: DagConfig) -> Iterator[Problem]:
    for task in config.tasks:
        if task.auto_dependencies and not reads_sql(task) and config.document is not None:
            yield Problem(config.document.at(("tasks", task.position, "dependencies")),
                          f"task {task.identifier!r} ({task.kind.action}/{task.kind.target}) has `dependencies: "
                          "auto`, but DOP reads the tables of table, view and assertion tasks only: it gets no "
                          "dependency", "a list of the tasks it depends on",
                          "write its dependencies as a list: dependencies: [task_a, task_b]", severity="warning")


def _waits_for(config: DagConfig, task: TaskConfig, other: DagConfig, key: str) -> bool:
    schedule = config.schedule_interval
    if isinstance(schedule, dict) and key in {table_key(a) for a in schedule.get("assets", ())}:
        return True
    registry = get_registry()
    for trig in [*config.triggers, *task.triggers]:
        try:
            waits_for = registry.named("trigger", trig.kind).load("waits_for")
        except LookupProblem:
            continue
        if waits_for is not None and trig.typed_options is not None and waits_for(trig.typed_options) == other.name:
            return True
    return False


def _unwaited_across_dags(dags: list[tuple[DagConfig, Reads]]) -> Iterator[Problem]:
    written: dict[str, list[tuple[DagConfig, str]]] = {}
    for config, _ in dags:
        for task in config.tasks:
            table = written_table(task, config)
            if table is not None:
                written.setdefault(table_key(table), []).append((config, task.identifier))
    for config, reads in dags:
        for task_id, tables in reads.items():
            for read in tables:
                producers = written.get(read.key, []) if not read.function else []  # a function stays once made
                if any(other.name == config.name for other, _ in producers):
                    continue  # written in this DAG: the check above
                for other, writer in producers:
                    if _waits_for(config, config.task(task_id), other, read.key):
                        continue
                    yield Problem(read.location, f"task {task_id!r} reads {read.shown}, which task {writer!r} of "
                                  f"DAG {other.dag_id} writes, but {config.dag_id} does not wait for it",
                                  "a DAG that runs after the tables it reads from other DAGs are written",
                                  f"schedule {config.name} on the table (`schedule_interval: {{assets: "
                                  f"[{read.table}]}}`, see docs/triggers.md), or wait for that DAG with a trigger "
                                  f"`{{kind: external_task, options: {{dag: {other.name}}}}}`", severity="warning")
