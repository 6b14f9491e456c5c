"""The template names of the original DOP (Airflow 1.10), kept working next to Airflow 3's own.

The original DOP gave every task ``params={"params": <the DAG's params>, "task": <the task's config>}``
and ran on Airflow 1.10, whose context had dates Airflow 3 no longer has. A SQL file written for it
renders unchanged here:

- ``params.params.<key>``: the DAG's params (as ``params.<key>``, Variable and run-conf overrides
  applied);
- ``params.task.<key>``: the task's config: ``identifier``, ``kind.action``, ``kind.target``,
  ``schema`` and ``database`` (the task's, else the DAG's), ``partitioning``, ``dependencies``,
  ``options``;
- ``task.schema``, ``task['schema']``, ``task.database``, ``task.identifier``, ``task.action``,
  ``task.arguments`` on DOP's native SQL tasks (the original's operators had these attributes);
- ``execution_date``, ``yesterday_ds``, ``tomorrow_ds``, ``prev_ds``, ``next_ds`` (and ``_nodash``
  forms), ``prev_execution_date``, ``next_execution_date``, ``latest_date``, ``end_date``.

A name already in the context (a DAG param called ``task``...) is never replaced. docs/tasks.md has
the table of names, their meaning and their Airflow 3 spelling.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Mapping
from typing import Any

from dop_core.config.models import DagConfig, Target, TaskConfig


def original_task(task: TaskConfig, config: DagConfig, target: Target) -> dict[str, Any]:
    """``params.task`` of one task: its config as the original DOP passed it (defaults resolved)."""
    partitioning = task.partitioning
    database = task.database or config.database or getattr(target.typed_options, "project", None)
    fields: dict[str, Any] = {
        "identifier": task.identifier,
        "kind": {"action": task.kind.action, "target": task.kind.target},
        "schema": task.schema or config.schema,
        "database": database,
        "partitioning": None if partitioning is None else {
            "field": partitioning.field, "data_type": partitioning.data_type,
            "granularity": partitioning.granularity,
            "range": None if partitioning.range is None else {
                "start": partitioning.range.start, "end": partitioning.range.end,
                "interval": partitioning.range.interval}},
        "dependencies": list(task.dependencies),
        # as JSON reads it (a YAML date becomes its text): Airflow keeps params JSON-serialisable
        "options": json.loads(json.dumps(task.options, default=str)) if task.options else task.options,
    }
    # An unset schema or database is left out: using it is an "undefined" error at its line, not "None".
    return {k: v for k, v in fields.items() if v is not None or k == "partitioning"}


def with_original_names(context: Mapping[str, Any], operator: Any) -> dict[str, Any]:
    """A copy of a task's template ``context`` with the original DOP's names added, for rendering only:
    what the task itself reads at run time (``context["params"]``: Spark jobs, dbt vars) is unchanged."""
    out = dict(context)
    params = context.get("params")
    if params is not None:
        params = {k: params[k] for k in params}  # a ParamsDict's resolved values
        keys = getattr(operator, "dop_param_keys", ())
        params.setdefault("params", {k: params[k] for k in keys if k in params})
        config = getattr(operator, "dop_task_config", None)
        if config is not None:
            params.setdefault("task", config)
        out["params"] = params
    logical = context.get("logical_date")
    if logical is not None:
        for name, value in _airflow1_dates(logical, context.get("dag")).items():
            out.setdefault(name, value)
    return out


def _airflow1_dates(logical: dt.datetime, dag: Any) -> dict[str, Any]:
    day = dt.timedelta(days=1)
    ds = logical.strftime("%Y-%m-%d")
    names: dict[str, Any] = {"execution_date": logical, "latest_date": ds, "end_date": ds}
    for prefix, moment in (("yesterday", logical - day), ("tomorrow", logical + day)):
        names[f"{prefix}_ds"] = moment.strftime("%Y-%m-%d")
        names[f"{prefix}_ds_nodash"] = moment.strftime("%Y%m%d")
    schedule = getattr(dag, "schedule", None)
    if isinstance(schedule, str):
        for prefix, moment in _neighbours(schedule, logical, getattr(dag, "timezone", None)).items():
            names[f"{prefix}_execution_date"] = moment
            names[f"{prefix}_ds"] = moment.strftime("%Y-%m-%d")
            names[f"{prefix}_ds_nodash"] = moment.strftime("%Y%m%d")
    return names


@functools.lru_cache(maxsize=64)  # every task of a DAG renders for the same date: croniter was most of a render
def _neighbours(schedule: str, logical: dt.datetime, timezone: Any) -> dict[str, dt.datetime]:
    """The schedule's times just before and after ``logical`` (Airflow 1.10's ``previous_schedule`` and
    ``following_schedule``), in UTC; none for a schedule that is not a cron expression. Read only."""
    from croniter import croniter

    if not croniter.is_valid(schedule):
        return {}
    local = logical.astimezone(timezone) if timezone is not None else logical
    out = {}
    for prefix, forward in (("prev", False), ("next", True)):
        times = croniter(schedule, local)
        moment = times.get_next(dt.datetime) if forward else times.get_prev(dt.datetime)
        out[prefix] = moment.astimezone(dt.UTC)
    return out
