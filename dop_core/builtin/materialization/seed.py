"""``materialization/seed``: a CSV file shipped with the DAG, loaded into a table."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator
from typing import Any

from dop_core.builtin.materialization.options import check_sql_options
from dop_core.builtin.materialization.outcome import Outcome
from dop_core.config.paths import OutsideProject, resolve_project_path
from dop_core.contract.contexts import RunContext, ValidationContext
from dop_core.errors import Problem


def seed_path(owner: Any, folder: pathlib.Path | None, rel: str) -> pathlib.Path:
    """The seed file ``rel`` (relative to the DAG folder), inside the project or a data folder of ``owner``
    (the project, or a target)."""
    return resolve_project_path(owner, rel, base=folder, what="seed file")


def _relative(ctx: ValidationContext) -> str:
    assert ctx.task is not None
    return ctx.options.path or f"data/{ctx.task.identifier}.csv"


def validate(ctx: ValidationContext) -> Iterator[Problem]:
    """The seed file exists, inside the project or a declared data folder."""
    rel = _relative(ctx)
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


def inputs(ctx: ValidationContext) -> list[str]:
    """The seed file (it may live outside the DAG folder, in a data folder)."""
    assert ctx.dag.folder is not None
    return [str(ctx.dag.folder / _relative(ctx))]


def run(ctx: RunContext) -> Outcome:
    from dop_core.sql.dialects import translate_type

    assert ctx.relation is not None
    options = ctx.options
    check_sql_options(options, ctx.dialect)
    columns = {name: translate_type(typ, ctx.dialect, ctx.engine.dialect)
               for name, typ in (options.columns or {}).items()}
    path = seed_path(ctx.target, ctx.folder, options.path or f"data/{ctx.task_id}.csv")
    rows = ctx.engine.load_csv(ctx.relation, str(path), columns or None, options.delimiter, options.header)
    return Outcome("loaded seed into", str(ctx.relation), rows)
