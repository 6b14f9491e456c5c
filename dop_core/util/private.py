"""Files holding state or credentials are the user's alone: folders 0700, files 0600.

DOP's local state (``<project>/.dop``: the DuckDB warehouse, the Airflow home and database, run and
task logs) and its cache (``~/.cache/dop``) are created through these helpers; a folder made by an
older version with looser permissions is tightened the next time DOP uses it.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import stat
from typing import IO, Any

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def _tighten(path: pathlib.Path, mode: int) -> None:
    """Drop group and other permissions from ``path`` if it is ours (never follows a link)."""
    with contextlib.suppress(OSError):
        st = os.lstat(path)
        if st.st_uid == os.getuid() and not stat.S_ISLNK(st.st_mode) and stat.S_IMODE(st.st_mode) & 0o077:
            os.chmod(path, stat.S_IMODE(st.st_mode) & mode)


def private_dir(path: str | os.PathLike[str], under: str | os.PathLike[str] | None = None) -> pathlib.Path:
    """Create ``path`` (and missing parents) as folders only the user can enter; return it.

    Every folder between ``under`` (exclusive) and ``path`` is made or tightened to 0700; without
    ``under``, only the missing ones and ``path`` itself.
    """
    path = pathlib.Path(path)
    base = pathlib.Path(under) if under is not None else path
    for level in reversed([path, *path.parents]):
        if level.is_dir():
            if level == path or (level != base and level.is_relative_to(base)):
                _tighten(level, PRIVATE_DIR)
            continue
        with contextlib.suppress(FileExistsError):  # made by another process meanwhile
            os.mkdir(level, PRIVATE_DIR)
    return path


def private_file(path: str | os.PathLike[str]) -> None:
    """Make an existing file (one another program created: DuckDB's, Airflow's) readable by the user only."""
    _tighten(pathlib.Path(path), PRIVATE_FILE)


def open_private(path: str | os.PathLike[str], mode: str = "w", **kwargs: Any) -> IO[Any]:
    """``open(path, mode)`` for writing (``+``: and reading), the file created 0600 (an existing one is tightened)."""
    flags = (os.O_RDWR if "+" in mode else os.O_WRONLY) | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    fd = os.open(path, flags, PRIVATE_FILE)
    try:
        _tighten(pathlib.Path(path), PRIVATE_FILE)
        return os.fdopen(fd, mode, **kwargs)
    except BaseException:
        os.close(fd)
        raise
