"""The tables each native SQL task's query reads, found by sqlglot in its rendered SQL.

A task's SQL is rendered as a run renders it (:class:`dop_core.validate.render.Renderer`: no DAG built), for
the DAG's start date, as an incremental run and as a full refresh; the tables either render reads count.
A table is a qualified name, ``schema.table`` or ``database.schema.table``: an unqualified name is a CTE
or a name BigQuery cannot resolve without a default dataset, which DOP never sets. Imports sqlglot: never
called while Airflow parses DAGs when the store (:mod:`dop_core.lineage.store`) is current.
"""

from __future__ import annotations

import attrs

from dop_core.config.models import DEFAULT_START_DATE, DagConfig, Project, Target, TaskConfig
from dop_core.errors import Location
from dop_core.jinja.render import CHECKED_RUNS, Rendered


@attrs.frozen
class TableRead:
    """A table a task's SQL reads (or a SQL function it calls), as written (``schema.table``), and where the
    reference is in the SQL file."""

    table: str
    location: Location
    function: bool = False

    @property
    def key(self) -> str:
        return table_key(self.table)

    @property
    def shown(self) -> str:
        return f"{self.table}()" if self.function else self.table


def table_key(name: str) -> str:
    """What two names of one table share: ``schema.table``, lowercased (the database is the target's)."""
    return ".".join(name.lower().split(".")[-2:])


def tables_read(rendered: Rendered, dialect: str) -> list[TableRead]:
    """Each table ``rendered`` (one query, as a rendered template) reads and each qualified SQL function it
    calls, once, located in its template. SQL that does not parse reads nothing here (``dop validate``
    reports it)."""
    found: dict[str, TableRead] = {}
    from dop_core.sql.references import references

    for name, start, function in references(rendered.text, dialect):
        read = TableRead(name, rendered.location(start), function)
        found.setdefault(read.key, read)
    return list(found.values())


def reads_sql(task: TaskConfig) -> bool:
    """Whether ``task``'s SQL is one query DOP runs (its kind's ``sql`` is ``query``: table, view, assertion):
    the tasks whose reads DOP knows."""
    from dop_core.contract.registry import get_registry

    try:
        return get_registry().task_type(task.kind.action, task.kind.target).sql == "query"
    except LookupError:  # reported by the DAG's validation
        return False


def task_reads(project: Project, config: DagConfig, target: Target) -> dict[str, list[TableRead]]:
    """The tables each native single-query task of ``config`` (table, view, assertion) reads, by task id.
    A task whose SQL does not render is left out (``dop validate`` reports the template's error)."""
    from dop_core.validate.render import Renderer

    renderer = Renderer(project, config, target, {k: spec.default for k, spec in config.typed_params.items()})
    date = config.start_date or DEFAULT_START_DATE
    reads: dict[str, list[TableRead]] = {}
    for task in config.tasks:
        if not reads_sql(task):
            continue
        found: dict[str, TableRead] = {}
        texts: set[str] = set()
        for full_refresh, incremental in CHECKED_RUNS:
            try:
                rendered = renderer.render(task, date, {}, full_refresh, incremental)
            except Exception:  # a template error: reported by the checks of templates
                break
            if rendered.text in texts:  # the same SQL either way (most templates): parsed once
                continue
            texts.add(rendered.text)
            for read in tables_read(rendered, project.dialect):
                found.setdefault(read.key, read)
        else:
            reads[task.identifier] = list(found.values())
    return reads
