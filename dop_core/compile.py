"""``dop compile``: render each SQL task's template for a date, as Airflow would, without running it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from dop_core.errors import DopError
from dop_core.project import Project


@attrs.frozen
class CompiledTask:
    task_id: str
    kind: str
    sql_file: str | None
    dialect: str
    rendered: str
    engine: str
    translated: str | None
    variant: str = ""


def template_context(dag: Any, task: Any, date: dt.date, full_refresh: bool) -> dict[str, Any]:
    """The parts of Airflow's task context SQL templates use, for a manual run at ``date``."""
    import pendulum
    from airflow.sdk.execution_time import macros

    logical = pendulum.datetime(date.year, date.month, date.day, tz="UTC")
    params = {k: getattr(v, "value", v) for k, v in dag.params.items()}
    params["full_refresh"] = full_refresh
    return {
        "ds": logical.to_date_string(), "ds_nodash": logical.format("YYYYMMDD"), "ts": logical.isoformat(),
        "ts_nodash": logical.format("YYYYMMDDTHHmmss"), "logical_date": logical,
        "data_interval_start": logical, "data_interval_end": logical, "params": params, "macros": macros,
        "dag": dag, "task": task, "run_id": f"manual__{logical.isoformat()}", "dag_run": None,
        "var": {"value": {}, "json": {}},
    }


def compile_dag(project: Project, name: str, task_id: str | None, date: dt.date, full_refresh: bool,
                target: str | None = None) -> list[CompiledTask]:
    from dop_core.build.dags import build_one
    from dop_core.check import SCRIPT_KINDS
    from dop_core.engines.sql import translate
    from dop_core.operators.sql import DopAssertionSensor, DopSqlOperator
    from dop_core.plugins import get_registry

    dag = build_one(project, name, target)
    tasks = [t for t in dag.tasks if getattr(t, "template_ext", None) == (".sql",) and hasattr(t, "sql")]
    if task_id:
        tasks = [t for t in tasks if t.task_id == task_id]
        if not tasks:
            raise DopError(f"task {task_id!r} of {dag.dag_id} has no SQL to compile; SQL tasks: "
                            + ", ".join(t.task_id for t in dag.tasks if hasattr(t, "sql")))
    engine_type = get_registry().named("engine", tasks[0].target.engine) if tasks else None
    env = dag.get_template_env()
    out = []
    for task in tasks:
        if not task.sql:
            continue
        source = env.loader.get_source(env, task.sql)[0] if task.sql.endswith(".sql") else task.sql
        # Without touching the warehouse DOP cannot know whether a table exists yet: a table task
        # shows both what its first run (or a full refresh) and what an incremental run would send.
        variants = [(not full_refresh, "")]
        if task.kind == "materialization/table" and not full_refresh:
            variants = [(True, "incremental run"), (False, "first run or full refresh")]
        seen: set[str] = set()
        native = isinstance(task, DopSqlOperator | DopAssertionSensor)  # plugins' SQL (Spark...) is their own
        for incremental, label in variants:
            context = template_context(dag, task, date, full_refresh)
            context["is_incremental"] = lambda incremental=incremental: incremental
            rendered = env.from_string(source).render(**context)
            if rendered in seen:
                continue
            seen.add(rendered)
            translated = None
            # a procedure's or invocation's script is bound and translated statement by statement as it runs
            if engine_type is not None and task.kind not in SCRIPT_KINDS and native:
                translated = translate(rendered, project.dialect, engine_type.dialect, engine_type.single_catalog)
            out.append(CompiledTask(task.task_id, task.kind, task.sql_file, project.dialect, rendered,
                                    engine_type.name if engine_type else "", translated, label))
    return out
