"""``dop validate``: validate every config, then build each valid DAG to catch build-time mistakes."""

from __future__ import annotations

from typing import Any

import attrs

from dop_core.errors import ConfigError, Location, Problem
from dop_core.validate import ProjectReport, resolve_target, validate_project


def check_project(root: Any = None, target: str | None = None, build: bool = True) -> ProjectReport:
    """Every problem of the project; with ``build``, also instantiate each valid DAG's operators."""
    report = validate_project(root, target)
    if not build or report.project is None or not report.ok:
        return report
    from dop_core.build.dags import build_dag

    project = report.project
    resolved = resolve_target(project, target)
    problems = list(report.problems)
    for config in report.dags:
        if not config.enabled:  # never built, as Airflow never sees it
            continue
        try:
            build_dag(config, project, resolved)
        except ConfigError as exc:
            problems.extend(exc.problems)
        except Exception as exc:
            problems.append(Problem(Location(str(config.config_path)), f"building the DAG failed: "
                                    f"{type(exc).__name__}: {exc}", fix="check the task options named in the error"))
    return attrs.evolve(report, problems=problems)
