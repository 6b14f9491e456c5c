"""Validating and building dbt tasks (``kind: {action: dbt, target: run|test|build|...}``).

:mod:`dop_dbt.plugin` registers the task type and imports this module only when a dbt task is validated
or built. Building a task (at DAG-parse time) reads YAML and, with ``options.expand``, dbt's
manifest.json: never dbt itself, nor a Kubernetes client unless a target runs dbt in pods.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import attrs

from dop_dbt import dbt_project, settings
from dop_dbt.options import (
    ALLOWED_ARGUMENTS,
    BUCKET_ARGUMENTS,
    SELECTING_TARGETS,
    DbtOptions,
    allowed_text,
)

POOL_PREFIX = "dop_dbt__"


def pool_name(project_name: str, dbt: dbt_project.DbtProject) -> str:
    """The one-slot Airflow pool of a dbt project: no two dbt commands on it at once, across DAGs."""
    return f"{POOL_PREFIX}{project_name}__{dbt.slug}"


# -- validation ------------------------------------------------------------------------------------
def _has_kubernetes() -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec("airflow.providers.cncf.kubernetes") is not None
    except ModuleNotFoundError:
        return False


def settings_problems(ctx: Any) -> Iterator[Any]:
    """``plugins.dbt`` as it applies to the chosen target (DOP structured and merged it; this runs once per
    project): a target running dbt in pods names an image and has the Kubernetes provider."""
    effective: settings.DbtSettings = ctx.settings
    if effective.mode != "kubernetes":
        return
    if not effective.image:
        yield ctx.problem(ctx.where(), f"target {ctx.target.name!r} runs dbt in Kubernetes pods but names no image",
                          "plugins.dbt.image or plugins.dbt.targets.<target>.image",
                          "build docker/Dockerfile of dop-dbt and set its image name")
    if not _has_kubernetes():
        yield ctx.problem(ctx.where(), f"target {ctx.target.name!r} runs dbt in Kubernetes pods, which needs "
                          "apache-airflow-providers-cncf-kubernetes (not installed)", None,
                          "pip install 'dop-dbt[kubernetes]' (Cloud Composer ships the provider)")


def inputs(ctx: Any) -> list[str] | None:
    """What :func:`validate` reads beyond the DAG folder and dop_project.yml, so DOP's parse cache knows when to
    validate again: the dbt project's dbt_project.yml (where it is, or the places it may be) and manifest.json.
    None (never cached) when a ``version`` is checked against the managed virtualenv, which changes outside."""
    options, effective = ctx.options, ctx.settings
    if options.version and not effective.executable and effective.mode != "kubernetes":
        return None
    root = ctx.project.root
    paths = [root / dbt_project.DBT_FOLDER / options.project / dbt_project.PROJECT_FILE,
             root / options.project / dbt_project.PROJECT_FILE]
    try:
        dbt = dbt_project.load(ctx.project, options.project)
    except dbt_project.DbtProjectError:
        return [str(p) for p in paths]
    return [str(p) for p in (*paths, dbt.path / dbt_project.PROJECT_FILE, dbt.target_dir / "manifest.json")]


def validate_covers_build(options: DbtOptions, effective: settings.DbtSettings | None) -> bool:
    """Whether :func:`validate` finds every problem :func:`build` would, so that ``dop validate`` need not build
    the task: not with ``options.expand`` (building reads manifest.json) nor in pods (it makes the Kubernetes
    provider's operator)."""
    return options.expand is None and (effective is None or effective.mode != "kubernetes")


def validate(ctx: Any) -> Iterator[Any]:

    task, options, project = ctx.task, ctx.options, ctx.project
    target_name = task.kind.target
    target = ctx.target
    effective: settings.DbtSettings = ctx.settings  # plugins.dbt for the chosen target, checked once by DOP
    # the dbt project
    try:
        dbt = dbt_project.load(project, options.project)
    except dbt_project.DbtProjectError as exc:
        yield ctx.problem(("options", "project"), exc.message, "a folder under dbt/ holding dbt_project.yml", exc.fix)
        dbt = None
    # arguments
    yield from _bucket_problems(ctx, options, target_name)
    if target_name == "docs generate":
        destination = docs_destination(options, effective, project, target.name if target else "")
        yield from _docs_upload_problems(ctx, destination)
    for i, arg in enumerate(options.arguments):
        where = ("options", "arguments", i)
        if arg.option in BUCKET_ARGUMENTS:
            continue
        if arg.option not in ALLOWED_ARGUMENTS:
            from dop_core import did_you_mean

            hint = did_you_mean(arg.option, ALLOWED_ARGUMENTS)
            owned = arg.option in ("--profiles-dir", "--profile", "--target", "-t", "--project-dir")
            yield ctx.problem((*where, "option"), f"dbt argument {arg.option!r} is not allowed"
                              + (" (DOP sets it from the DOP target)" if owned else ""),
                              "one of " + allowed_text(),
                              hint or ("choose the DOP target with --target / DOP_TARGET instead" if owned
                                       else "remove it, or ask for it to be allowed in dop-dbt"))
            continue
        takes_value = ALLOWED_ARGUMENTS[arg.option]
        if takes_value and arg.value in (None, ""):
            yield ctx.problem((*where,), f"dbt argument {arg.option!r} needs a value", "{option, value}",
                              f"add `value: ...` to {arg.option}")
        elif not takes_value and arg.value not in (None, "", True):
            yield ctx.problem((*where, "value"), f"dbt argument {arg.option!r} is a flag and takes no value", None,
                              "remove `value:`")
        if arg.option in ("--threads",) and arg.value is not None and not str(arg.value).isdigit():
            yield ctx.problem((*where, "value"), f"--threads takes a number, got {arg.value!r}", "an integer")
        if arg.option == "--vars" and arg.value is not None and "{{" not in str(arg.value):
            from dop_dbt.operator import parse_vars

            try:
                parse_vars(arg.value)
            except Exception as exc:
                yield ctx.problem((*where, "value"), f"--vars is not a mapping: {exc}",
                                  "a mapping such as {key: value}, or YAML text of one")
        if arg.option in ("-m", "--models", "--model", "-s", "--select", "--exclude", "--selector") and \
                target_name not in SELECTING_TARGETS:
            yield ctx.problem((*where, "option"), f"dbt {target_name} takes no node selection ({arg.option})",
                              None, "remove it")
    # version, against the requirement the managed virtualenv is built from
    if options.version and not effective.executable and effective.mode != "kubernetes":
        yield from _version_problems(ctx, options.version, effective, target)
    if target is not None and effective.mode != "kubernetes" and target.engine not in settings.ADAPTERS:
        yield ctx.problem(("kind", "target"), f"dbt tasks cannot run on target {target.name!r}: dop-dbt writes dbt "
                          f"profiles for engines {', '.join(settings.ADAPTERS)}, not {target.engine!r}",
                          None, "choose a duckdb or bigquery target")
    if options.expand is not None:
        if target_name not in ("run", "build"):
            yield ctx.problem(("options", "expand"), f"expand works with target run or build, not {target_name}",
                              None, "remove expand")
        elif dbt is not None and not (dbt.target_dir / "manifest.json").is_file():
            yield ctx.problem(("options", "expand"), f"no manifest.json in {dbt.target_dir}: the task runs as one "
                              "dbt command until there is one", None,
                              f"run `python -m dop_dbt parse {options.project}` (or a dbt parse task) and commit "
                              "or ship target/manifest.json", severity="warning")


def _version_problems(ctx: Any, wanted: str, effective: settings.DbtSettings, target: Any) -> Iterator[Any]:
    """A ``version`` the managed virtualenv cannot meet is a warning naming the dbt-core that runs instead
    (the original DOP's projects say ``version: 0.19.1``, which no supported dbt is)."""
    import pathlib

    from dop_dbt import venv
    from dop_dbt.versions import compatible, what_runs

    requirement = effective.requirement or [settings.DEFAULT_REQUIREMENT]
    reason = compatible(wanted, requirement)
    if not reason:
        return
    reqs = venv.requirements_for(requirement, target.engine if target is not None else "")
    runs = what_runs(requirement, venv.location(pathlib.Path(ctx.project.root), effective.venv, reqs))
    instead = f"dbt-core {runs}" if runs[:1].isdigit() else f"the newest dbt-core {runs}".rstrip(" *")
    yield ctx.problem(("options", "version"), f"dbt {wanted} cannot run here: {reason}; {instead} runs instead",
                      "a version the dbt requirement allows",
                      f"write `version: '{runs}'` or remove it (or pin plugins.dbt.requirement in dop_project.yml "
                      "to a dbt-core that meets it)", severity="warning")


_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")


def _bucket_problems(ctx: Any, options: DbtOptions, target_name: str) -> Iterator[Any]:
    """The original DOP's ``--bucket``/``--bucket-path``: where ``docs generate`` uploads (docs_destination)."""
    given = {a.option: (i, a.value) for i, a in enumerate(options.arguments) if a.option in BUCKET_ARGUMENTS}
    for option, (i, value) in given.items():
        where = ("options", "arguments", i)
        if target_name != "docs generate":
            yield ctx.problem((*where, "option"), f"{option} is the original DOP's docs upload, which only "
                              "`docs generate` does", None,
                              "remove it; docs go to plugins.dbt.docs_destination of a docs generate task")
        elif option == "--bucket" and not _BUCKET_NAME.match(str(value or "")):
            yield ctx.problem((*where, "value"), f"--bucket takes a bucket name, got {str(value or '')!r}",
                              "a bucket name such as my-docs-bucket (no gs://, no path)",
                              "put the folder in --bucket-path, or set plugins.dbt.docs_destination: gs://bucket/path")
        elif option == "--bucket-path" and (".." in str(value or "").split("/") or "{{" in str(value or "")):
            yield ctx.problem((*where, "value"), "--bucket-path is a folder in the bucket (no '..', no template)",
                              "a path such as dbt/docs")
    if target_name == "docs generate" and "--bucket-path" in given and "--bucket" not in given:
        yield ctx.problem(("options", "arguments", given["--bucket-path"][0]), "--bucket-path without --bucket",
                          "--bucket with --bucket-path", "add `{option: --bucket, value: <bucket>}`, or set "
                          "plugins.dbt.docs_destination: gs://bucket/path in dop_project.yml")


def _docs_upload_problems(ctx: Any, destination: str | None) -> Iterator[Any]:
    """Publishing docs to gs:// needs google-cloud-storage: ``dop-core[google]``."""
    from dop_core import GOOGLE_EXTRA

    missing = (destination or "").startswith("gs://") and GOOGLE_EXTRA.problem(
        ctx.location(("kind", "target")), f"publishing dbt docs to {destination}")
    if missing:
        yield missing


# -- building ------------------------------------------------------------------------------------
def _arguments(options: DbtOptions) -> list[list[Any]]:
    return [[a.option, a.value] for a in options.arguments if a.option not in BUCKET_ARGUMENTS]


def docs_destination(options: DbtOptions, effective: settings.DbtSettings, project: Any,
                     target_name: str) -> str | None:
    """Where a ``docs generate`` task publishes: ``plugins.dbt.targets.<target>.docs_destination``, else the
    task's ``--bucket``/``--bucket-path`` (``gs://bucket/path``, where the original DOP uploaded), else
    ``plugins.dbt.docs_destination`` (None: the default folder). ``effective``: the settings merged for the
    target; whether the target's own block sets the key decides which wins over the task's arguments."""
    written = ((project.plugins.get("dbt") or {}).get("targets") or {}).get(target_name) or {}
    if "docs_destination" in written and effective.docs_destination:
        return effective.docs_destination
    given = {a.option: str(a.value or "").strip("/") for a in options.arguments if a.option in BUCKET_ARGUMENTS}
    if given.get("--bucket"):
        return "gs://" + "/".join(p for p in (given["--bucket"], given.get("--bucket-path")) if p)
    return effective.docs_destination


def build(build: Any) -> Any:
    options: DbtOptions = build.options
    project = build.project
    target_name = build.task.kind.target
    dbt = dbt_project.load(project, options.project)
    effective: settings.DbtSettings = build.settings  # plugins.dbt for the target, merged by DOP
    # the original DOP's dataset: the dbt project's name (a task's own schema, or plugins.dbt.schema, wins)
    schema = build.task.schema or effective.schema or dbt.dataset
    effective = attrs.evolve(effective, docs_destination=docs_destination(options, effective, project,
                                                                          build.target.name))
    kwargs = build.operator_kwargs()
    if options.pool and not build.task.pool:
        kwargs["pool"] = pool_name(project.name, dbt)
    common: dict[str, Any] = {"dbt_project": dbt, "effective": effective, "schema": schema}
    if options.expand is not None and (dbt.target_dir / "manifest.json").is_file():
        return _expanded(build, options, kwargs, **common)
    return _one(build, target_name, _arguments(options), kwargs, **common)


def _one(build: Any, target_name: str, arguments: list[list[Any]], kwargs: dict[str, Any], *,
         dbt_project: dbt_project.DbtProject, effective: settings.DbtSettings, schema: str) -> Any:
    project = build.project
    results_table = effective.results_table or "dbt_run_results"
    if effective.mode == "kubernetes":
        op = _pod(build, target_name, arguments, kwargs, dbt_project, effective, schema, results_table)
    else:
        from dop_dbt.operator import DbtOperator

        op = DbtOperator(dbt_target=target_name, dbt_project_dir=str(dbt_project.path),
                         dbt_project_name=dbt_project.name, profile=dbt_project.profile,
                         dbt_target_path=dbt_project.target_path, dop_target=build.target,
                         project_root=str(project.root), schema=schema, database=build.database,
                         settings=effective, arguments=arguments, version=build.options.version,
                         results_table=results_table, docs_destination=effective.docs_destination, **kwargs)
    if kwargs.get("pool", "").startswith(POOL_PREFIX):
        op.dop_pool_slots = 1  # dop run (dop_core.cli.run.ensure_pools) creates the pool with one slot
        op.dop_pool_description = f"dop-dbt: one dbt command at a time on dbt project {dbt_project.name}"
    op.dop_param_keys = tuple(build.dag.params)
    return op


def _pod(build: Any, target_name: str, arguments: list[list[Any]], kwargs: dict[str, Any],
         dbt: dbt_project.DbtProject, effective: settings.DbtSettings, schema: str, results_table: str) -> Any:
    import json

    from dop_dbt import kubernetes, profiles

    root = build.project.root
    try:
        subdir = str(dbt.path.relative_to(root))
    except ValueError:
        subdir = dbt.path.name
    profile = profiles.profile(dbt.profile, build.target, schema, effective)
    pod_kwargs: dict[str, Any] = {
        "image": effective.image, "name": f"dbt-{build.task_id}".replace("_", "-")[:60],
        "env_vars": {"DOP_DBT_PROFILE": json.dumps(profile), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
                     **(effective.env or {})},
        "get_logs": True, "on_finish_action": "delete_pod",
        "startup_timeout_seconds": effective.startup_timeout or 600,
    }
    if effective.namespace:
        pod_kwargs["namespace"] = effective.namespace
    if effective.kubernetes_conn_id:
        pod_kwargs["kubernetes_conn_id"] = effective.kubernetes_conn_id
    else:
        pod_kwargs["in_cluster"] = True
    if effective.service_account_name:
        pod_kwargs["service_account_name"] = effective.service_account_name
    if effective.node_selector:
        pod_kwargs["node_selector"] = effective.node_selector
    record = {"dop_target": build.target, "schema": schema, "database": build.database, "results_table": results_table,
              "dbt_project": dbt.name, "dbt_command": target_name, "profile": dbt.profile, "project_subdir": subdir,
              "project_dir_in_image": effective.project_dir_in_image or kubernetes.DEFAULT_PROJECT_DIR}
    return kubernetes.build_pod_operator(dop_record=record, dbt_arguments=arguments, **pod_kwargs, **kwargs)


def _expanded(build: Any, options: DbtOptions, kwargs: dict[str, Any], *, dbt_project: dbt_project.DbtProject,
              effective: settings.DbtSettings, schema: str) -> Any:
    """A task group: one task per selected model (``<id>.<model>``) and, for ``run``, one test task after it."""
    from airflow.sdk import TaskGroup

    from dop_dbt import manifest as manifest_mod

    manifest = manifest_mod.load(dbt_project.target_dir / "manifest.json")
    target_name = build.task.kind.target
    models = manifest.select(options.expand.select)
    chosen = {m.unique_id for m in models}
    base_args = [a for a in _arguments(options) if a[0] not in ("-m", "--models", "--model", "-s", "--select",
                                                                 "--exclude", "--selector")]
    group = TaskGroup(group_id=build.task_id, tooltip=f"dbt {target_name} of {dbt_project.name}, one task per model")
    with group:
        ends: dict[str, Any] = {}
        starts: dict[str, Any] = {}
        for model in models:
            own = {**kwargs, "task_id": model.name}
            if target_name == "build" and not options.expand.tests:
                args = [*base_args, ["--select", model.name], ["--exclude", "resource_type:test"]]
            else:
                args = [*base_args, ["--select", model.name]]
            op = _one(build, target_name, args, own, dbt_project=dbt_project, effective=effective, schema=schema)
            starts[model.unique_id] = ends[model.unique_id] = op
            if target_name == "run" and options.expand.tests and model.tests:
                test = _one(build, "test", [*base_args, ["--select", model.name]],
                            {**kwargs, "task_id": f"{model.name}__test"}, dbt_project=dbt_project,
                            effective=effective, schema=schema)
                op >> test
                ends[model.unique_id] = test
        for model in models:
            for dep in model.depends_on:
                if dep in chosen:
                    ends[dep] >> starts[model.unique_id]
    return group
