"""Dependencies read from the SQL: a task depends on the tasks of its DAG that write the tables it reads.

With ``dependencies: auto`` on a task (instead of a list), or on the DAG (every task then also gets them,
besides the ones it lists), building the DAG adds an edge from each task writing a table (a
``materialization`` ``table``, ``view`` or ``seed``: ``schema.identifier``) to each task whose SQL reads it.
The reads come from :mod:`dop_core.lineage.store` (recorded by ``dop validate``): building DAGs imports no
sqlglot. When they are not recorded for the SQL as it is now, the DAG is built with the SQL read there and
then (imports sqlglot), and a warning says to run ``dop validate``: an edge is never silently left out.
Runs at every parse: cheap, and nothing at all for a DAG without ``auto``.
"""

from __future__ import annotations

import logging
from typing import Any

from dop_core.config.models import DagConfig, Project, Target, TaskConfig
from dop_core.errors import ConfigError, Location, Problem

log = logging.getLogger(__name__)


def _task_type(task: TaskConfig) -> Any:
    from dop_core.contract.registry import get_registry

    try:
        return get_registry().task_type(task.kind.action, task.kind.target)
    except LookupError:  # reported by the DAG's validation
        return None


def creates_function(task: TaskConfig) -> bool:
    """Whether ``task``'s kind creates the SQL function it names (its record's ``function``: a udf), which the
    SQL calling it reads."""
    kind = _task_type(task)
    return kind is not None and kind.function


def written_table(task: TaskConfig, config: DagConfig) -> str | None:
    """``schema.table`` that ``task`` writes (its kind ``writes``: a table, view or seed materialization), or
    ``schema.function`` (a udf), else None."""
    schema = task.schema or config.schema
    kind = _task_type(task)
    if not schema or kind is None or not (kind.writes or kind.function):
        return None
    return f"{schema}.{task.identifier}"


def writers(config: DagConfig) -> dict[str, list[str]]:
    """The tasks of ``config`` writing each table, by table key (``schema.table`` lowercased)."""
    from dop_core.lineage.tables import table_key

    found: dict[str, list[str]] = {}
    for task in config.tasks:
        table = written_table(task, config)
        if table is not None:
            found.setdefault(table_key(table), []).append(task.identifier)
    return found


def wants_inferred(config: DagConfig, task: TaskConfig) -> bool:
    return task.auto_dependencies or config.dependencies == "auto"


def inferred_upstream(config: DagConfig, reads: dict[str, list[Any]]) -> dict[str, dict[str, Any]]:
    """For each task, the other tasks of its DAG writing a table it reads, each with the first such read."""
    written = writers(config)
    found: dict[str, dict[str, Any]] = {}
    for task, tables in reads.items():
        for read in tables:
            for writer in written.get(read.key, ()):
                if writer != task:
                    found.setdefault(task, {}).setdefault(writer, read)
    return found


def uses_auto(config: DagConfig) -> bool:
    return any(wants_inferred(config, t) for t in config.tasks)


def recorded_reads(config: DagConfig, project: Project, target: Target) -> dict[str, list[Any]] | None:
    """What each task of ``config`` reads, as ``dop validate`` recorded it (None when not recorded for the SQL
    as it is now). A DAG using ``auto`` needs them: it reads its SQL there and then (and warns)."""
    from dop_core.lineage.store import current_reads, load

    reads = load(project, config, target)
    if reads is None and uses_auto(config):
        log.warning("DOP DAG %s: the tables its tasks read (for `dependencies: auto`) are not recorded for its "
                    "SQL as it is now; reading the SQL while building the DAG, which imports sqlglot and slows "
                    "parsing. Run `dop validate` after changing the SQL to record them.", config.dag_id)
        reads = current_reads(project, config, target)
    return reads


def dependencies_of(config: DagConfig, reads: dict[str, list[Any]] | None) -> dict[str, list[str]]:
    """Each task's upstream tasks: those it lists, and with ``auto`` those writing what it reads (``reads``).
    ConfigError when the inferred ones make a cycle."""
    if not uses_auto(config):
        return {t.identifier: list(t.dependencies) for t in config.tasks}
    return combined(config, reads or {})


def record(config: DagConfig, project: Project, target: Target) -> None:
    """Record the reads of ``config``'s tasks now (a CLI command about to build it: ``dop compile``, ``dop
    graph``, ``dop run``), for ``auto`` and the tasks' inlets."""
    if config.enabled:
        from dop_core.lineage.store import current_reads

        current_reads(project, config, target)


def combined(config: DagConfig, reads: dict[str, list[Any]]) -> dict[str, list[str]]:
    from dop_core.validate.dag import find_cycle

    inferred = inferred_upstream(config, reads)
    deps = {}
    for task in config.tasks:
        upstream = list(task.dependencies)
        if wants_inferred(config, task):
            upstream += [w for w in inferred.get(task.identifier, {}) if w not in upstream]
        deps[task.identifier] = upstream
    cycle = find_cycle(deps)
    if cycle:
        raise ConfigError([_cycle_problem(config, cycle, inferred)])
    return deps


def _cycle_problem(config: DagConfig, cycle: list[str], inferred: dict[str, dict[str, Any]]) -> Problem:
    steps = []
    for task, upstream in zip(cycle, [*cycle[1:], cycle[0]], strict=True):
        read = inferred.get(task, {}).get(upstream)
        listed = upstream in config.task(task).dependencies
        why = "lists it" if listed or read is None else f"reads {read.shown}, which {upstream} writes"
        steps.append(f"{task} depends on {upstream} ({why})")
    first = next(config.task(t) for t in cycle if wants_inferred(config, config.task(t)))
    at: tuple[Any, ...] = ("tasks", first.position, "dependencies") if first.auto_dependencies else ("dependencies",)
    where = config.document.at(at) if config.document is not None else Location(str(config.config_path))
    return Problem(where, "`dependencies: auto` makes a dependency cycle: " + "; ".join(steps),
                   "tasks that read tables written earlier in the DAG, never later",
                   "write this task's dependencies as a list, or read the table from another task")
