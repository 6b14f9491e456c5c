"""A built DAG's task graph as Mermaid or Graphviz DOT, for docs and reviews."""

from __future__ import annotations

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
