"""``dop validate``: validate every config, then build each valid DAG and check its SQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from dop_core.errors import ConfigError, Location, Problem
from dop_core.validate import ProjectReport, resolve_target, validate_project


def check_project(root: Any = None, target: str | None = None, build: bool = True,
                  date: dt.date | None = None) -> ProjectReport:
    """Every problem of the project; with ``build``, also instantiate each valid DAG's operators and
    check their SQL (rendered for ``date``, default today, and parsed: see :mod:`dop_core.sql_check`)."""
    report = validate_project(root, target)
    if not build or report.project is None or not report.dags:
        return report
    from dop_core.build.dags import build_dag
    from dop_core.sql_check import check_dag_sql

    project = report.project
    try:
        resolved = resolve_target(project, target)
    except ConfigError:  # already among the report's problems
        return report
    problems = list(report.problems)
    for config in report.dags:
        try:
            dag = build_dag(config, project, resolved)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        except Exception as exc:
            problems.append(Problem(Location(str(config.config_path)), f"building the DAG failed: "
                                    f"{type(exc).__name__}: {exc}", fix="check the task options named in the error"))
            continue
        problems += check_dag_sql(dag, project.dialect, date or dt.date.today())
    return attrs.evolve(report, problems=problems)
