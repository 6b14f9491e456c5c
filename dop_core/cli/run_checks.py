"""What ``dop run`` and ``dop backfill`` check before a DAG run starts: the DAG builds from its config, the task
selection selects something, the SQL templates of the tasks to run render, the run conf fits the DAG's params, and
the date is not before the DAG's ``start_date``. Each failure is a :class:`~dop_core.errors.DopError` naming the file,
line and column (or the option) and the fix.

``dop run`` makes these checks in its runner child, the process that imports Airflow anyway to run the DAG
(:mod:`dop_core.cli.run`), so that a run imports Airflow once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from dop_core.cli.selection import Selection
from dop_core.config.models import Project


def checked_run(project: Project, name: str, target: str | None, day: dt.date, conf: dict[str, Any] | None,
                select: Sequence[str] = (), exclude: Sequence[str] = (),
                only: Sequence[str] | None = None) -> tuple[Any, Selection]:
    """DAG ``name`` built, and the tasks to run (those of ``select`` and not ``exclude``, or ``only`` these task
    ids when given), checked for a run on ``day`` with ``conf``; raise the first problem found."""
    from dop_core.build.dags import build_one
    from dop_core.check.sql import check_dag_sql
    from dop_core.cli.selection import select_tasks, subset
    from dop_core.contract.variable_params import check_run_conf
    from dop_core.errors import ConfigError

    built = build_one(project, name, target)
    if only is None:
        selection = select_tasks(built, select, exclude)
    else:
        selection = Selection(tuple(only), tuple(t for t in built.task_ids if t not in only))
    # fail fast, with locations: the config, then the SQL templates of the tasks to run
    checked = subset(built, selection.selected)
    errors = [p for p in check_dag_sql(checked, project.dialect, day, parse=False) if p.severity == "error"]
    if errors:
        raise ConfigError(errors)
    check_run_conf(built, conf or {}, "--conf")
    return built, selection


def check_run_date(dag: Any, date: dt.date) -> None:
    """Refuse a run for a date before the DAG's ``start_date``: Airflow would create no task for it and
    report the empty run a success. (A DAG without ``start_date`` starts on 1970-01-01: any date runs.)"""
    from dop_core.errors import DopError

    start = dag.start_date.in_timezone(dag.timezone).date() if dag.start_date else None
    if start is not None and date < start:
        raise DopError(f"{dag.dag_id} starts on {start.isoformat()} (start_date in its config.yaml): a run for "
                       f"{date.isoformat()} would run no task; choose --date {start.isoformat()} or later, or "
                       "move start_date back")
