"""``dop validate``: validate every config, then check each valid DAG — building it, unless building could find
nothing its validation did not (:mod:`dop_core.check.unbuilt`) — and its SQL (one pass over each template:
rendered, parsed — a procedure's body and an invocation's SQL as a script, BigQuery scripting in a
BigQuery project — a query checked to be exactly one read-only query and translatable to the target's
engine; see :mod:`dop_core.check.sql`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from dop_core.config.models import DagConfig, Project, Target
from dop_core.errors import ConfigError, Location, Problem
from dop_core.validate.project import ProjectReport, validate_project
from dop_core.validate.targets import resolve_target


def check_project(root: Any = None, target: str | None = None, build: bool = True,
                  date: dt.date | None = None) -> ProjectReport:
    """Every problem of the project; with ``build``, also check each valid DAG as building it would (building it
    unless :mod:`dop_core.check.unbuilt` can do without) and its SQL (rendered for ``date``, default today: see
    :mod:`dop_core.check.sql`). What a DAG's validation, build and check found is kept until one of their
    inputs changes (:mod:`dop_core.check.cache`)."""
    from dop_core.util.collector import collector_paused

    with collector_paused():  # validating and checking every DAG makes long-lived objects, not garbage cycles
        return validate_project(root, target) if not build else _check_project(root, target, date)


def _check_project(root: Any, target: str | None, date: dt.date | None) -> ProjectReport:
    from dop_core.check.cache import CheckCache
    from dop_core.util.cachedir import installed_cache

    installed = installed_cache("checks")[1]  # before anything imports Airflow, which adds to sys.path
    date = date or dt.date.today()
    caches: list[CheckCache] = []

    def known(project: Project, registry: Any, chosen: Target) -> CheckCache:
        caches.append(CheckCache(project, registry, chosen, date, installed))
        return caches[0]

    report = validate_project(root, target, known)
    if report.project is None or not report.dags:
        return report
    from dop_core.lineage.check import lineage_problems
    from dop_core.lineage.store import current_reads

    project = report.project
    try:
        resolved = resolve_target(project, target)
    except ConfigError:  # already among the report's problems
        return report
    problems = list(report.problems)
    lineage = []
    for config in report.dags:
        if config.enabled:  # a disabled DAG is never built, as Airflow never sees it
            lineage.append((config, current_reads(project, config, resolved)))  # recorded for `dependencies: auto`
        found = caches[0].checked(config) if caches else None
        if found is None:
            found, dag, checked = _check_dag(config, project, resolved, date) if config.enabled else ([], None, True)
            if caches and checked:
                caches[0].store(config, found, dag)
        problems += found
    problems += lineage_problems(lineage)
    return attrs.evolve(report, problems=problems)


def _check_dag(config: DagConfig, project: Project, target: Target, date: dt.date) -> tuple[list[Problem], Any, bool]:
    """The problems of building ``config``'s DAG and of its SQL; the DAG when it was built; whether it was
    checked (it built, or it needs no building to be checked: :mod:`dop_core.check.unbuilt`)."""
    from dop_core.build.dags import build_dag
    from dop_core.check.sql import check_dag_sql
    from dop_core.check.unbuilt import check_unbuilt, checks_unbuilt
    from dop_core.contract.registry import get_registry

    engine = get_registry().named("engine", target.engine)
    if checks_unbuilt(config):
        return check_unbuilt(config, project, target, date, engine), None, True
    problems: list[Problem] = []
    try:
        dag = build_dag(config, project, target, problems)
    except ConfigError as exc:
        return [*problems, *exc.problems], None, False
    except Exception as exc:
        failed = Problem(Location(str(config.config_path)), f"building the DAG failed: {type(exc).__name__}: {exc}",
                         fix="check the task options named in the error")
        return [*problems, failed], None, False
    return problems + check_dag_sql(dag, project.dialect, date, engine=engine, config=config), dag, True
