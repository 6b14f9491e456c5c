"""What a task type's ``validate`` and ``build`` functions receive."""

from __future__ import annotations

import datetime as dt
import pathlib
from typing import Any

import attrs

from dop_core.config.identifiers import Relation
from dop_core.config.models import DagConfig, Project, Target, TaskConfig, TriggerConfig
from dop_core.config.yaml import Path
from dop_core.errors import Location, Problem


@attrs.frozen
class ValidationContext:
    """A task (or trigger) being validated: use :meth:`problem` to report something wrong with it.

    ``path`` is where the task (or trigger) sits in the config (``("tasks", 3)``), so that
    ``problem(("options", "project"), ...)`` points at ``tasks[3].options.project``.
    """

    project: Project
    dag: DagConfig
    path: Path
    options: Any
    task: TaskConfig | None = None
    trigger: TriggerConfig | None = None
    sql_path: pathlib.Path | None = None
    #: the target the DAGs are validated for (``--target`` / ``DOP_TARGET`` / the default), if known
    target: Target | None = None
    #: True under ``dop validate``, False when Airflow parses: only then may a validator run checks that
    #: import heavy modules (sqlglot, to parse SQL types and queries)
    thorough: bool = False

    def location(self, subpath: Path = (), key: bool = False) -> Location:
        assert self.dag.document is not None
        return self.dag.document.at((*self.path, *subpath), key=key)

    def problem(self, subpath: Path, message: str, expected: str | None = None, fix: str | None = None,
                severity: str = "error") -> Problem:
        return Problem(self.location(subpath), message, expected, fix, severity)


@attrs.frozen
class TaskBuild:
    """One validated task, ready for its task type's ``build`` to turn into an Airflow operator."""

    task: TaskConfig
    options: Any
    dag: DagConfig
    project: Project
    target: Target
    sql_path: pathlib.Path | None

    @property
    def task_id(self) -> str:
        return self.task.identifier

    @property
    def folder(self) -> pathlib.Path:
        assert self.dag.folder is not None
        return self.dag.folder

    @property
    def schema(self) -> str | None:
        return self.task.schema or self.dag.schema

    @property
    def database(self) -> str | None:
        return self.task.database or self.dag.database

    @property
    def relation(self) -> Relation:
        """The warehouse relation the task writes: ``[database.]schema.identifier``."""
        if not self.schema:
            raise ValueError(f"task {self.task_id!r} has no schema: set `schema:` on the task or the DAG")
        return Relation(self.schema, self.task.identifier, self.database)

    @property
    def sql_template(self) -> str | None:
        """The task's SQL file relative to the DAG folder, as Airflow's template loader wants it."""
        if self.sql_path is None:
            return None
        return str(self.sql_path.relative_to(self.folder))

    def operator_kwargs(self) -> dict[str, Any]:
        """Airflow arguments every DOP task takes from its config (id, retries, timeouts, docs...)."""
        t = self.task
        kwargs: dict[str, Any] = {"task_id": self.task_id}
        if t.retries is not None:
            kwargs["retries"] = t.retries
        if isinstance(t.retry_delay, dt.timedelta):
            kwargs["retry_delay"] = t.retry_delay
        if isinstance(t.execution_timeout, dt.timedelta):
            kwargs["execution_timeout"] = t.execution_timeout
        if t.pool:
            kwargs["pool"] = t.pool
        if t.owner:
            kwargs["owner"] = t.owner
        if t.trigger_rule:
            kwargs["trigger_rule"] = t.trigger_rule
        if t.description:
            kwargs["doc_md"] = t.description
        return kwargs


@attrs.frozen
class TriggerBuild:
    """One validated trigger, for its trigger type's ``build`` to turn into a wait task (a sensor)."""

    task_id: str
    trigger: TriggerConfig
    options: Any
    dag: DagConfig
    project: Project
    target: Target
    sql_path: pathlib.Path | None = None
    for_task: TaskConfig | None = None

    @property
    def folder(self) -> pathlib.Path:
        assert self.dag.folder is not None
        return self.dag.folder
