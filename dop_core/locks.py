"""An exclusive lock file that waits (and says so) while another process holds it."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import pathlib
import time
from collections.abc import Iterator

from dop_core.errors import DopError
from dop_core.private import open_private

log = logging.getLogger(__name__)


class LockTimeout(DopError):
    """Another process held the lock for longer than we were willing to wait."""


@contextlib.contextmanager
def file_lock(path: str | os.PathLike[str], timeout: float, waiting: str, busy: str) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` for the ``with`` block.

    While another process holds it, log ``waiting`` once and poll; after ``timeout`` seconds raise
    :class:`LockTimeout` with ``busy``. The lock dies with the process, so a killed holder never
    leaves it stuck.
    """
    lock_path = pathlib.Path(path)
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open_private(lock_path, "a") as handle:  # holds nothing, but lies among the user's state
        deadline = time.monotonic() + timeout
        told = False
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LockTimeout(busy) from None
                if not told:
                    log.info("%s", waiting)
                    told = True
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
