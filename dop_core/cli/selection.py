"""``--select`` / ``--exclude`` of ``dop run`` and ``dop compile``: which tasks of a built DAG to use, as dbt selects.

A selector is one or more values (each ``--select`` may be given several times, each value may hold several
selectors separated by spaces); the tasks selected are the union of what the selectors match. A selector
made of comma-separated parts matches the tasks that every part matches (an intersection, as dbt's).
A part is:

- a task id, or a glob of task ids (``*``, ``?``, ``[abc]``, as :mod:`fnmatch`, case-sensitive); a task group's id
  (dbt's one task per model) selects the group's tasks;
- ``kind:ACTION/TARGET`` (a glob too: ``kind:dbt/*``); ``kind:ACTION`` is ``kind:ACTION/*``;
- any of these with ``+`` before (and all its upstream tasks), after (and all its downstream tasks) or both;
  a number next to the ``+`` limits the depth (``1+daily_revenue``: its direct upstream tasks).

``--exclude`` takes the same selectors and removes what they match. A selector that matches no task, or a
selection left empty, is a :class:`SelectionError` (exit status 2) naming the closest task.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from dop_core.errors import DopError

_GRAPH = re.compile(r"^(?:(?P<up>\d*)\+)?(?P<core>.+?)(?:\+(?P<down>\d*))?$")
KIND_PREFIX = "kind:"


class SelectionError(DopError):
    """A ``--select`` or ``--exclude`` that selects nothing: a usage error (exit status 2)."""

    exit_code = 2


@attrs.frozen
class Selection:
    """The tasks of a DAG to use, in the DAG's order, and those left out."""

    selected: tuple[str, ...]
    unselected: tuple[str, ...]

    @property
    def everything(self) -> bool:
        return not self.unselected


def _groups(task: Any) -> list[Any]:
    """The task groups ``task`` is in, innermost first (not the DAG's root group)."""
    found, group = [], getattr(task, "task_group", None)
    while group is not None and getattr(group, "group_id", None):
        found.append(group)
        group = getattr(group, "parent_group", None)
    return found


def task_kind(task: Any) -> str:
    """A task's kind as a config writes it: ``materialization/table``, ``dbt/run`` (also for the tasks of a group
    one config task became: dbt's one task per model); an operator DOP did not build from a task config (a
    trigger's sensor) by its own ``kind`` or its class."""
    for node in (task, *_groups(task)):
        config = getattr(node, "dop_task_config", None)
        if isinstance(config, dict) and isinstance(config.get("kind"), dict):
            return f"{config['kind']['action']}/{config['kind']['target']}"
    return str(getattr(task, "kind", None) or type(task).__name__)


def split_selectors(values: Iterable[str]) -> list[str]:
    """Each value of a repeated option, split at spaces: the selectors."""
    return [word for value in values for word in value.split()]


def select_tasks(dag: Any, select: Sequence[str] = (), exclude: Sequence[str] = ()) -> Selection:
    """The tasks of ``dag`` that ``select`` (default: all) and not ``exclude`` match; :class:`SelectionError` if a
    selector matches no task or nothing is left."""
    order = list(dag.task_ids)
    chosen = _union(dag, split_selectors(select), "--select") if select else set(order)
    chosen -= _union(dag, split_selectors(exclude), "--exclude") if exclude else set()
    if not chosen and (select or exclude):  # a DAG without tasks is not a selection's fault
        raise SelectionError(f"{_described(select, exclude)} leaves no task of {dag.dag_id} to run "
                             f"(its tasks: {', '.join(order)})\n    fix: exclude fewer tasks")
    return Selection(tuple(t for t in order if t in chosen), tuple(t for t in order if t not in chosen))


def _described(select: Sequence[str], exclude: Sequence[str]) -> str:
    parts = [f"--select {' '.join(select)!r}"] * bool(select) + [f"--exclude {' '.join(exclude)!r}"] * bool(exclude)
    return " with ".join(parts)


def _union(dag: Any, selectors: list[str], option: str) -> set[str]:
    found: set[str] = set()
    for selector in selectors:
        parts = [part for part in selector.split(",") if part] or [selector]
        matched = {part: _match(dag, part) for part in parts}
        both = set.intersection(*matched.values())
        if not both:
            missing = [part for part, tasks in matched.items() if not tasks]
            what = f"{missing[0]!r} in {selector!r}" if missing and len(parts) > 1 else repr(selector)
            raise SelectionError(f"{option} {what} matches none of the tasks of {dag.dag_id} "
                                 f"({len(dag.task_ids)}: {', '.join(dag.task_ids)})\n"
                                 "    expected: task ids, globs (daily_*), kind:ACTION/TARGET, with + for "
                                 "upstream (+task) or downstream (task+) tasks; a comma means AND, a space OR\n"
                                 f"    fix: {_fix(dag, missing[0]) if missing else _fix_and(option, parts)}")
        found |= both
    return found


def _match(dag: Any, part: str) -> set[str]:
    m = _GRAPH.match(part)
    if m is None:  # "+" alone
        return set()
    core = m.group("core")
    if core.startswith(KIND_PREFIX):
        pattern = core[len(KIND_PREFIX):]
        pattern = pattern if "/" in pattern else pattern + "/*"
        base = {t.task_id for t in dag.tasks if fnmatch.fnmatchcase(task_kind(t), pattern)}
    else:
        base = {t.task_id for t in dag.tasks  # a task group's id selects its tasks
                if any(fnmatch.fnmatchcase(n, core) for n in (t.task_id, *(g.group_id for g in _groups(t))))}
    found = set(base)
    for direction, depth in (("up", m.group("up")), ("down", m.group("down"))):
        if depth is None:
            continue
        for task_id in base:
            relatives = dag.get_task(task_id).get_flat_relatives(upstream=direction == "up",
                                                                 depth=int(depth) if depth else None)
            found |= {t.task_id for t in relatives}
    return found


def _fix_and(option: str, parts: list[str]) -> str:
    return ("each part matches tasks but no task matches them all (a comma means AND); for the tasks any part "
            f"matches, separate them with spaces: {option} '{' '.join(parts)}'")


def _fix(dag: Any, part: str) -> str:
    from dop_core.errors import did_you_mean

    m = _GRAPH.match(part)
    core = m.group("core") if m else part
    if core.startswith(KIND_PREFIX):
        kinds = sorted({task_kind(t) for t in dag.tasks})
        hint = did_you_mean(core[len(KIND_PREFIX):], kinds)
        return (hint.replace("did you mean '", "did you mean 'kind:") if hint else
                f"name one of the DAG's kinds: {', '.join('kind:' + k for k in kinds)}")
    return did_you_mean(core, dag.task_ids) or "name one of the tasks above"


def subset(dag: Any, task_ids: Sequence[str]) -> Any:
    """``dag`` with only ``task_ids`` (all of them when empty) and the edges between them: Airflow's own subset."""
    if not task_ids or set(task_ids) == set(dag.task_ids):
        return dag
    return dag.partial_subset(task_ids=list(task_ids), include_upstream=False, include_downstream=False)
