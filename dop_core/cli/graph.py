"""A built DAG's task graph as Mermaid or Graphviz DOT, for docs and reviews."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any


def _edges(dag: Any) -> list[tuple[str, str]]:
    return sorted((up, task.task_id) for task in dag.tasks for up in task.upstream_task_ids)


def _label(task: Any) -> str:
    kind = getattr(task, "kind", None) or type(task).__name__
    return f"{task.task_id}<br/>{kind}"


def to_mermaid(dag: Any) -> str:
    lines = ["flowchart LR"]
    for task in dag.tasks:
        lines.append(f'    {task.task_id}["{_label(task)}"]')
    lines += [f"    {a} --> {b}" for a, b in _edges(dag)]
    return "\n".join(lines)


def to_dot(dag: Any) -> str:
    lines = [f'digraph "{dag.dag_id}" {{', "    rankdir=LR;", "    node [shape=box];"]
    for task in dag.tasks:
        label = _label(task).replace("<br/>", "\\n")
        lines.append(f'    "{task.task_id}" [label="{label}"];')
    lines += [f'    "{a}" -> "{b}";' for a, b in _edges(dag)]
    lines.append("}")
    return "\n".join(lines)


def config_graph(config: Any) -> Any:
    """The task graph a DAG config declares, without building an operator (for a disabled DAG): each task
    labelled with its kind, each dependency an edge; triggers are not shown."""
    from dop_core.contract.registry import get_registry

    registry = get_registry()

    def kind(task: Any) -> str:  # as a built DAG labels it: an operator by its class, a DOP task by its kind
        try:
            any_target = registry.task_type(task.kind.action, task.kind.target).target == "*"
        except LookupError:
            any_target = False
        if any_target:  # the target is an operator's dotted class path
            return str(task.kind.target).rpartition(".")[2]
        return f"{task.kind.action}/{task.kind.target}"

    tasks = [SimpleNamespace(task_id=t.identifier, kind=kind(t), upstream_task_ids=set(t.dependencies))
             for t in config.tasks]
    return SimpleNamespace(dag_id=config.dag_id, tasks=tasks)
