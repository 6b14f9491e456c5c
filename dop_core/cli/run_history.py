"""Runs made by ``dop run`` in the Airflow history that ``dop airflow``'s UI shows: real times, readable logs.

``dag.test`` starts its DAG run at the logical date (the UI then reads "911 days" for a run of a past date) and
writes no task log file (the UI then tries the worker's log server: "Could not read served logs"). In the runner,
:func:`start_runs_now` makes the DAG run start when it really starts; for each task, :func:`task_log_paths` gives the
file under the project's ``AIRFLOW_HOME/logs`` where Airflow's own log reader looks (its ``log_filename_template``),
and ``dop run`` writes the task's section of its log there (redacted), as a worker would.
"""

from __future__ import annotations

import pathlib
from typing import Any


def start_runs_now() -> None:
    """From now on in this process, a DAG run ``dag.test`` creates starts now (not at its logical date)."""
    import airflow.models.dagrun as dagrun_module
    from airflow.sdk import timezone

    create = dagrun_module.get_or_create_dagrun
    if getattr(create, "dop_starts_now", False):
        return

    def created_now(**kwargs: Any) -> Any:
        return create(**{**kwargs, "start_date": timezone.utcnow()})

    created_now.dop_starts_now = True  # type: ignore[attr-defined]
    dagrun_module.get_or_create_dagrun = created_now


def task_log_paths(dag_run: Any) -> dict[str, str]:
    """Where Airflow's UI reads the log of each task instance of ``dag_run`` (its latest try): absolute paths by
    task id, rendered by Airflow's own file task handler from the run's log filename template."""
    from airflow.configuration import conf
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.log.file_task_handler import FileTaskHandler
    from airflow.utils.session import create_session
    from sqlalchemy import select

    base = conf.get("logging", "base_log_folder")
    handler = FileTaskHandler(base)
    paths = {}
    with create_session() as session:
        for ti in session.scalars(select(TaskInstance).where(TaskInstance.dag_id == dag_run.dag_id,
                                                             TaskInstance.run_id == dag_run.run_id)):
            if ti.try_number:
                paths[ti.task_id] = str(pathlib.Path(base) / handler._render_filename(ti, ti.try_number,
                                                                                      session=session))
    return paths


def write_task_log(path: str, lines: list[str]) -> None:
    """Write a task's log (already redacted) where Airflow's log reader finds it."""
    from dop_core.util.private import open_private, private_dir

    target = pathlib.Path(path)
    # logs are state: the folders of Airflow's naming (dag_id=.../run_id=.../task_id=...) user-only too
    top = next((p for p in target.parents if p.name.startswith("dag_id=")), target.parent)
    private_dir(target.parent, under=top.parent)
    with open_private(target, "w", encoding="utf-8") as out:
        out.writelines(lines)
