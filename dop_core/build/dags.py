"""Build Airflow DAGs from validated configs. Runs at every parse: keep it cheap and light."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import os
import pathlib
import sys
from typing import Any

from dop_core.config.models import (
    DAG_CONCURRENCY_VARIABLE,
    DAG_ID_PREFIX,
    DEFAULT_DAG_CONCURRENCY,
    DEFAULT_START_DATE,
    DagConfig,
    Project,
    Target,
    TaskConfig,
    TriggerConfig,
    trigger_task_ids,
)
from dop_core.config.paths import OutsideProject
from dop_core.config.project import dag_folder
from dop_core.contract import registry as plugins
from dop_core.contract.contexts import TaskBuild, TriggerBuild
from dop_core.contract.runtime import is_incremental, register_target
from dop_core.errors import ConfigError, DopError, Location, Problem
from dop_core.jinja.loader import ProjectLoader
from dop_core.jinja.original import original_task
from dop_core.jinja.render import JINJA_ENVIRONMENT
from dop_core.lineage.infer import dependencies_of, record, recorded_reads
from dop_core.lineage.runtime import declare_inlets
from dop_core.secrets import redact
from dop_core.validate.dag import SqlFiles, sql_file, validate_dag
from dop_core.validate.targets import resolve_target

log = logging.getLogger(__name__)

FULL_REFRESH_HELP = ("Rebuild every table from scratch (is_incremental() is false; dbt gets --full-refresh). "
                     "Can also be given as {\"full_refresh\": true} in the run's conf.")


def _schedule(config: DagConfig, project: Project) -> Any:
    schedule = config.schedule_interval
    if isinstance(schedule, dict):
        from dop_core.contract.runtime import table_asset

        return [table_asset(project, a) for a in schedule["assets"]]
    return schedule


@functools.cache
def dag_concurrency() -> int:
    """The Airflow Variable ``DAG_CONCURRENCY`` (the original DOP's tasks-at-once of every DAG), else 2.

    Read when a DAG's config sets no ``max_active_tasks``, once per process as the original did (Airflow
    parses each DAG file in a process of its own), through Airflow's secrets backends: an
    ``AIRFLOW_VAR_DAG_CONCURRENCY`` environment variable, then the metadata database.
    """
    if _variables_from_environment_only():  # as Airflow would, without importing its task supervisor
        value = os.environ.get("AIRFLOW_VAR_" + DAG_CONCURRENCY_VARIABLE)
    else:
        value = _airflow_variable(DAG_CONCURRENCY_VARIABLE)
    if value is None:
        return DEFAULT_DAG_CONCURRENCY
    try:
        concurrency = int(str(value).strip())
    except ValueError:
        concurrency = 0
    if concurrency < 1:
        log.warning("Airflow Variable %s is %r, not a positive whole number: %d tasks at once",
                    DAG_CONCURRENCY_VARIABLE, value, DEFAULT_DAG_CONCURRENCY)
        return DEFAULT_DAG_CONCURRENCY
    return concurrency


def _variables_from_environment_only() -> bool:
    """Whether Airflow's ``Variable.get`` would read environment variables alone in this process: no task
    supervisor to ask (not a DAG processor's or a worker's child), not an Airflow server, and no custom
    secrets backend configured: the fallback chain of Airflow's ``ensure_secrets_backend_loaded``. Its module
    (the task supervisor) takes longer to import than DOP's whole build, in ``airflow dags list``, a test's
    DagBag or ``dag.test``."""
    runner = sys.modules.get("airflow.sdk.execution_time.task_runner")
    if getattr(runner, "SUPERVISOR_COMMS", None) is not None or os.environ.get("_AIRFLOW_PROCESS_CONTEXT") == "server":
        return False
    from airflow.sdk.configuration import conf

    return not (conf.get("workers", "secrets_backend", fallback="") or conf.get("secrets", "backend", fallback=""))


def _airflow_variable(key: str) -> str | None:
    from airflow.sdk import Variable

    try:
        return Variable.get(key, default=None)
    except Exception as exc:  # no Airflow database (dop validate, a CI check): the default, as when unset
        log.debug("Airflow Variable %s not read (%s): tasks at once default to %d", key, exc,
                  DEFAULT_DAG_CONCURRENCY)
        return None


def _doc_md(config: DagConfig, project: Project) -> str:
    # A pointer to the config rather than its text: a DAG's doc stays in every parsing process's memory
    # and in its serialized form, and the config is in the project's repository.
    head = f"{config.description}\n\n" if config.description else ""
    return f"{head}Built by DOP from `{project.orchestration_dir.name}/{config.name}/config.yaml` of project " \
           f"`{project.name}`.\n"


def build_dag(config: DagConfig, project: Project, target: Target, problems: list[Problem] | None = None) -> Any:
    """The Airflow DAG of one validated config (tasks, edges, params, triggers).

    A plugin whose ``dop_jinja_macros`` or ``dop_dag_built`` fails is that plugin's error, not the DAG's: it is
    added to ``problems`` (at the DAG's config) when given, else logged; the DAG is built all the same.
    """
    import pendulum
    from airflow.sdk import DAG, Param
    from airflow.sdk.definitions.param import ParamsDict

    from dop_core.build.ui import param_description, show_kind
    from dop_core.contract.sql_task import build_sql_task

    registry = plugins.get_registry()
    register_target(target)  # masked in this process's logs (and Airflow's) from the parse on
    config_file = f"{project.orchestration_dir.name}/{config.name}/config.yaml"
    params: dict[str, Any] = {
        key: Param(spec.default, description=spec.description or param_description(key, spec.default, config_file),
                   **spec.schema()) for key, spec in config.typed_params.items()}
    # optional (null allowed): the trigger form shows a checkbox, not a required toggle
    params["full_refresh"] = Param(False, type=["boolean", "null"], title="Full refresh",
                                   description=FULL_REFRESH_HELP)
    default_args: dict[str, Any] = {"retries": config.retries}
    if config.owner:
        default_args["owner"] = config.owner
    if config.retry_delay is not None:
        default_args["retry_delay"] = config.retry_delay
    start = config.start_date or DEFAULT_START_DATE
    kwargs: dict[str, Any] = {"max_active_runs": config.runs_at_once,
                              "max_active_tasks": config.max_active_tasks or dag_concurrency()}
    if config.dagrun_timeout is not None:
        kwargs["dagrun_timeout"] = config.dagrun_timeout
    plugin_macros, hook_errors = plugins.jinja_macros(project)
    macros = {"is_incremental": is_incremental, **plugin_macros}
    dag = DAG(
        config.dag_id,
        schedule=_schedule(config, project),
        start_date=pendulum.datetime(start.year, start.month, start.day, tz=config.timezone),
        catchup=config.catchup,
        default_args=default_args,
        tags=["dop", *config.tags],
        description=config.description,
        doc_md=_doc_md(config, project),
        template_searchpath=[str(config.folder)],
        jinja_environment_kwargs={**JINJA_ENVIRONMENT, "loader": ProjectLoader([str(config.folder)], project)},
        user_defined_macros=macros,
        **kwargs,
    )
    keys = tuple(config.typed_params)
    sql_files = SqlFiles(project, config)
    with dag:
        ops: dict[str, Any] = {}
        for task in config.tasks:
            task_type = registry.task_type(task.kind.action, task.kind.target)
            try:
                build = TaskBuild(task=task, options=task.typed_options, dag=config, project=project,
                                  target=target, sql_path=sql_files.get(task.identifier),
                                  settings=config.typed_settings.get(task_type.provider))
                make = task_type.load("build")
                op = make(build) if make is not None else build_sql_task(build, task_type)
            except OutsideProject as exc:
                raise _build_error(config, task, exc) from None
            except (ConfigError, DopError):
                raise
            except Exception as exc:  # e.g. an operator refusing its arguments: point at the task
                raise _build_error(config, task, exc) from exc
            show_kind(op, task_type.name)
            op.dop_param_keys = keys
            op.dop_task_config = original_task(task, config, target)
            op.dop_kind = task_type
            ops[task.identifier] = op
        reads = recorded_reads(config, project, target)  # the tables each task's SQL reads (dop_core.lineage)
        declare_inlets(ops, project, reads)
        deps = dependencies_of(config, reads)  # as written, and with `auto` the writers of what a task reads
        for task in config.tasks:
            for dep in deps[task.identifier]:
                ops[dep] >> ops[task.identifier]
        roots = [ops[t.identifier] for t in config.tasks if not deps[t.identifier]]
        for wait in _trigger_tasks(config, config.triggers, None, project, target, keys):
            wait >> roots
        for task in config.tasks:
            for wait in _trigger_tasks(config, task.triggers, task, project, target, keys):
                wait >> ops[task.identifier]
    # The params are given once the tasks are made: Airflow deep-copies a DAG's params into every task it makes
    # (most of a task's construction time), and a task's run merges the DAG's params anyway; a task's copies
    # would also multiply the params' schemas in the serialized DAG (the Airflow DB) by the number of tasks.
    # Params an operator was given itself stay. Airflow's setter would validate every param against its schema
    # again (a JSON-schema metaschema check each: a tenth of a warm parse); the config's validation checked each
    # schema and default already (dop_core.config.params), so they are set as Airflow's own converter sets them.
    object.__setattr__(dag, "params", ParamsDict(params))
    hook_errors += plugins.dag_built(dag, config, project)
    for error in hook_errors:
        if problems is None:
            log.error("DOP DAG %s: %s", config.dag_id, error)
        else:
            problems.append(Problem(Location(str(config.config_path)), error, None,
                                    "fix or disable the plugin (DOP_DISABLE_PLUGINS)"))
    return dag


def _build_error(config: DagConfig, task: TaskConfig, exc: Exception) -> ConfigError:
    doc = config.document
    if isinstance(exc, OutsideProject):
        location = doc.at(("tasks", task.position, "identifier")) if doc else Location(str(config.config_path))
        return ConfigError([Problem(location, exc.message, "paths inside the project", exc.fix)])
    where = ("tasks", task.position, "options") if task.options else ("tasks", task.position)
    location = doc.at(where) if doc else Location(str(config.config_path))
    return ConfigError([Problem(location, f"task {task.identifier!r} cannot be built: {type(exc).__name__}: {exc}",
                                f"options that {task.kind.action}/{task.kind.target} accepts",
                                "check the option named in the message")])




def _trigger_tasks(config: DagConfig, triggers: list[TriggerConfig], owner: TaskConfig | None, project: Project,
                   target: Target, keys: tuple[str, ...]) -> list[Any]:
    registry = plugins.get_registry()
    waits = []
    for task_id, trig in zip(trigger_task_ids(config, triggers, owner), triggers, strict=True):
        trigger_type = registry.named("trigger", trig.kind)
        sql_path = sql_file(project, config, trig.identifier) if trig.identifier else None
        op = trigger_type.load("build")(TriggerBuild(
            task_id=task_id, trigger=trig, options=trig.typed_options, dag=config, project=project, target=target,
            for_task=owner, sql_path=sql_path, settings=config.typed_settings.get(trigger_type.provider)))
        op.dop_param_keys = keys
        op.dop_kind = trigger_type
        waits.append(op)
    return waits


def broken_dag(dag_id: str, error: Exception, path: pathlib.Path | None = None) -> Any:
    """A stand-in DAG for a config that does not validate: it shows the error and its one task fails with it.

    Airflow files import errors per file, and all DOP DAGs may come from one file; this keeps one
    broken config from hiding the others while still putting its error in front of its owners.
    """
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG

    message = redact(str(error))  # shown in the UI and stored in the serialized DAG
    dag = DAG(
        dag_id,
        schedule=None,
        start_date=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        tags=["dop", "dop:config-error"],
        description="DOP config error: " + message.splitlines()[0][:200],
        doc_md=f"**This DAG's configuration is invalid**; fix it and the DAG comes back.\n\n```\n{message}\n```\n"
               + (f"\nConfig: `{path}`\n" if path else ""),
        is_paused_upon_creation=True,
    )
    with dag:
        PythonOperator(task_id="config_error", python_callable=_raise_config_error, op_args=[message])
    return dag


def _raise_config_error(message: str) -> None:
    raise DopError("this DAG's configuration is invalid:\n" + message)


def build_dags(location: str | os.PathLike[str] | None = None, target: str | None = None,
               only: str | None = None, group: int | None = None, groups: int | None = None) -> dict[str, Any]:
    """Every enabled DAG of the project at or above ``location`` (a folder, or a DAG file's ``__file__``).

    Use it in the project's ``dags/dop_dags.py``::

        from dop_core import build_dags
        globals().update(build_dags(__file__))

    A config that fails validation becomes a stand-in DAG that shows its error (see :func:`broken_dag`);
    the others are unaffected. A problem with the project itself (``dop_project.yml``) raises.

    ``group``/``groups`` split the project's DAGs among ``groups`` DAG files: the file holding
    ``build_dags(__file__, group=i, groups=K)`` builds the DAGs that :func:`dag_group` puts in group ``i``
    of ``K``. Airflow parses each DAG file in a process of its own and re-parses a whole file when one of
    its DAGs changes, so groups of a few DAGs keep both a full pass (few processes) and the re-parse after
    an edit (a few DAGs) cheap; every DAG is in exactly one group whatever ``K`` is, and a new DAG joins
    one without a new file (see docs/performance.md for the sizes measured).

    ``only`` (a DAG folder name) builds that one DAG: a file per DAG, ``dags/dop__<name>.py`` holding
    ``globals().update(build_dags(__file__, only="<name>"))``.
    Validated configs are cached by content hash (see :mod:`dop_core.build.cache`).

    When Airflow parses the file for one DAG (its parsing context names a ``dag_id``: a worker about to run
    one of its tasks, ``dop run``'s runner), only that DAG is built, as Airflow's docs advise for files that
    make many DAGs; the DAG processor sets no context and gets every DAG.
    """
    from dop_core.util.collector import collector_paused

    with collector_paused():  # building makes long-lived objects, not garbage cycles
        return _build_dags(location, target, only, group, groups)


def _build_dags(location: str | os.PathLike[str] | None, target: str | None, only: str | None, group: int | None,
                groups: int | None) -> dict[str, Any]:
    from airflow.sdk import get_parsing_context

    from dop_core.build.cache import ConfigCache, cached_project

    project = cached_project(location)
    resolved = resolve_target(project, target)
    registry = plugins.get_registry()
    cache = ConfigCache.open(project, registry, resolved)
    if only:
        folders = [project.orchestration_dir / project.dag_name(only)]
    else:
        folders = project.dag_folders()
        if group is not None or groups is not None:
            folders = [f for f in folders if dag_group(f.name, _group_count(group, groups)) == group]
    if (wanted := get_parsing_context().dag_id) is not None:
        folders = [f for f in folders if DAG_ID_PREFIX + f.name == wanted]
    dags: dict[str, Any] = {}
    for folder in folders:
        dag_id = DAG_ID_PREFIX + folder.name
        try:
            config = cache.validated(folder)
            if not config.enabled:
                continue
            try:
                dags[dag_id] = build_dag(config, project, resolved)
            except Exception:
                if not cache.forget(folder):  # a cached config that no longer builds: validate it again
                    raise
                dags[dag_id] = build_dag(validate_dag(project, folder, registry, target=resolved,
                                                      settings=cache.settings), project, resolved)
        except (ConfigError, DopError) as exc:
            if says_disabled(folder):  # `enabled: false` keeps a DAG out of Airflow, even a broken one
                log.info("DOP DAG %s is disabled (and invalid: `dop validate` lists its problems)", dag_id)
                continue
            log.error("DOP DAG %s is invalid:\n%s", dag_id, redact(str(exc)))
            dags[dag_id] = broken_dag(dag_id, exc, folder / "config.yaml")
        except Exception as exc:  # a plugin's build function crashing must not hide the other DAGs
            log.exception("DOP DAG %s failed to build", dag_id)
            dags[dag_id] = broken_dag(dag_id, DopError(f"{folder / 'config.yaml'}: building the DAG failed: "
                                                       f"{type(exc).__name__}: {exc}"), folder / "config.yaml")
    return dags


def dag_group(name: str, groups: int) -> int:
    """The group (``0 <= group < groups``) of the DAG folder ``name``: a jump consistent hash (Lamping and
    Veach, 2014) of the name, so groups are even in size and going from K to K+1 groups moves only
    about one DAG in K+1 to the new group (the others keep their DAG file)."""
    key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big")
    bucket, jump = -1, 0
    while jump < groups:
        bucket = jump
        key = (key * 2862933555777941757 + 1) % (1 << 64)
        jump = int((bucket + 1) * ((1 << 31) / ((key >> 33) + 1)))
    return bucket


def _group_count(group: int | None, groups: int | None) -> int:
    if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1 or not isinstance(group, int) \
            or isinstance(group, bool) or not 0 <= group < groups:
        raise DopError(f"build_dags(group={group!r}, groups={groups!r}): no such group of DAGs",
                       expected="group and groups both given, whole numbers with 0 <= group < groups",
                       fix="name the file's group and the number of groups, for example "
                           "build_dags(__file__, group=0, groups=4) in dags/dop_dags_0.py")
    return groups


def says_disabled(folder: pathlib.Path) -> bool:
    """Whether ``folder/config.yaml`` reads ``enabled: false``, however wrong the rest of it is."""
    from dop_core.config.project import read_text
    from dop_core.config.yaml import load_yaml

    try:
        data = load_yaml(read_text(folder / "config.yaml"), str(folder / "config.yaml")).data
    except ConfigError:
        return False
    return isinstance(data, dict) and data.get("enabled") is False


def build_one(project: Project, name: str, target: str | None = None) -> Any:
    """One DAG by folder name or dag id; raises ConfigError if it does not validate, DagDisabled if its
    config says ``enabled: false``."""
    config, resolved = validate_one(project, name, target)
    if not config.enabled:
        raise DagDisabled(config)
    record(config, project, resolved)  # a command, not Airflow's parsing: record what its SQL reads (dop_core.lineage)
    return build_dag(config, project, resolved)


def validate_one(project: Project, name: str, target: str | None = None) -> tuple[DagConfig, Target]:
    """One DAG's validated config (by folder name or dag id) and the resolved target; raises ConfigError if it
    does not validate, DagNotFound if the project has no such DAG."""
    folder = dag_folder(project, name)
    resolved = resolve_target(project, target)
    return validate_dag(project, folder, target=resolved), resolved


class DagDisabled(DopError):
    """A command asked for a DAG whose config says ``enabled: false``: DOP builds no operator of it."""

    def __init__(self, config: DagConfig):
        self.config = config
        where = config.document.at(("enabled",)) if config.document else config.config_path
        super().__init__(f"{config.dag_id} is disabled (`enabled: false` at {where}), so DOP does not build it; "
                         "set `enabled: true` to compile or run it")
