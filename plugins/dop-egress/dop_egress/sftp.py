"""The ``sftp`` destination: a file on an SFTP server, through an Airflow connection (SFTPHook).

The file is uploaded under a hidden temporary name in the destination folder
(``.<name>.dop-tmp-<task>-<random>``), its size checked, then renamed into place with OpenSSH's
``posix-rename`` (atomic, replaces an existing file). On a server without that extension, an
existing file is removed before a plain rename (said in the log: not atomic). A failed upload or
rename removes the temporary file, so the final name holds the old file or the whole new one; what a
killed run left behind (its ``<task>`` token names the task) is removed by the task's next run.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import pathlib
import posixpath
from typing import Any

from dop_core import DopError, ExportRequest, ExportResult, beside, publish_export

log = logging.getLogger(__name__)


def export(request: ExportRequest) -> ExportResult:
    with SftpPublisher(request.options) as publisher:
        return publish_export(request, publisher)


class SftpPublisher:
    """Publishes to an SFTP server; connects on first use, closes on exit."""

    def __init__(self, options: Any):
        self.options = options
        self.hook: Any = None
        self.sftp: Any = None
        self._ssh: Any = None

    def __enter__(self) -> SftpPublisher:
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            if self.sftp is not None:
                self.sftp.close()
        with contextlib.suppress(Exception):
            if self._ssh is not None:
                self._ssh.close()
        self.sftp = self._ssh = None

    @property
    def server(self) -> str:
        hook = self.hook
        if hook is None:
            return f"connection {self.options.conn_id!r}"
        return f"{hook.username}@{hook.remote_host}:{hook.port}"

    def _client(self) -> Any:
        if self.sftp is not None:
            return self.sftp
        from airflow.providers.sftp.hooks.sftp import SFTPHook

        try:
            self.hook = SFTPHook(
                ssh_conn_id=self.options.conn_id, conn_retry_attempts=self.options.connect_attempts
            )
        except Exception as exc:
            raise DopError(
                f"cannot use the Airflow connection {self.options.conn_id!r} for SFTP: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        try:
            from airflow.providers.ssh.hooks.ssh import SSHHook

            # SSHHook's get_conn (not SFTPHook's), to keep the SSH client and close it when done
            self._ssh = SSHHook.get_conn(self.hook)
            self.sftp = self._ssh.open_sftp()
        except Exception as exc:
            raise DopError(
                f"cannot connect to the SFTP server {self.hook.remote_host}:{self.hook.port} "
                f"(Airflow connection {self.options.conn_id!r}, {self.options.connect_attempts} "
                f"attempt(s)): {type(exc).__name__}: {exc}"
            ) from exc
        return self.sftp

    def where(self, path: str) -> str:
        self._client()
        shown = path if path.startswith("/") else f"~/{path}"
        return f"sftp://{self.server}{'' if shown.startswith('/') else '/'}{shown}"

    def exists(self, path: str) -> bool:
        try:
            self._client().stat(path)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                return False
            raise
        return True

    def scratch_dir(self, path: str) -> None:
        return None

    def _makedirs(self, folder: str) -> None:
        sftp = self._client()
        missing = []
        while folder and folder not in ("/", "."):
            try:
                sftp.stat(folder)
                break
            except OSError as exc:
                if exc.errno != errno.ENOENT:
                    raise
                missing.append(folder)
                folder = posixpath.dirname(folder)
        for part in reversed(missing):
            with contextlib.suppress(OSError):  # created by a concurrent task: checked by the upload
                sftp.mkdir(part)

    def publish(self, local: pathlib.Path, path: str) -> None:
        sftp = self._client()
        folder = posixpath.dirname(path)
        if folder and self.options.create_directories:
            self._makedirs(folder)
        staged = beside(path, local.name)
        try:
            sftp.put(str(local), staged, confirm=True)  # confirm: the remote size must match
            try:
                sftp.posix_rename(staged, path)
            except OSError as exc:
                if exc.errno is not None or "unsupported" not in str(exc).lower():
                    raise
                log.warning(
                    "the SFTP server %s has no posix-rename: replacing %s is not atomic", self.server, path
                )
                with contextlib.suppress(OSError):
                    sftp.remove(path)
                sftp.rename(staged, path)
        except BaseException as exc:
            with contextlib.suppress(Exception):
                sftp.remove(staged)
            if isinstance(exc, OSError):
                raise DopError(
                    f"uploading {path} to the SFTP server {self.server} failed, nothing was published "
                    f"(the temporary file {staged} was removed): {type(exc).__name__}: {exc}"
                ) from exc
            raise

    def remove(self, path: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._client().remove(path)

    def remove_stale(self, path: str, prefix: str) -> list[str]:
        sftp = self._client()
        folder = posixpath.dirname(path)
        try:
            names = sftp.listdir(folder or ".")
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                return []
            raise
        removed = []
        for name in names:
            if name.startswith(prefix):
                stale = beside(path, name)
                with contextlib.suppress(FileNotFoundError):
                    sftp.remove(stale)
                    removed.append(stale)
        return removed
