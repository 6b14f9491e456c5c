"""The ``file`` destination: a local path, or any fsspec URL (memory://, s3://, az://, ...).

Local: the path stays inside the project or a folder of its ``data_paths`` (``dop_core.resolve_project_path``);
the file is written in the destination folder under a hidden temporary name
(``.<name>.dop-tmp-<task>-<random>``), flushed to disk and renamed into place (``os.replace``, atomic on one
filesystem). Other URLs: uploaded to a temporary key beside the final one, then moved into place (a rename,
or copy + delete on object stores, where each object appears whole). A failure removes the temporary file;
one a killed run left behind is removed by the next run of the same task (its ``<task>`` token).
"""

from __future__ import annotations

import contextlib
import os
import pathlib
from typing import Any

import attrs

from dop_core import ExportRequest, ExportResult, beside, publish_export


def is_url(path: str) -> bool:
    return "://" in path and not path.startswith("file://")


def export(request: ExportRequest) -> ExportResult:
    if is_url(request.path):
        return publish_export(request, FsspecPublisher(request.options.storage_options))
    local = request.local_path()
    return publish_export(attrs.evolve(request, path=str(local)), LocalPublisher())


class LocalPublisher:
    """Publishes into a local folder: write beside the final name, fsync, ``os.replace``."""

    def where(self, path: str) -> str:
        return path

    def exists(self, path: str) -> bool:
        return os.path.lexists(path)

    def scratch_dir(self, path: str) -> pathlib.Path:
        return pathlib.Path(path).parent

    def remove_stale(self, path: str, prefix: str) -> list[str]:
        folder = pathlib.Path(path).parent
        removed = []
        with contextlib.suppress(FileNotFoundError):
            for entry in os.scandir(folder):
                if entry.name.startswith(prefix) and not entry.is_dir(follow_symlinks=False):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(entry.path)
                        removed.append(entry.path)
        return removed

    def publish(self, local: pathlib.Path, path: str) -> None:
        final = pathlib.Path(path)
        staged = local
        if local.parent != final.parent:  # another filesystem maybe: copy beside the final name first
            import shutil

            staged = final.with_name(local.name)
            shutil.copyfile(local, staged)
        try:
            with open(staged, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(staged, final)
        except BaseException:
            with contextlib.suppress(OSError):
                staged.unlink()
            raise
        with contextlib.suppress(OSError):  # make the rename itself durable
            fd = os.open(final.parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def remove(self, path: str) -> None:
        pathlib.Path(path).unlink(missing_ok=True)


class FsspecPublisher:
    """Publishes to an fsspec URL: put to a temporary key in the same folder, then move into place."""

    def __init__(self, storage_options: dict[str, Any]):
        self.storage_options = storage_options

    def _fs(self, url: str) -> tuple[Any, str]:
        from fsspec.core import url_to_fs

        return url_to_fs(url, **self.storage_options)

    def where(self, path: str) -> str:
        return path

    def exists(self, path: str) -> bool:
        fs, fs_path = self._fs(path)
        return bool(fs.exists(fs_path))

    def scratch_dir(self, path: str) -> None:
        return None

    def remove_stale(self, path: str, prefix: str) -> list[str]:
        fs, fs_path = self._fs(path)
        try:
            names = fs.ls(fs._parent(fs_path), detail=False)
        except (FileNotFoundError, NotADirectoryError):
            return []
        removed = []
        for name in names:
            if str(name).rstrip("/").rpartition("/")[2].startswith(prefix):
                with contextlib.suppress(FileNotFoundError):
                    fs.rm(name, recursive=True)
                    removed.append(str(name))
        return removed

    def publish(self, local: pathlib.Path, path: str) -> None:
        fs, fs_path = self._fs(path)
        parent = fs._parent(fs_path)
        if parent:
            with contextlib.suppress(FileExistsError):
                fs.makedirs(parent, exist_ok=True)
        staged = beside(fs_path, local.name)
        try:
            fs.put_file(str(local), staged)
            fs.mv(staged, fs_path)
        except BaseException:
            with contextlib.suppress(Exception):
                if fs.exists(staged):
                    fs.rm(staged)
            raise

    def remove(self, path: str) -> None:
        fs, fs_path = self._fs(path)
        if fs.exists(fs_path):
            fs.rm(fs_path)
