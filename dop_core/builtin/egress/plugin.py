"""The core's generic ``egress`` task action: ship a table or a query's result to a destination.

Destinations are :class:`dop_core.EgressType` records registered by plugins (dop-egress ships
``file``, ``gcs`` and ``sftp``). One task type, ``egress/*``, serves them all: ``kind.target``
names the destination; the task's ``options`` hold the common keys
(:class:`~dop_core.builtin.egress.options.EgressOptions`) and, beside them, the destination's own keys,
checked against the destination's options model.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import attrs

from dop_core.config.identifiers import Relation
from dop_core.config.structure import MISSING, Structurer, yaml_keys
from dop_core.config.yaml import Document, Path
from dop_core.contract.contexts import TaskBuild, ValidationContext
from dop_core.contract.hookspecs import hookimpl
from dop_core.contract.records import EgressType, TaskType
from dop_core.errors import ConfigError, LookupProblem, Problem, did_you_mean

#: the egress kind's action: ``kind: {action: egress, target: <destination>}``
ACTION = "egress"

if TYPE_CHECKING:
    from dop_core.builtin.egress.options import EgressOptions


def structure_destination(doc: Document, options: EgressOptions, egress: EgressType, path: Path,
                          problems: list[Problem]) -> Any:
    """The destination's typed options from the task's extra keys, or MISSING after adding problems."""
    from dop_core.builtin.egress.options import EgressOptions

    s = Structurer(doc, problems)
    common = yaml_keys(EgressOptions)
    own = [k for k in yaml_keys(egress.options_model) if k not in common]
    known: dict[str, Any] = {}
    ok = True
    for key, value in options.extra.items():
        if key in own:
            known[key] = value
            continue
        allowed = common + own
        s.problem((*path, key), f"unknown key {key!r} for an egress to {egress.name!r}",
                  "one of " + ", ".join(allowed), did_you_mean(str(key), allowed) or "remove it", key=True)
        ok = False
    typed = s.structure_attrs(known, egress.options_model, path)
    return typed if ok else MISSING


def _validate(ctx: ValidationContext) -> Iterator[Problem]:
    from dop_core.builtin.egress.options import FormatError, file_format
    from dop_core.contract.registry import get_registry

    assert ctx.task is not None
    options: EgressOptions = ctx.options
    try:
        egress = get_registry().named("egress", ctx.task.kind.target)
    except LookupProblem as exc:
        yield ctx.problem(("kind", "target"), exc.message, "the name of an egress destination", exc.fix)
        return
    missing = egress.requires and egress.requires.problem(ctx.location(("kind", "target")),
                                                          f"egress destination {egress.name!r}")
    if missing:
        yield missing
        return
    try:
        file_format(options)
    except FormatError as exc:
        yield ctx.problem(("options", exc.key), str(exc), exc.expected,
                          "set options.format" if exc.key == "path" else "choose another compression")
    if not options.path.strip():
        yield ctx.problem(("options", "path"), "the path is empty", "where the file goes")
    if options.source is None and ctx.sql_path is None:
        yield ctx.problem(("identifier",), f"egress task {ctx.task.identifier!r} has nothing to export",
                          "options.source (a table) or the SQL file sql/<identifier>.sql",
                          f"add `source: schema.table` or create sql/{ctx.task.identifier}.sql")
    if options.source is not None and ctx.sql_path is not None:
        yield ctx.problem(("options", "source"), f"egress task {ctx.task.identifier!r} has both "
                          "options.source "
                          f"and sql/{ctx.task.identifier}.sql", "one of them",
                          "remove options.source to export the query's result, or delete the SQL file")
    assert ctx.dag.document is not None
    problems: list[Problem] = []
    typed = structure_destination(ctx.dag.document, options, egress, (*ctx.path, "options"), problems)
    yield from problems
    if typed is MISSING or egress.validate is None:
        return
    try:
        yield from egress.load("validate")(attrs.evolve(ctx, options=attrs.evolve(options, _destination=typed))) or ()
    except Exception as exc:  # a destination's validator crashing is reported at the task
        yield ctx.problem(("kind", "target"), f"the validator of egress destination {egress.name!r} "
                          f"({egress.provider}) failed: {type(exc).__name__}: {exc}")


def _inputs(ctx: ValidationContext) -> list[str] | None:
    """What the destination's validation reads (as it declares)."""
    from dop_core.contract.registry import get_registry

    assert ctx.task is not None
    return get_registry().named("egress", ctx.task.kind.target).input_paths(ctx)


def _build(build: TaskBuild) -> Any:
    from dop_core.builtin.egress.operator import DopEgressOperator
    from dop_core.builtin.egress.options import file_format
    from dop_core.contract.registry import get_registry

    options: EgressOptions = build.options
    egress = get_registry().named("egress", build.task.kind.target)
    problems: list[Problem] = []  # validated already: none, unless the destination changed since
    unplaced = Document(str(build.dag.config_path), {}, {}, {})
    typed = structure_destination(unplaced, options, egress, ("tasks", build.task.position, "options"), problems)
    if typed is MISSING:
        raise ConfigError(problems)
    source = None
    if options.source is not None:
        source = Relation.parse(options.source)
        if source.database is None and build.database:
            source = attrs.evolve(source, database=build.database)
    return DopEgressOperator(
        destination=egress.name, target=build.target, dialect=build.project.dialect, path=options.path,
        file_format=file_format(options), destination_options=typed, project_root=build.project.root,
        source=source, sql=build.sql_template if source is None else None, overwrite=options.overwrite,
        success_marker=options.success_marker, **build.operator_kwargs())


@hookimpl
def dop_task_types() -> list[TaskType]:
    return [TaskType(action=ACTION, target="*", options="dop_core.builtin.egress.options:EgressOptions",
                     build=_build, validate=_validate, inputs=_inputs, sql_file="optional",
                     # build makes DOP's operator from what _validate checked (the destination's options, the
                     # file format, a source table or the SQL file): whatever the destination, it refuses nothing more
                     validate_covers_build=True,
                     description="export a table or the task's query result as a csv/parquet/jsonl file to a "
                                 "destination (target: file, gcs, sftp... from egress plugins)")]
