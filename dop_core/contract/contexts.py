"""What the functions a record names receive: validation, build, run and settings contexts.

Each carries ``settings``: the typed settings of the plugin that registered the kind (its
``plugins.<name>`` in dop_project.yml, merged for the chosen target; None when it declares none).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import pathlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from dop_core.config.identifiers import Relation
from dop_core.config.models import DagConfig, Project, Target, TaskConfig, TriggerConfig
from dop_core.config.yaml import Path
from dop_core.errors import Location, Problem

if TYPE_CHECKING:
    from dop_core.contract.engine import Engine


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
    #: the plugin's typed settings for ``target`` (see :class:`~dop_core.contract.records.PluginSettings`)
    settings: Any = None

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
    #: the plugin's typed settings for ``target`` (see :class:`~dop_core.contract.records.PluginSettings`)
    settings: Any = None

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
        path, folder = os.fspath(self.sql_path), os.fspath(self.folder)
        if path.startswith(folder + "/"):  # as it always is: plain strings, as this runs for every task at every parse
            return path[len(folder) + 1:]
        return str(self.sql_path.relative_to(self.folder))

    def operator_kwargs(self) -> dict[str, Any]:
        """Airflow arguments every DOP task takes from its config (id, retries, timeouts, docs...)."""
        return operator_kwargs(self.task)


def operator_kwargs(t: TaskConfig) -> dict[str, Any]:
    """The Airflow arguments of task ``t``'s config (id, retries, timeouts, docs...), as
    :meth:`TaskBuild.operator_kwargs` gives them."""
    kwargs: dict[str, Any] = {"task_id": t.identifier}
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
    #: the plugin's typed settings for ``target`` (see :class:`~dop_core.contract.records.PluginSettings`)
    settings: Any = None

    @property
    def folder(self) -> pathlib.Path:
        assert self.dag.folder is not None
        return self.dag.folder


@attrs.frozen
class RunContext:
    """One run of a native SQL task, as its kind's ``run`` receives it (inside the task).

    ``sql`` is the rendered SQL in the project's ``dialect``, credentials in clear: log it through
    :func:`dop_core.redact`. ``relation`` is the task's ``[database.]schema.identifier`` (None when the
    task names no schema). ``engine`` is open for the run and closed after it.
    """

    engine: Engine
    task_id: str
    kind: str
    sql: str
    dialect: str
    target: Target
    options: Any = None
    relation: Relation | None = None
    partitioning: Any = None
    full_refresh: bool = False
    sql_file: str | None = None
    #: the DAG's folder: files an option names (a seed's CSV) resolve against it
    folder: pathlib.Path | None = None
    log: logging.Logger = attrs.field(factory=lambda: logging.getLogger("dop_core.run"), eq=False, repr=False)

    def query(self) -> str:
        """:attr:`sql` checked to be exactly one read-only query and translated to the engine's dialect
        (:class:`~dop_core.SqlError` otherwise); the translation is logged when it differs."""
        from dop_core.secrets import redact
        from dop_core.sql.dialects import check_query

        check_query(self.sql, self.dialect)
        translated = self.engine.translate(self.sql, self.dialect)
        if translated != self.sql:
            self.log.info("SQL as sent to %s:\n%s", self.engine.dialect, redact(translated))
        return translated


@attrs.frozen
class SqlTestRun:
    """What a kind's ``test`` receives from ``dop test``: the task's SQL, rendered and translated, to run on an
    in-memory DuckDB ``engine`` that holds the test's ``given`` tables (and its ``existing`` rows in ``relation``,
    for an incremental kind). ``test`` runs the SQL as the kind does and returns the rows ``expect`` is compared
    with, as ``(columns, rows)``."""

    engine: Engine
    sql: str
    task: TaskConfig
    #: the relation the task writes (kinds with ``writes``), else None
    relation: Relation | None
    full_refresh: bool
    #: the dialect the SQL file is written in
    dialect: str

    def relation_rows(self) -> tuple[list[str], list[tuple[Any, ...]]]:
        """The columns and rows of ``relation`` after the run."""
        assert self.relation is not None
        result = self.engine.query(f"SELECT * FROM {self.engine.qualified(self.relation)}")
        return result.columns, result.rows


@attrs.frozen
class SettingsContext:
    """A plugin's settings being checked for the chosen ``target`` (its ``validate`` receives this).

    ``settings`` is the typed settings merged for ``target``; :meth:`where` says where a key of them is
    written (on the target's own block when it sets the key there), :meth:`problem` reports at a path of
    dop_project.yml; :meth:`settings_for` gives the settings as they apply to another target, for a check
    that looks at every target of the project (a production target's missing key, found on a laptop).
    """

    project: Project
    target: Target
    name: str
    settings: Any
    #: the keys the target's own block (``plugins.<name>.targets.<target>``) sets
    target_keys: frozenset[str] = frozenset()
    _merged_for: Callable[[Target], Any] | None = attrs.field(default=None, alias="merged_for", repr=False)

    def settings_for(self, target: Target) -> Any:
        """The typed settings merged for ``target`` (any target of the project; not checked by the plugin)."""
        if target.name == self.target.name or self._merged_for is None:
            return self.settings
        return self._merged_for(target)

    def where(self, key: str | None = None) -> Path:
        """The path in dop_project.yml of ``key`` of the settings as they apply to the target."""
        if key is not None and key in self.target_keys:
            return ("plugins", self.name, "targets", self.target.name, key)
        if key is None and self.target_keys:
            return ("plugins", self.name, "targets", self.target.name)
        return ("plugins", self.name) if key is None else ("plugins", self.name, key)

    def problem(self, path: Path, message: str, expected: str | None = None, fix: str | None = None,
                severity: str = "error") -> Problem:
        assert self.project.document is not None
        return Problem(self.project.document.at(path), message, expected, fix, severity)
