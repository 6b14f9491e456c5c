"""``dop validate``: validate every config, then build each valid DAG and check its SQL (it renders and
parses — a procedure's body and an invocation's SQL as a script, BigQuery scripting in a BigQuery
project — and a task that only reads runs exactly one read-only query)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from dop_core.errors import ConfigError, Location, Problem
from dop_core.project import DagConfig, Project
from dop_core.validate import ProjectReport, resolve_target, trigger_groups, trigger_task_ids, validate_project

#: the native kinds whose SQL must be exactly one read-only query (checked again when they run)
READ_ONLY_KINDS = ("materialization/table", "materialization/view", "assertion/assertion",
                   "assertion/assertion_sensor", "trigger/sql")
#: the native kinds whose SQL is a script (run statement by statement on engines without scripting)
SCRIPT_KINDS = ("materialization/stored_procedure", "invocation/stored_procedure")
SCRIPT_EXPECTED = "SQL statements, and BigQuery scripting in a BigQuery project (DECLARE, SET, IF, LOOP, CALL...)"


def check_project(root: Any = None, target: str | None = None, build: bool = True,
                  date: dt.date | None = None) -> ProjectReport:
    """Every problem of the project; with ``build``, also instantiate each valid DAG's operators and
    check their SQL (rendered for ``date``, default today, and parsed: see :mod:`dop_core.sql_check`)."""
    report = validate_project(root, target)
    if not build or report.project is None or not report.dags:
        return report
    from dop_core.build.dags import build_dag
    from dop_core.lineage.check import lineage_problems
    from dop_core.lineage.store import current_reads
    from dop_core.sql_check import check_dag_sql

    project = report.project
    try:
        resolved = resolve_target(project, target)
    except ConfigError:  # already among the report's problems
        return report
    problems = list(report.problems)
    lineage = []
    for config in report.dags:
        if not config.enabled:  # never built, as Airflow never sees it
            continue
        lineage.append((config, current_reads(project, config, resolved)))  # recorded for `dependencies: auto`
        try:
            dag = build_dag(config, project, resolved)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        except Exception as exc:
            problems.append(Problem(Location(str(config.config_path)), f"building the DAG failed: "
                                    f"{type(exc).__name__}: {exc}", fix="check the task options named in the error"))
            continue
        problems += read_only_problems(dag, config, project)
        problems += check_dag_sql(dag, project.dialect, date or dt.date.today())
    problems += lineage_problems(lineage)
    return attrs.evolve(report, problems=problems)


def read_only_problems(dag: Any, config: DagConfig, project: Project) -> list[Problem]:
    """A problem for each read-only task (table, view, assertion, sql trigger) whose SQL, rendered for the
    DAG's start date as a first and as an incremental run, is not exactly one read-only query. SQL that does
    not render or parse is left to the checks of templates."""
    from dop_core.build.dags import DEFAULT_START_DATE
    from dop_core.engines.sql import READ_ONLY_EXPECTED, SqlError, check_query

    env = dag.get_template_env()
    date = config.start_date or DEFAULT_START_DATE
    inline = _inline_sql_locations(config)
    problems = []
    for task in dag.tasks:
        if getattr(task, "kind", None) not in READ_ONLY_KINDS or not task.sql:
            continue
        try:
            source = env.loader.get_source(env, task.sql)[0] if task.sql_file else task.sql
        except Exception:  # a missing or unreadable file is reported by validation
            continue
        for incremental in (False, True):
            try:
                rendered = _render(env, source, dag, task, date, incremental)
                check_query(rendered, project.dialect)
            except SqlError as exc:
                if exc.line is None:  # it does not parse: not this check's business
                    break
                if task.sql_file:
                    assert config.folder is not None
                    where, reason = Location(str(config.folder / task.sql_file), exc.line, exc.column or 1), exc.reason
                else:  # inline SQL of a sql trigger: the option's place, and the place inside its text
                    where, reason = inline.get(task.task_id, Location(str(config.config_path))), f"options.sql, {exc}"
                problems.append(Problem(where, reason, READ_ONLY_EXPECTED, "remove everything but the query"))
                break
            except Exception:  # a template that does not render: reported by the checks of templates
                break
    return problems


def _render(env: Any, source: str, dag: Any, task: Any, date: dt.date, incremental: bool) -> str:
    from dop_core.compile import template_context

    context = template_context(dag, task, date, full_refresh=False)
    context["is_incremental"] = lambda: incremental
    return str(env.from_string(source).render(**context))


def _inline_sql_locations(config: DagConfig) -> dict[str, Location]:
    """Where the ``options.sql`` of each ``sql`` trigger is written, by the id of its wait task."""
    if config.document is None:
        return {}
    found = {}
    for path, triggers, owner in trigger_groups(config.tasks, config.triggers):
        for j, task_id in enumerate(trigger_task_ids(config, triggers, owner)):
            found[task_id] = config.document.at((*path, j, "options", "sql"))
    return found

