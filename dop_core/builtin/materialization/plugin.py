"""Built-in task kinds: materialization, assertion, invocation and airflow_operator."""

from __future__ import annotations

import functools
import pathlib
from collections.abc import Iterator
from typing import Any

import attrs

from dop_core.config.models import Project
from dop_core.config.paths import OutsideProject
from dop_core.contract.contexts import TaskBuild, ValidationContext
from dop_core.contract.hookspecs import hookimpl
from dop_core.contract.records import NoOptions, TaskType
from dop_core.errors import Problem


def _needs_schema(ctx: ValidationContext) -> Iterator[Problem]:
    assert ctx.task is not None
    if not (ctx.task.schema or ctx.dag.schema):
        yield ctx.problem(("identifier",), f"task {ctx.task.identifier!r} writes to the warehouse but has no schema",
                          "a `schema:` on the task or the DAG", "add `schema: <dataset>` to the DAG config")


def _sql_options(ctx: ValidationContext) -> Iterator[Problem]:
    """Under ``dop validate``: every option value that reaches SQL (types, column names) is what SQL may
    receive; the operator checks them again before running (sqlglot is too heavy for Airflow's parsing)."""
    if not ctx.thorough:
        return
    for path, message, expected in ctx.options.sql_problems(ctx.project.dialect):
        yield ctx.problem(("options", *path), message, expected)


def _validate_with_sql_options(ctx: ValidationContext) -> Iterator[Problem]:
    yield from _needs_schema(ctx)
    yield from _sql_options(ctx)


def _validate_seed(ctx: ValidationContext) -> Iterator[Problem]:
    yield from _validate_with_sql_options(ctx)
    assert ctx.task is not None
    rel = ctx.options.path or f"data/{ctx.task.identifier}.csv"
    at = ("options", "path") if ctx.options.path else ("identifier",)
    try:
        path = seed_path(ctx.project, ctx.dag.folder, rel)
    except OutsideProject as exc:
        yield ctx.problem(at, exc.message, "a CSV file inside the project or a declared data folder", exc.fix)
        return
    if not path.is_file():
        assert ctx.dag.folder is not None
        yield ctx.problem(at, f"seed file {rel} does not exist in {ctx.dag.folder.name}/", "a CSV file",
                          f"create {ctx.dag.folder.name}/{rel} or set options.path")


def seed_path(project: Project, folder: pathlib.Path | None, rel: str) -> pathlib.Path:
    """The seed file ``rel`` (relative to the DAG folder), inside the project or a data folder."""
    from dop_core.config.paths import resolve_project_path

    return resolve_project_path(project, rel, base=folder, what="seed file")


def _validate_partitioned(ctx: ValidationContext) -> Iterator[Problem]:
    yield from _needs_schema(ctx)


def _native(build: TaskBuild, kind: str) -> Any:
    from dop_core.contract.sql_task import DopSqlOperator

    relation = build.relation if kind != "assertion/assertion" and kind != "invocation/stored_procedure" else None
    options = build.options
    if kind == "materialization/seed":
        options = attrs.evolve(options, path=str(seed_path(build.project, build.folder,
                                                           options.path or f"data/{build.task_id}.csv")))
    outlets = []
    if kind in ("materialization/table", "materialization/view", "materialization/seed"):
        from airflow.sdk import Asset

        from dop_core.build.dags import asset_uri

        assert relation is not None
        outlets = [Asset(asset_uri(build.project, f"{relation.schema}.{relation.name}"))]
    sql_file = build.sql_template  # computed once: this runs for every task at every parse
    return DopSqlOperator(
        kind=kind, target=build.target, dialect=build.project.dialect, sql=sql_file, relation=relation,
        partitioning=build.task.partitioning, options=options, sql_file=sql_file, outlets=outlets,
        **build.operator_kwargs())


def _sensor(build: TaskBuild) -> Any:
    from dop_core.contract.sql_task import DopAssertionSensor

    return DopAssertionSensor(target=build.target, dialect=build.project.dialect, sql=build.sql_template or "",
                              sql_file=build.sql_template, **build.options.sensor_kwargs(), **build.operator_kwargs())


def import_operator(path: str) -> type:
    """The operator class at dotted ``path`` (Airflow 1/2 paths of drop-in moved operators are followed)."""
    from importlib import import_module

    from dop_core.builtin.airflow_operator.moved import followed

    path = followed(path)
    module_name, _, class_name = path.rpartition(".")
    if not module_name:
        raise ImportError(f"{path!r} is not a dotted path such as "
                          "airflow.providers.standard.operators.bash.BashOperator")
    module = import_module(module_name)
    try:
        return getattr(module, class_name)
    except AttributeError:
        raise ImportError(f"module {module_name!r} has no {class_name!r}") from None


def _validate_airflow_operator(ctx: ValidationContext) -> Iterator[Problem]:
    from airflow.sdk import BaseOperator

    from dop_core.builtin.airflow_operator.moved import MOVED_OPERATORS

    assert ctx.task is not None
    path = ctx.task.kind.target
    moved = MOVED_OPERATORS.get(path)
    if moved is not None and not moved.drop_in:
        yield ctx.problem(("kind", "target"), f"{path!r} is an Airflow 1 operator; on Airflow 3 its successor is "
                          f"{moved.path} (from {moved.distribution}), which takes other arguments",
                          "the dotted path of an Airflow 3 operator class",
                          f"write `target: {moved.path}` (pip install '{moved.distribution}') and rewrite "
                          "options.arguments for it")
        return
    try:
        cls = import_operator(path)
    except Exception as exc:
        yield _import_problem(ctx, path, exc)
        return
    if not (isinstance(cls, type) and issubclass(cls, BaseOperator)):
        yield ctx.problem(("kind", "target"), f"{path!r} is not an Airflow operator (a BaseOperator subclass)",
                          "the dotted path of a BaseOperator subclass")
        return
    if moved is not None:
        yield ctx.problem(("kind", "target"), f"{path!r} is an Airflow 1/2 path; DOP builds {moved.path} instead",
                          None, f"write `target: {moved.path}` (from {moved.distribution})", severity="warning")
    if "task_id" in ctx.options.arguments:
        yield ctx.problem(("options", "arguments", "task_id"), "task_id is set by DOP from the identifier",
                          None, "remove it")


def _import_problem(ctx: ValidationContext, path: str, exc: Exception) -> Problem:
    """Why ``path`` cannot be imported, and the class (and distribution) to write instead."""
    from dop_core.builtin.airflow_operator.moved import MOVED_OPERATORS, PROVIDERS_INDEX, is_airflow_1_path

    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    moved = MOVED_OPERATORS.get(path)
    if moved is not None:
        return ctx.problem(("kind", "target"), f"{path!r} is an Airflow 1/2 path; on Airflow 3 this operator is "
                           f"{moved.path}, which cannot be imported here ({reason})",
                           "the dotted path of an importable Airflow operator class",
                           f"pip install '{moved.distribution}' and write `target: {moved.path}`")
    if is_airflow_1_path(path):
        return ctx.problem(("kind", "target"), f"{path!r} is an Airflow 1 path: Airflow 3 has no airflow.contrib "
                           "and no airflow.operators.*_operator modules",
                           "the dotted path of an Airflow 3 operator class (airflow.providers...)",
                           f"find its provider's class in {PROVIDERS_INDEX}, install that provider and write "
                           "`target: airflow.providers.<provider>.<module>.<Class>`")
    return ctx.problem(("kind", "target"), f"cannot import operator {path!r}: {reason}",
                       "the dotted path of an Airflow operator class",
                       "e.g. airflow.providers.standard.operators.bash.BashOperator")


@functools.cache  # inspect.signature over the MRO was a tenth of building an airflow_operator task
def _timedelta_params(cls: type) -> set[str]:
    import inspect

    names: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            params = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):
            continue
        names |= {p.name for p in params if "timedelta" in str(p.annotation)}
    return names


def _airflow_operator(build: TaskBuild) -> Any:
    from dop_core.config.durations import parse_duration
    from dop_core.contract.variable_params import with_variable_params

    cls = import_operator(build.task.kind.target)
    arguments = dict(build.options.arguments)
    for name in _timedelta_params(cls) & set(arguments):
        if isinstance(arguments[name], str | dict | int | float):
            arguments[name] = parse_duration(arguments[name])
    return with_variable_params(cls)(**arguments, **build.operator_kwargs())


def _native_type(action: str, target: str, options: type | str = NoOptions, sql_file: str = "required",
                 validate: Any = _needs_schema, description: str = "") -> TaskType:
    kind = f"{action}/{target}"
    return TaskType(action=action, target=target, options=options, sql_file=sql_file, validate=validate,
                    build=lambda b: _native(b, kind), description=description)


_OPTIONS = "dop_core.builtin.materialization.options:"  # imported only when a config uses the kind


@hookimpl
def dop_task_types() -> list[TaskType]:
    return [
        _native_type("materialization", "schema", sql_file="none",
                     description="create the task's schema (BigQuery dataset) if missing"),
        _native_type("materialization", "table", validate=_validate_partitioned,
                     description="materialise the query's result; incremental runs replace the partitions it returns"),
        _native_type("materialization", "view", description="create or replace a view of the query"),
        _native_type("materialization", "udf", options=_OPTIONS + "FunctionOptions",
                     validate=_validate_with_sql_options,
                     description="create or replace a SQL function whose body is the SQL file's expression"),
        _native_type("materialization", "stored_procedure", options=_OPTIONS + "ProcedureOptions",
                     validate=_validate_with_sql_options,
                     description="create or replace a stored procedure running the SQL file's statements"),
        _native_type("materialization", "seed", options=_OPTIONS + "SeedOptions", sql_file="none",
                     validate=_validate_seed,
                     description="load a CSV file shipped in the DAG folder into a table"),
        _native_type("assertion", "assertion", validate=None,
                     description="fail unless every row the query returns has success = true"),
        TaskType(action="assertion", target="assertion_sensor", options=_OPTIONS + "SensorOptions", sql_file="required",
                 build=_sensor, description="wait until every row the query returns has success = true"),
        _native_type("invocation", "stored_procedure", validate=None,
                     description="run the SQL file's statements, typically CALL schema.procedure(...)"),
        TaskType(action="airflow_operator", target="*",
                 options="dop_core.builtin.airflow_operator.options:AirflowOperatorOptions",
                 build=_airflow_operator, validate=_validate_airflow_operator,
                 description="any Airflow operator: target is its dotted class path, options.arguments its kwargs"),
    ]
