"""The original DOP's example service project as a DOP project, for the compatibility tests.

The example is the vendored copy in ``tests/compat/original`` (teamdatatonic/dop, MIT), or, when
``DOP_ORIGINAL_REPO`` names a local copy of that repository, its own ``examples/service_project``: the
tests then check those files, unchanged. :func:`migrated_project` lays the example out as a user migrating
would: its DAG folders under ``orchestration/`` and its dbt projects under ``dbt/``, byte for byte.
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
from typing import Any

HERE = pathlib.Path(__file__).resolve().parent
VENDORED = HERE / "original"
STAND_INS = HERE / "stand_ins"
ORIGINAL_REPO_ENV = "DOP_ORIGINAL_REPO"
DBT_PROJECTS = ("dbt_start", "dbt_start_two")
DAG_FILE = "from dop_core import build_dags\n\nglobals().update(build_dags(__file__))  # the Airflow DAGs\n"

#: DOP's only refusals of the original example: (DAG folder, line, column, what the fix line says to write)
DELIBERATE_REFUSALS = [("example_external_task_sensor", 15, 26, "execution_delta: 5m")]
#: the example's DAGs whose tasks need the dop-dbt plugin
NEEDS_DBT = {"example_covid19"}


def original_example() -> pathlib.Path:
    """``examples/service_project`` of the original DOP: from ``$DOP_ORIGINAL_REPO``, else the vendored copy."""
    repo = os.environ.get(ORIGINAL_REPO_ENV)
    if not repo:
        return VENDORED
    example = pathlib.Path(repo).expanduser() / "examples" / "service_project"
    if not (example / "embedded_dop" / "orchestration").is_dir():
        raise AssertionError(f"{ORIGINAL_REPO_ENV}={repo} is not a copy of teamdatatonic/dop: "
                             f"{example / 'embedded_dop' / 'orchestration'} does not exist")
    return example


def dag_names(example: pathlib.Path) -> list[str]:
    return sorted(p.parent.name for p in (example / "embedded_dop" / "orchestration").glob("*/config.yaml"))


def migrated_project(root: pathlib.Path, example: pathlib.Path | None = None, stand_ins: bool = False) -> pathlib.Path:
    """A DOP project holding the example's orchestration folders and dbt projects, unchanged."""
    example = example or original_example()
    root.mkdir(parents=True)
    (root / "dop_project.yml").write_text("name: service_project\n")
    (root / "dags").mkdir()
    (root / "dags" / "dop_dags.py").write_text(DAG_FILE)
    shutil.copytree(example / "embedded_dop" / "orchestration", root / "orchestration")
    for name in DBT_PROJECTS:
        shutil.copytree(example / name, root / "dbt" / name)
    if stand_ins:
        shutil.copytree(STAND_INS / "local_stand_ins", root / "orchestration" / "local_stand_ins")
    return root


def same_bytes(example: pathlib.Path, root: pathlib.Path) -> bool:
    """Whether every file of the example's orchestration folders is in the project, byte for byte."""
    source = example / "embedded_dop" / "orchestration"
    files = [p for p in source.rglob("*") if p.is_file()]
    return bool(files) and all((root / "orchestration" / p.relative_to(source)).read_bytes() == p.read_bytes()
                               for p in files)


_WRITE = re.compile(r"write `([A-Za-z_]\w*): ([^`]+)`")


def apply_fix_lines(problems: list[Any]) -> int:
    """Do what each problem's fix line says when it says ``write `key: value```: the line the problem is
    on gets that key's new value (as a user would edit it). Returns how many lines were changed."""
    changed = 0
    for problem in problems:
        found = _WRITE.search(problem.fix or "")
        if not found:
            continue
        key, value = found.groups()
        path = pathlib.Path(problem.location.path)
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        line = lines[problem.location.line - 1]
        at = line.index(f"{key}:")
        lines[problem.location.line - 1] = f"{line[:at]}{key}: {value}\n"
        path.write_text("".join(lines), encoding="utf-8")
        changed += 1
    return changed
