"""``dop init``: create a service project from the cookiecutter template shipped with dop-core.

The template is ``service_project_template/`` at the repository root; the dop-core wheel carries it
as ``dop_core/service_project_template``. ``cookiecutter service_project_template`` renders the same
project. Questions are asked only on a terminal; otherwise every answer is its default.
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import sys
from typing import Any

from dop_core.errors import DopError

TEMPLATE_NAME = "service_project_template"
_SLUG = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: the longest project name: an identifier (see dop_core.config.identifiers) that is also a folder name
MAX_NAME = 128


def template_dir() -> pathlib.Path:
    """The template folder: inside the installed package, else at the root of a source checkout."""
    here = pathlib.Path(__file__).resolve().parents[1]  # the dop_core package
    for candidate in (here / TEMPLATE_NAME, here.parent / TEMPLATE_NAME):
        if (candidate / "cookiecutter.json").is_file():
            return candidate
    raise DopError(f"the project template is missing from this installation "
                   f"(looked in {here / TEMPLATE_NAME}); reinstall dop-core")


def run_cookiecutter(template: pathlib.Path, **kwargs: Any) -> str:
    """``cookiecutter(template, **kwargs)``, its scratch files in a folder removed afterwards.

    cookiecutter 2 writes each hook script, and a copy of a template with a pre-prompt hook, to the
    system temp folder and never removes them: every ``dop init`` left four entries in /tmp.
    """
    import tempfile

    from cookiecutter.main import cookiecutter

    with tempfile.TemporaryDirectory(prefix="dop-cookiecutter-") as scratch:
        previous, tempfile.tempdir = tempfile.tempdir, scratch
        try:
            return str(cookiecutter(str(template), **kwargs))
        finally:
            tempfile.tempdir = previous


def project_folder(path: str | os.PathLike[str], output_dir: str | os.PathLike[str] = ".") -> pathlib.Path:
    """The absolute folder PATH names (relative to ``output_dir``); symbolic links are kept as written."""
    return pathlib.Path(os.path.abspath(pathlib.Path(output_dir) / path))


def project_name(path: str | os.PathLike[str], output_dir: str | os.PathLike[str] = ".") -> str:
    """The project name PATH gives: its last part (``a/b/sales`` -> ``sales``). DopError, suggesting a PATH
    that would do, if it is not one: ``dop_project.yml``'s ``name`` is an identifier (letters, digits, ``_``)."""
    folder = project_folder(path, output_dir).name
    if _SLUG.fullmatch(folder) and len(folder) <= MAX_NAME:
        return folder
    if len(folder) > MAX_NAME:  # the folder must also be a file name
        raise DopError(f"the project name {folder[:40]}... is {len(folder)} characters long; use at most {MAX_NAME}, "
                       "e.g. `dop init my_project`")
    name = re.sub(r"[^0-9a-zA-Z_]+", "_", folder.strip()).strip("_").lower()
    name = f"project_{name}" if name[:1].isdigit() else name
    given = pathlib.Path(path)
    if not _SLUG.fullmatch(name):
        instead = "e.g. `dop init my_project`"
    else:
        instead = f"`dop init {given.with_name(name) if given.name not in ('', '.', '..') else name}`"
    raise DopError(f"{folder!r} cannot be a project name: use letters, digits and _ (not starting with a digit). "
                   f"The folder's name is the project's: try {instead}")


def create_project(path: str | os.PathLike[str], output_dir: str | os.PathLike[str] = ".",
                   no_input: bool | None = None, with_dbt: bool | None = None) -> pathlib.Path:
    """Render the template into the folder ``path`` (relative to ``output_dir``), named after its last part,
    as ``git init`` and ``cargo new`` do; return the new project's folder.

    Missing parent folders are created; an existing folder must be empty. The template is rendered beside it
    first, so a failure leaves nothing behind. ``no_input=None`` asks the template's questions only when stdin
    is a terminal. ``with_dbt=None`` includes the dbt example when the dop-dbt plugin is installed.
    """
    name = project_name(path, output_dir)
    target = project_folder(path, output_dir)
    if target.exists() and not (target.is_dir() and not any(target.iterdir())):
        raise DopError(f"{target} already exists and is not an empty folder; choose another PATH")
    context: dict[str, str] = {"project_name": name, "project_slug": name}
    if with_dbt is not None:
        context["with_dbt"] = "yes" if with_dbt else "no"
    made = _missing_parents(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _render_into(target, context, no_input if no_input is not None else not sys.stdin.isatty())
    except BaseException:
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)
        raise
    return target


def _missing_parents(target: pathlib.Path) -> pathlib.Path | None:
    """The outermost of ``target``'s parent folders that does not exist yet (None: they all exist)."""
    missing = None
    for parent in target.parents:
        if parent.exists():
            break
        missing = parent
    return missing


def _render_into(target: pathlib.Path, context: dict[str, str], no_input: bool) -> None:
    import tempfile

    from cookiecutter.exceptions import CookiecutterException

    with tempfile.TemporaryDirectory(prefix=".dop-init-", dir=target.parent) as scratch:
        try:
            created = pathlib.Path(run_cookiecutter(template_dir(), no_input=no_input, extra_context=context,
                                                    output_dir=scratch))
        except CookiecutterException as exc:
            raise DopError(f"creating the project failed: {exc}") from None
        except OSError as exc:  # e.g. a folder that cannot be written
            raise DopError(f"creating the project in {target.parent} failed: {exc.strerror or exc}") from None
        if target.is_dir():  # an empty folder (checked above) keeps its identity: a shell may be in it
            for child in created.iterdir():
                child.rename(target / child.name)
        else:
            created.rename(target)


def next_steps(project: pathlib.Path) -> str:
    """What to type next, spelled for how DOP was installed here (see :mod:`dop_core.cli.invocation`)."""
    import shlex

    from dop_core.cli.invocation import invocation

    how = invocation(project)
    where = os.path.relpath(project)
    where = str(project) if where.startswith("..") else where
    lines = [(f"cd {shlex.quote(where)}", ""), *how.setup,
             (f"{how.command} run example_covid19 --date 2024-06-01", "the example DAG on the local DuckDB warehouse"),
             (f"{how.command} validate", "every config, with file:line:column for each problem"),
             (f"{how.command} airflow", "the Airflow UI with the project's DAGs (Ctrl-C stops it)")]
    width = max(len(command) for command, _ in lines)
    steps = "".join(f"  {command.ljust(width)}   # {note}\n" if note else f"  {command}\n" for command, note in lines)
    return (f"Created the DOP project {project.name} in {where}\n\nNext:\n{steps}"
            "Its README.md says how to test it and deploy it to Cloud Composer.\n")
