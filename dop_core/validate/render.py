"""A task's SQL template rendered as a run renders it, with no DAG built and no Airflow imported.

DOP's DAG gives Airflow a sandboxed Jinja environment (:data:`~dop_core.jinja.render.JINJA_ENVIRONMENT`,
the project's loader, ``is_incremental`` and the plugins' macros) and Airflow renders each task with its
context. Here the same environment is made from the config, and the context comes from
:func:`dop_core.jinja.render.template_context` with stand-ins holding what templates read of the DAG and of
DOP's task (its id, params, ``params.task``, ``task.schema``...). Airflow's date filters (``| ds``...)
and ``macros`` import Airflow the first time a template uses them. A test compares these renders with
the built DAG's for every SQL file of the repository's projects.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from typing import Any

import attrs
import jinja2
import jinja2.sandbox

from dop_core.config.models import DagConfig, Project, Target, TaskConfig
from dop_core.jinja.original import original_task
from dop_core.jinja.render import JINJA_ENVIRONMENT, Rendered, sql_file_path

#: Airflow's filters of every template environment (airflow.sdk.definitions._internal.templater.FILTERS)
AIRFLOW_FILTERS = ("ds", "ds_nodash", "ts", "ts_nodash", "ts_nodash_with_tz")


class SandboxedEnvironment(jinja2.sandbox.SandboxedEnvironment):
    """Airflow's sandbox: attributes starting with one ``_`` may be read, Python's internals may not."""

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return not jinja2.sandbox.is_internal_attribute(obj, attr)


def _airflow_filter(name: str) -> Any:
    def apply(value: Any) -> Any:
        from airflow.sdk.definitions._internal.templater import FILTERS

        return FILTERS[name](value)

    return apply


def template_env(project: Project, config: DagConfig) -> jinja2.Environment:
    """The Jinja environment DOP gives the DAG of ``config`` (see :func:`dop_core.build.dags.build_dag`)."""
    from dop_core.contract import registry as plugins
    from dop_core.contract.runtime import is_incremental
    from dop_core.jinja.loader import ProjectLoader

    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, cache_size=0,
                               loader=ProjectLoader([str(config.folder)], project), **JINJA_ENVIRONMENT)
    env.filters.update({name: _airflow_filter(name) for name in AIRFLOW_FILTERS})
    macros, _ = plugins.jinja_macros(project)  # a plugin whose macros fail is reported when the DAG is built
    env.globals.update({"is_incremental": is_incremental, **macros})
    return env


@attrs.frozen
class DagStandIn:
    """What templates read of a DAG."""

    dag_id: str
    params: dict[str, Any]
    schedule: Any
    timezone: Any


@attrs.frozen
class TaskStandIn:
    """What templates read of one of DOP's SQL tasks (the attributes of its operator)."""

    task_id: str
    kind: str
    sql: str
    sql_file: str
    dop_param_keys: tuple[str, ...]
    #: the task's config as the original DOP's templates read it (None for a trigger's wait task)
    dop_task_config: dict[str, Any] | None
    #: the task's typed options and its kind's record, for the SQL checks (:mod:`dop_core.check.unbuilt`)
    options: Any = None
    dop_kind: Any = None

    # the original DOP's operator attributes (see dop_core.jinja.original)
    @property
    def identifier(self) -> str:
        return self.task_id

    @property
    def schema(self) -> str | None:
        return (self.dop_task_config or {}).get("schema")

    @property
    def database(self) -> str | None:
        return (self.dop_task_config or {}).get("database")

    @property
    def action(self) -> str:
        return self.kind.split("/")[0]

    @property
    def arguments(self) -> Any:
        return ((self.dop_task_config or {}).get("options") or {}).get("arguments")


@attrs.define
class Renderer:
    """Renders the SQL of a DAG's tasks for given dates, params and modes."""

    project: Project
    config: DagConfig
    target: Target
    #: each param's value from the config (``typed_params``' defaults)
    defaults: dict[str, Any]

    @functools.cached_property
    def env(self) -> jinja2.Environment:
        return template_env(self.project, self.config)

    def dag(self, params: dict[str, Any]) -> DagStandIn:
        """The DAG with ``params`` given for the run (as JSON holds them, like Airflow's params)."""
        from dop_core.config.params import json_value

        schedule = self.config.schedule_interval if isinstance(self.config.schedule_interval, str) else None
        return DagStandIn(self.config.dag_id, {**self.defaults, **json_value(params)}, schedule,
                          zoneinfo.ZoneInfo(self.config.timezone))

    def task(self, task: TaskConfig) -> TaskStandIn:
        name = f"sql/{task.identifier}.sql"
        return TaskStandIn(task.identifier, f"{task.kind.action}/{task.kind.target}", name, name,
                           tuple(self.defaults), original_task(task, self.config, self.target))

    def render(self, task: TaskConfig, date: dt.date, params: dict[str, Any], full_refresh: bool,
               incremental: bool) -> Rendered:
        """``task``'s SQL as a run at ``date`` renders it; ConfigError located in the SQL file."""
        from dop_core.jinja.render import render_task

        return render_task(self.dag(params), self.task(task), date, full_refresh, incremental, self.env)

    def path(self, task: TaskConfig) -> str:
        """The task's SQL file as shown to the user."""
        return sql_file_path(self.env, self.task(task).sql)

