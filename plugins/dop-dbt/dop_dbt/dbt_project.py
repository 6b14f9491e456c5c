"""Find a dbt project of the service project and read what DOP needs from its ``dbt_project.yml``.

Light: reads YAML with ruamel (a dop-core dependency), never imports dbt.
"""

from __future__ import annotations

import pathlib
import re
from typing import Any

import attrs

from dop_core import DopError

DBT_FOLDER = "dbt"
PROJECT_FILE = "dbt_project.yml"


@attrs.frozen
class DbtProject:
    """A dbt project folder and the keys of its ``dbt_project.yml`` DOP uses."""

    path: pathlib.Path
    name: str
    profile: str
    target_path: str = "target"

    @property
    def slug(self) -> str:
        """A name safe in Airflow pool names and folder names."""
        return re.sub(r"[^A-Za-z0-9_]+", "_", self.name).strip("_") or "dbt"

    @property
    def dataset(self) -> str:
        """The schema (BigQuery dataset) the original DOP wrote the project's models to: its folder's name."""
        return re.sub(r"[^A-Za-z0-9_]+", "_", self.path.name).strip("_") or "dbt"

    @property
    def target_dir(self) -> pathlib.Path:
        return self.path / self.target_path


class DbtProjectError(DopError, ValueError):
    """The dbt project named by a task cannot be found or read: ``message`` says why, ``fix`` what exists or
    what to do."""


def available(root: pathlib.Path) -> list[str]:
    folder = root / DBT_FOLDER
    if not folder.is_dir():
        return []
    return sorted(p.parent.name for p in folder.glob(f"*/{PROJECT_FILE}"))


def locate(project: Any, name: str) -> pathlib.Path:
    """The folder of dbt project ``name``: ``<root>/dbt/<name>``, or a path relative to the project folder
    ``root``; inside the project (or one of its data folders), symbolic links followed."""
    from dop_core import OutsideProject, resolve_project_path

    root = project.root
    candidates = [root / DBT_FOLDER / name, root / name]
    for folder in candidates:
        if (folder / PROJECT_FILE).is_file():
            try:
                return resolve_project_path(project, folder, what="dbt project")
            except OutsideProject as exc:
                raise DbtProjectError(exc.message, fix=exc.fix) from None
    found = available(root)
    listing = ", ".join(found) if found else f"none (no {DBT_FOLDER}/*/{PROJECT_FILE})"
    raise DbtProjectError(f"no dbt project {name!r}: neither {DBT_FOLDER}/{name}/{PROJECT_FILE} nor "
                          f"{name}/{PROJECT_FILE} exists in {root}", fix=f"dbt projects found: {listing}")


_CACHE: dict[pathlib.Path, tuple[float, DbtProject]] = {}


def load(project: Any, name: str) -> DbtProject:
    """The dbt project ``name`` of the DOP ``project`` (cached by file modification time: parse time reads it
    often)."""
    folder = locate(project, name)
    path = folder / PROJECT_FILE
    mtime = path.stat().st_mtime
    cached = _CACHE.get(path)
    if cached and cached[0] == mtime:
        return cached[1]
    from ruamel.yaml import YAML, YAMLError

    try:
        data: Any = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    except YAMLError as exc:
        raise DbtProjectError(f"{path} is not valid YAML: {exc}", fix="fix the YAML syntax") from None
    if not isinstance(data, dict) or not data.get("name"):
        raise DbtProjectError(f"{path} has no `name:`", fix="a dbt_project.yml needs name: and profile:")
    profile = data.get("profile") or data["name"]
    target_path = str(data.get("target-path") or "target")
    project = DbtProject(path=folder, name=str(data["name"]), profile=str(profile), target_path=target_path)
    _CACHE[path] = (mtime, project)
    return project
