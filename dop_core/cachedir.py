"""DOP's folder in the user's cache (``$XDG_CACHE_HOME/dop``, else ``~/.cache/dop``) and how files are
written there: atomically, and never failing what asked (a read-only home only means no cache)."""

from __future__ import annotations

import contextlib
import logging
import os
import pathlib
import tempfile

from dop_core.private import private_dir

log = logging.getLogger(__name__)


def user_cache_dir() -> pathlib.Path:
    return pathlib.Path(os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache") / "dop"


def project_cache_dir(root: pathlib.Path) -> pathlib.Path:
    """The cache folder of the project at ``root`` (its parsed DAGs, its lineage): ``$DOP_PARSE_CACHE_DIR``,
    else a folder per project in the user's cache."""
    import hashlib

    if os.environ.get("DOP_PARSE_CACHE_DIR"):
        return pathlib.Path(os.environ["DOP_PARSE_CACHE_DIR"])
    return user_cache_dir() / "parse" / hashlib.sha256(str(root).encode()).hexdigest()[:16]


def enabled() -> bool:
    """False when ``DOP_PARSE_CACHE`` is 0/false/no/off: no parse cache, no cached entry points."""
    return os.environ.get("DOP_PARSE_CACHE", "1").lower() not in ("0", "false", "no", "off")


def write_atomically(path: pathlib.Path, content: bytes) -> bool:
    """Write through a temporary file and a rename, readable by the user only (0600, in 0700 folders);
    False where the folder cannot be written."""
    try:
        base = user_cache_dir()
        private_dir(path.parent, under=base.parent if path.is_relative_to(base) else None)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        log.debug("DOP cache: cannot write %s: %s", path, exc)
        return False
    return True
