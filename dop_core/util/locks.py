"""An exclusive lock file that waits (and says so, naming the holder) while another process holds it."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import pathlib
import time
from collections.abc import Callable, Iterator

from dop_core.errors import DopError
from dop_core.util.private import open_private, private_dir

log = logging.getLogger(__name__)


class LockTimeout(DopError):
    """Another process held the lock for longer than we were willing to wait."""


@contextlib.contextmanager
def file_lock(path: str | os.PathLike[str], timeout: float | None, waiting: str, busy: str,
              say: Callable[[str], None] | None = None) -> Iterator[int]:
    """Hold an exclusive ``flock`` on ``path`` for the ``with`` block; yield the lock file's descriptor.

    The holder writes its PID into the file. While another process holds it, tell ``say`` (default:
    this module's logger) ``waiting`` once, with the holder's PID, and poll; after ``timeout`` seconds
    (None: no limit) raise :class:`LockTimeout` with ``busy``. The lock dies with the last process
    holding the descriptor (a child given it with ``pass_fds`` keeps it), so a killed holder never
    leaves it stuck.
    """
    lock_path = pathlib.Path(path)
    private_dir(lock_path.parent)  # lock files lie among the user's state
    with open_private(lock_path, "a+", encoding="utf-8") as handle:  # lies among the user's state
        deadline = None if timeout is None else time.monotonic() + timeout
        told = False
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if deadline is not None and time.monotonic() > deadline:
                    raise LockTimeout(busy) from None
                if not told:
                    handle.seek(0)
                    holder = handle.read().strip()
                    message = f"{waiting} (PID {holder})" if holder.isdigit() else waiting
                    (say or log.info)(message)
                    told = True
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield handle.fileno()
        finally:
            handle.truncate(0)
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def is_held(path: str | os.PathLike[str]) -> bool:
    """Whether a process holds the lock file ``path`` (see :func:`file_lock`)."""
    lock_path = pathlib.Path(path)
    if not lock_path.exists():
        return False
    with open(lock_path, "a", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return False
