"""Checks of a Spark task beyond its options model: files, table names, settings of the targets."""

from __future__ import annotations

import ast
import pathlib
from collections.abc import Iterator
from typing import Any

from dop_core import Location, OutsideProject, Problem, Relation, ValidationContext, resolve_project_path
from dop_spark.options import TABLE_EXPECTED

PY_FILE_SUFFIXES = (".py", ".zip", ".egg")


def script_path(folder: pathlib.Path, identifier: str) -> pathlib.Path:
    """The PySpark script of a ``spark/pyspark`` task: ``spark/<identifier>.py`` in the DAG folder."""
    return folder / "spark" / f"{identifier}.py"


def input_name(text: str) -> str:
    """An input's name as written (the key of ``inputs`` in ``transform()``)."""
    return str(text).strip().strip('`"')


def parse_table(text: Any) -> Relation:
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a table name")
    return Relation.parse(text)


def inputs(ctx: ValidationContext) -> list[str]:
    """What :func:`validate` reads beyond the DAG folder (the script is in it): the py_files it checks."""
    assert ctx.dag.folder is not None
    return [str(ctx.dag.folder / name) for name in ctx.options.py_files]


def validate(ctx: ValidationContext) -> Iterator[Problem]:
    task, options = ctx.task, ctx.options
    assert task is not None and ctx.dag.folder is not None
    if task.kind.target == "pyspark":
        yield from _check_script(ctx, script_path(ctx.dag.folder, task.identifier))
    yield from _check_tables(ctx)
    for i, name in enumerate(options.py_files):
        try:
            path = resolve_project_path(ctx.project, name, base=ctx.dag.folder, what="py_files entry")
        except OutsideProject as exc:
            yield ctx.problem(("options", "py_files", i), exc.message, "a file inside the project", exc.fix)
            continue
        if not name.endswith(PY_FILE_SUFFIXES):
            yield ctx.problem(
                ("options", "py_files", i),
                f"{name!r} is not a .py, .zip or .egg file",
                "Python files or archives",
                "list only .py, .zip or .egg files",
            )
        elif not path.is_file():
            yield ctx.problem(
                ("options", "py_files", i),
                f"{name} does not exist in {ctx.dag.folder.name}/",
                "a file relative to the DAG folder",
                f"create {ctx.dag.folder.name}/{name}",
            )


def _check_script(ctx: ValidationContext, path: pathlib.Path) -> Iterator[Problem]:
    assert ctx.task is not None and ctx.dag.folder is not None
    relative = f"spark/{ctx.task.identifier}.py"
    if not path.is_file():
        yield ctx.problem(
            ("identifier",),
            f"task {ctx.task.identifier!r} (spark/pyspark) needs the PySpark script {relative}, which does not exist",
            "a file spark/<identifier>.py in the DAG folder defining transform(spark, inputs, context)",
            f"create {ctx.dag.folder.name}/{relative}",
        )
        return
    try:
        resolve_project_path(ctx.project, path, what="PySpark script")
    except OutsideProject as exc:
        yield ctx.problem(("identifier",), exc.message, "a script inside the project", exc.fix)
        return
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except SyntaxError as exc:
        yield Problem(
            Location(str(path), exc.lineno or 1, exc.offset or 1),
            f"the script does not parse: {exc.msg}",
            "valid Python",
            "fix the syntax error",
        )
        return
    except (OSError, UnicodeDecodeError) as exc:
        yield Problem(Location(str(path)), f"cannot read the script: {exc}", "a UTF-8 Python file")
        return
    found = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == "transform"]
    if not found:
        yield Problem(
            Location(str(path)),
            "the script defines no top-level function transform",
            "def transform(spark, inputs, context): ... returning a DataFrame",
            "add `def transform(spark, inputs, context):` returning the DataFrame to write",
        )
        return
    func = found[-1]
    args = func.args
    positional = len(args.posonlyargs) + len(args.args)
    if positional < 3 and args.vararg is None:
        yield Problem(
            Location(str(path), func.lineno, func.col_offset + 1),
            f"transform takes {positional} positional argument(s); DOP calls transform(spark, inputs, context)",
            "def transform(spark, inputs, context)",
            "add the missing parameters",
        )


def _check_tables(ctx: ValidationContext) -> Iterator[Problem]:
    task, options = ctx.task, ctx.options
    assert task is not None
    seen: dict[str, int] = {}
    inputs: list[tuple[int, Relation]] = []
    for i, text in enumerate(options.inputs):
        try:
            rel = parse_table(text)
        except ValueError as exc:
            yield ctx.problem(("options", "inputs", i), str(exc), TABLE_EXPECTED, "write schema.table")
            continue
        key = f"{rel.schema}.{rel.name}".lower()  # one table per schema.table in the job's catalog
        if key in seen:
            yield ctx.problem(
                ("options", "inputs", i),
                f"input {text!r} is listed twice (Spark sees each input as schema.table)",
                "each table once",
                "remove the duplicate",
            )
        seen.setdefault(key, i)
        inputs.append((i, rel))
    output: Relation | None = None
    if options.output is not None:
        try:
            output = parse_table(options.output)
        except ValueError as exc:
            yield ctx.problem(("options", "output"), str(exc), TABLE_EXPECTED, "write schema.table")
    elif not (task.schema or ctx.dag.schema):
        yield ctx.problem(
            ("identifier",),
            f"task {task.identifier!r} writes its result to the warehouse but has neither options.output nor a schema",
            "options.output: schema.table, or a `schema:` on the task or the DAG",
            "add `output: <schema>.<table>` to the task's options",
        )
    if output is not None and f"{output.schema}.{output.name}".lower() in seen:
        yield ctx.problem(
            ("options", "output"),
            f"the output {options.output!r} is also an input",
            "an output table different from the inputs",
            "write the result to another table",
        )
    yield from _check_upstream(ctx, inputs)


def _relation_of(ctx: ValidationContext, task: Any) -> str | None:
    """``schema.table`` a task of this DAG writes, for the dependency hint (None if unknown)."""
    output = (task.options or {}).get("output") if task.kind.action == "spark" else None
    if isinstance(output, str):
        try:
            rel = parse_table(output)
        except ValueError:
            return None
        return f"{rel.schema}.{rel.name}".lower()
    schema = task.schema or ctx.dag.schema
    return f"{schema}.{task.identifier}".lower() if schema else None


def _check_upstream(ctx: ValidationContext, inputs: list[tuple[int, Relation]]) -> Iterator[Problem]:
    """Warn when an input is written by another task of the DAG that does not run before this one."""
    assert ctx.task is not None
    tasks = {t.identifier: t for t in ctx.dag.tasks}
    ancestors: set[str] = set()
    todo = list(ctx.task.dependencies)
    while todo:
        dep = todo.pop()
        if dep in ancestors or dep not in tasks:
            continue
        ancestors.add(dep)
        todo.extend(tasks[dep].dependencies)
    writers: dict[str, str] = {}
    for t in ctx.dag.tasks:
        rel = _relation_of(ctx, t)
        if rel and t.identifier != ctx.task.identifier:
            writers.setdefault(rel, t.identifier)
    for i, read in inputs:
        name = f"{read.schema}.{read.name}".lower()
        writer = writers.get(name)
        if writer and writer not in ancestors:
            yield ctx.problem(
                ("options", "inputs", i),
                f"input {name} is written by task {writer!r}, which does not run before this task",
                None,
                f"add {writer!r} to this task's dependencies",
                severity="warning",
            )
