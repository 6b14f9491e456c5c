"""``dop init``: create a service project from the cookiecutter template shipped with dop-core.

The template is ``service_project_template/`` at the repository root; the dop-core wheel carries it
as ``dop_core/service_project_template``. ``cookiecutter service_project_template`` renders the same
project. Questions are asked only on a terminal; otherwise every answer is its default.
"""

from __future__ import annotations

import os
import pathlib
import re
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


def slug_of(name: str) -> str:
    """The project's identifier for NAME: ``My Project`` -> ``my_project``."""
    slug = re.sub(r"[^0-9a-zA-Z_]+", "_", name.strip()).strip("_").lower()
    if not _SLUG.fullmatch(slug or "-"):
        raise DopError(f"cannot make a project name from {name!r}: use letters, digits and _ "
                       "(not starting with a digit), e.g. `dop init my_project`")
    if len(slug) > MAX_NAME:  # dop_project.yml's `name` is an identifier, and the folder a file name
        raise DopError(f"the project name {slug[:40]}... is {len(slug)} characters long; use at most {MAX_NAME}, "
                       "e.g. `dop init my_project`")
    return slug


def create_project(name: str, output_dir: str | os.PathLike[str] = ".", no_input: bool | None = None,
                   with_dbt: bool | None = None, overwrite: bool = False) -> pathlib.Path:
    """Render the template into ``output_dir/<slug of name>``; return the new project's folder.

    ``no_input=None`` asks the template's questions only when stdin is a terminal. ``with_dbt=None``
    includes the dbt example when the dop-dbt plugin is installed.
    """
    from cookiecutter.exceptions import CookiecutterException, OutputDirExistsException

    if no_input is None:
        no_input = not sys.stdin.isatty()
    slug = slug_of(name)
    out = pathlib.Path(output_dir).resolve()
    if (out / slug).exists() and not overwrite:
        raise DopError(f"{out / slug} already exists; pick another name or --output-dir")
    context: dict[str, str] = {"project_name": name, "project_slug": slug}
    if with_dbt is not None:
        context["with_dbt"] = "yes" if with_dbt else "no"
    try:
        created = run_cookiecutter(template_dir(), no_input=no_input, extra_context=context,
                                   output_dir=str(out), overwrite_if_exists=overwrite)
    except OutputDirExistsException as exc:
        raise DopError(f"{exc}; pick another name or --output-dir") from None
    except CookiecutterException as exc:
        raise DopError(f"creating the project failed: {exc}") from None
    except OSError as exc:  # e.g. an output folder that cannot be written
        raise DopError(f"creating the project in {out} failed: {exc.strerror or exc}") from None
    return pathlib.Path(created)


def next_steps(project: pathlib.Path) -> str:
    rel = os.path.relpath(project)
    return (f"Created the DOP project {project.name} in {rel}\n\n"
            "Next:\n"
            f"  cd {rel}\n"
            "  dop run example_covid19 --date 2024-06-01   # the example DAG on the local DuckDB warehouse\n"
            "  dop airflow                                 # the Airflow UI with the project's DAGs\n"
            "  pytest tests                                # every config validates, every DAG builds\n")
