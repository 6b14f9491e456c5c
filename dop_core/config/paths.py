"""Every path a project's configuration names stays inside the project, or inside a data folder it declares.

SQL files, seeds, the orchestration folder, the DuckDB warehouse, local egress files and plugins'
files (dbt projects, Spark scripts) are resolved by :func:`resolve_project_path`: relative paths
against their base folder, every symbolic link followed, and the real location must lie inside the
project folder or one of the folders listed under ``data_paths:`` in ``dop_project.yml``. A path
that climbs out (``../../etc/passwd``) or a link pointing out (``sql/x.sql -> /etc/passwd``) is
refused before anything is read, with an error that names the path but never shows the file.

Light: standard library only (DAG parsing calls it for every SQL file).
"""

from __future__ import annotations

import os
import pathlib
import stat
from collections.abc import Iterable
from typing import Protocol

from dop_core.errors import DopError

DATA_PATHS_FIX = "declare its folder in dop_project.yml (data_paths: [<folder>])"


class _HasRoot(Protocol):
    @property
    def root(self) -> pathlib.Path | None: ...

    @property
    def data_paths(self) -> tuple[pathlib.Path, ...]: ...


class OutsideProject(DopError):
    """A configured path whose real location is outside the project and its declared data folders."""

    def __init__(self, message: str, fix: str):
        super().__init__(f"{message}; {fix}", fix=fix)
        self.message = message


def allowed_folders(root: pathlib.Path, data_paths: Iterable[pathlib.Path] = ()) -> list[pathlib.Path]:
    """The real locations (links followed) paths may resolve into: the project folder, then the data folders."""
    return [pathlib.Path(os.path.realpath(p)) for p in (root, *data_paths)]


def _under(path: str, folder: str) -> bool:
    """Whether the normalised ``path`` is ``folder`` or inside it (plain strings: this runs for every SQL file
    at every parse, and pathlib's parsing was most of its cost)."""
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _plain_below(folder: str, path: str) -> bool:
    """Whether ``path`` (inside ``folder``) has no symbolic link between ``folder`` and its end: a few
    ``lstat`` calls instead of ``realpath``'s one per component from ``/``."""
    current = folder
    for part in path[len(folder):].strip("/").split("/"):
        if not part:
            continue
        current = f"{current}/{part}"
        try:
            if stat.S_ISLNK(os.lstat(current).st_mode):
                return False
        except FileNotFoundError:  # what does not exist is no link
            return True
    return True


def resolve_project_path(owner: _HasRoot, path: str | os.PathLike[str], base: pathlib.Path | None = None,
                         what: str = "path") -> pathlib.Path:
    """``path`` as the file to open (relative paths against ``base``, default the project folder):
    normalised, and with its links followed if it goes through any.

    ``owner`` is the :class:`~dop_core.config.models.Project` (or a :class:`~dop_core.config.models.Target`,
    which carries the project folder and its data folders). Raises :class:`OutsideProject` when the
    path, with every symbolic link followed, is not inside the project folder or a folder of its
    ``data_paths``; ``what`` names the path in that message (``"seed file"``, ``"SQL file"``...).
    The file itself is neither opened nor required to exist. A target built by hand without a project
    folder (``root=None``, as in API use) confines nothing: relative paths resolve against the working
    folder. Every target :func:`~dop_core.config.project.load_project` reads carries its project's folder.
    """
    given = os.fspath(path)
    root = owner.root
    if root is None:
        return pathlib.Path(os.path.realpath(os.path.join(os.fspath(base or pathlib.Path.cwd()), given)))
    lexical = os.path.normpath(os.path.join(os.fspath(base or root), given))  # an absolute given wins the join
    folders = [os.path.normpath(os.fspath(f)) for f in (root, *owner.data_paths)]
    if any(_under(lexical, folder) and _plain_below(folder, lexical) for folder in folders):
        return pathlib.Path(lexical)
    real = os.path.realpath(lexical)
    if any(_under(real, os.fspath(folder)) for folder in allowed_folders(root, owner.data_paths)):
        return pathlib.Path(real)
    if any(_under(lexical, folder) for folder in folders):
        raise OutsideProject(f"{what} {given} is a symbolic link to {real}, outside the project folder {root}",
                             "replace the link with the file itself, or " + DATA_PATHS_FIX)
    raise OutsideProject(f"{what} {given} resolves to {real}, outside the project folder {root}",
                         "keep it inside the project, or " + DATA_PATHS_FIX)


__all__ = ["OutsideProject", "allowed_folders", "resolve_project_path"]
