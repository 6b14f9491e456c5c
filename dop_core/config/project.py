"""Reading a service project: find ``dop_project.yml``, load it and its targets, parse a DAG's ``config.yaml``.

Every mistake is a :class:`~dop_core.errors.ConfigError` naming the file, line and column; the models
the files are read into are in :mod:`dop_core.config.models`.
"""

from __future__ import annotations

import os
import pathlib

import attrs

from dop_core.config.models import DEFAULT_TARGETS, PROJECT_FILE, DagConfig, Project, ProjectFile, Target
from dop_core.config.structure import MISSING, Structurer
from dop_core.config.yaml import load_yaml
from dop_core.errors import ConfigError, DopError, Location, Problem


class ProjectNotFound(DopError):
    """No ``dop_project.yml`` where DOP looked: there is no file to point at, so the message says where it looked."""


def find_project_root(start: str | os.PathLike[str] | None = None) -> pathlib.Path:
    """The folder holding ``dop_project.yml``: ``start`` or its nearest parent (default: cwd / DOP_PROJECT_DIR)."""
    env = os.environ.get("DOP_PROJECT_DIR")
    given = start if start is not None else env
    here = pathlib.Path(given if given is not None else os.getcwd()).resolve()
    source = "" if start is not None or env is None else " (DOP_PROJECT_DIR)"
    if not here.exists():
        raise ProjectNotFound(f"the project folder {here}{source} does not exist",
                              fix="pass --project DIR with the folder holding dop_project.yml")
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        if (folder / PROJECT_FILE).is_file():
            return folder
    raise ProjectNotFound(f"no {PROJECT_FILE} in {here}{source} or any folder above it, so this is not a DOP project",
                          fix="run dop inside a project, pass --project DIR, or create one with `dop init PATH`")


def read_text(path: pathlib.Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError([Problem(Location(str(path)), f"not UTF-8 text ({exc.reason})", "a UTF-8 file")]) from None
    except OSError as exc:
        raise ConfigError([Problem(Location(str(path)), f"cannot read: {exc.strerror}")]) from None


def load_project(root: str | os.PathLike[str] | None = None) -> Project:
    """Read ``dop_project.yml``; raise ConfigError listing every problem."""
    folder = find_project_root(root)
    path = folder / PROJECT_FILE
    doc = load_yaml(read_text(path), str(path))
    problems: list[Problem] = []
    s = Structurer(doc, problems)
    pf = s.structure(doc.data, ProjectFile, ())
    if pf is MISSING:
        raise ConfigError(problems)
    data_paths = _data_paths(folder, pf.data_paths, s)
    raw_targets = pf.targets or DEFAULT_TARGETS
    targets: dict[str, Target] = {}
    for tname, body in raw_targets.items():
        if not isinstance(body, dict) or not isinstance(body.get("engine"), str):
            s.problem(("targets", tname), f"target {tname!r} has no engine", "{engine: duckdb|bigquery|..., ...}",
                      "add `engine: duckdb`")
            continue
        targets[tname] = Target(tname, body["engine"], {k: v for k, v in body.items() if k != "engine"},
                                root=folder, data_paths=data_paths)
    if pf.default_target not in targets and targets:
        s.problem(("default_target",), f"default_target {pf.default_target!r} is not a target",
                  "one of " + ", ".join(targets))
    if problems:
        raise ConfigError(problems)
    project = Project(root=folder, name=pf.name, dialect=pf.dialect, targets=targets,
                      default_target=pf.default_target if pf.default_target in targets else next(iter(targets)),
                      orchestration_dir=folder / pf.orchestration, document=doc,
                      plugins=dict(pf.plugins or {}), data_paths=data_paths,
                      deploy_include=tuple(pf.deploy.include))
    from dop_core.config.paths import OutsideProject, resolve_project_path

    try:
        resolve_project_path(project, pf.orchestration, what="orchestration folder")
    except OutsideProject as exc:
        raise ConfigError([Problem(doc.at(("orchestration",)), exc.message, "a folder inside the project",
                                   exc.fix)]) from None
    return project


def _data_paths(root: pathlib.Path, given: list[str], s: Structurer) -> tuple[pathlib.Path, ...]:
    """``data_paths:`` as absolute folders (relative ones against the project folder)."""
    folders = []
    for i, text in enumerate(given):
        path = pathlib.Path(os.path.normpath(root / text)) if text.strip() else None
        if path is None or path == pathlib.Path(path.anchor):
            s.problem(("data_paths", i), f"{text!r} is not a usable data folder: it would let the configuration "
                      "name any file", "a folder such as /srv/exports or ../shared/seeds",
                      "name the folder the project's files live in")
            continue
        folders.append(path)
    return tuple(folders)


def parse_dag_config(folder: pathlib.Path, problems: list[Problem]) -> DagConfig | None:
    """Structure ``folder/config.yaml`` (no plugin-level checks); problems are appended."""
    path = folder / "config.yaml"
    try:
        doc = load_yaml(read_text(path), str(path))
    except ConfigError as exc:
        problems.extend(exc.problems)
        return None
    if not isinstance(doc.data, dict):
        problems.append(Problem(doc.at(()), "a DAG config must be a mapping",
                                "keys such as tasks:, schedule_interval:"))
        return None
    config = Structurer(doc, problems).structure(doc.data, DagConfig, ())
    if config is MISSING:
        return None
    return attrs.evolve(config, _name=folder.name, _folder=folder, _document=doc)


def dag_folder(project: Project, name: str) -> pathlib.Path:
    """The folder of DAG ``name`` (a folder name or dag id); raises DagNotFound if it has no config.yaml."""
    folder = project.orchestration_dir / project.dag_name(name)
    if not (folder / "config.yaml").is_file():
        raise DagNotFound(project, name)
    return folder


class DagNotFound(DopError):
    """A command named a DAG the project does not have: it says where DOP looked and which DAGs there are
    (there is no file to point at)."""

    def __init__(self, project: Project, name: str):
        from dop_core.errors import did_you_mean

        names = [f.name for f in project.dag_folders()]
        looked = os.path.relpath(project.orchestration_dir / project.dag_name(name) / "config.yaml", project.root)
        if names:
            expected = "one of " + ", ".join(names)
            fix = did_you_mean(project.dag_name(name), names) or "name one of these DAGs (by folder or dag id)"
        else:
            orchestration = os.path.relpath(project.orchestration_dir, project.root)
            expected = f"a DAG folder {orchestration}/<name>/ with a config.yaml; the project has none yet"
            fix = "create one, or pass --project DIR to use another project"
        super().__init__(f"no DAG {name!r} in this project: there is no {looked} in {project.root}",
                         expected=expected, fix=fix)
