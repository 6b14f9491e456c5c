"""``dop graph --lineage``: a DAG's tasks and the tables they read and write, as Mermaid or Graphviz DOT.

Tables are cylinders (SQL functions that ``materialization/udf`` tasks make: boxes with ``()``); an edge
goes from a task to the table it writes and from a table to each task whose SQL reads it. A dependency
between tasks that no table explains is a dashed edge (those with ``dependencies: auto`` included). Wait
tasks of triggers are not drawn.
"""

from __future__ import annotations

import re

import attrs

from dop_core.config.models import DagConfig, Project, Target


@attrs.frozen
class Lineage:
    dag_id: str
    #: task id -> its kind (action/target, or an operator's class name)
    tasks: dict[str, str]
    tables: list[str]
    #: (task, table) written, (table, task) read, (upstream, task) dependencies no table explains
    writes: list[tuple[str, str]]
    reads: list[tuple[str, str]]
    dependencies: list[tuple[str, str]]


def dag_lineage(project: Project, config: DagConfig, target: Target) -> Lineage:
    """The tasks of ``config``, the tables their SQL reads (read now) and the tables they write."""
    from dop_core.cli.graph import config_graph
    from dop_core.lineage.infer import combined, creates_function, written_table
    from dop_core.lineage.store import current_reads

    reads = current_reads(project, config, target)
    tables: dict[str, str] = {}  # key -> the name as first written (a function's with "()")
    writes = []
    for task in config.tasks:
        table = written_table(task, config)
        if table is not None:
            shown = f"{table}()" if creates_function(task) else table
            writes.append((task.identifier, tables.setdefault(table.lower(), shown)))
    read_edges = [(tables.setdefault(r.key, r.table), task) for task, found in reads.items() for r in found
                  if not r.function or r.key in tables]  # a function no task makes is a built-in's look-alike
    writer_of = {table: task for task, table in writes}
    explained = {(writer_of[table], task) for table, task in read_edges if table in writer_of}
    upstream = combined(config, reads) if config.enabled else {t.identifier: t.dependencies for t in config.tasks}
    deps = [(dep, task) for task, found in upstream.items() for dep in found if (dep, task) not in explained]
    kinds = {t.task_id: t.kind for t in config_graph(config).tasks}
    return Lineage(config.dag_id, kinds, sorted(set(tables.values())), sorted(writes), sorted(read_edges),
                   sorted(deps))


def draw(project: Project, name: str, target: str | None, fmt: str) -> str:
    """The lineage graph of DAG ``name`` (folder name or dag id) in ``fmt`` (mermaid or dot)."""
    from dop_core.build.dags import validate_one

    config, resolved = validate_one(project, name, target)
    lineage = dag_lineage(project, config, resolved)
    return to_mermaid(lineage) if fmt == "mermaid" else to_dot(lineage)


def _table_id(name: str) -> str:
    return "table_" + re.sub(r"\W", "_", name)


def to_mermaid(lineage: Lineage) -> str:
    lines = ["flowchart LR"]
    lines += [f'    {task}["{task}<br/>{kind}"]' for task, kind in lineage.tasks.items()]
    lines += [f'    {_table_id(table)}[["{table}"]]' if table.endswith("()") else f'    {_table_id(table)}[("{table}")]'
              for table in lineage.tables]
    lines += [f"    {task} --> {_table_id(table)}" for task, table in lineage.writes]
    lines += [f"    {_table_id(table)} --> {task}" for table, task in lineage.reads]
    lines += [f"    {a} -.-> {b}" for a, b in lineage.dependencies]
    return "\n".join(lines)


def to_dot(lineage: Lineage) -> str:
    lines = [f'digraph "{lineage.dag_id}" {{', "    rankdir=LR;", "    node [shape=box];"]
    lines += [f'    "{task}" [label="{task}\\n{kind}"];' for task, kind in lineage.tasks.items()]
    lines += [f'    "{table}" [shape={"component" if table.endswith("()") else "cylinder"}];'
              for table in lineage.tables]
    lines += [f'    "{task}" -> "{table}";' for task, table in lineage.writes]
    lines += [f'    "{table}" -> "{task}";' for table, task in lineage.reads]
    lines += [f'    "{a}" -> "{b}" [style=dashed];' for a, b in lineage.dependencies]
    lines.append("}")
    return "\n".join(lines)
