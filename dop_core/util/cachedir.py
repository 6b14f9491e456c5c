"""DOP's folder in the user's cache (``$XDG_CACHE_HOME/dop``, else ``~/.cache/dop``) and how files are
written there: atomically, and never failing what asked (a read-only home only means no cache)."""

from __future__ import annotations

import contextlib
import logging
import os
import pathlib
import tempfile
from typing import Any

from dop_core.util.private import private_dir

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


#: the folders this process has made private (0700) already
_PRIVATE: set[pathlib.Path] = set()


def _temp_beside(path: pathlib.Path) -> tuple[int, str]:
    """A new temporary file in ``path``'s folder, the folder made (or tightened to) 0700 first: once per
    process, as a cold parse writes an entry per DAG, and again if it was removed since."""
    try:
        return _private_temp(path)
    except FileNotFoundError:
        _PRIVATE.discard(path.parent)
        return _private_temp(path)


def _private_temp(path: pathlib.Path) -> tuple[int, str]:
    if path.parent not in _PRIVATE:
        base = user_cache_dir()
        private_dir(path.parent, under=base.parent if path.is_relative_to(base) else None)
        _PRIVATE.add(path.parent)
    return tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")


def write_atomically(path: pathlib.Path, content: bytes) -> bool:
    """Write through a temporary file and a rename, readable by the user only (0600, in 0700 folders);
    False where the folder cannot be written."""
    try:
        fd, tmp = _temp_beside(path)
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


def installed_cache(kind: str) -> tuple[pathlib.Path | None, str]:
    """The cache file of ``kind`` for this Python executable, and the key of what is installed for it: the
    ``sys.path`` folders and what is installed in each (installing, upgrading or removing a distribution adds
    or removes a ``*.dist-info`` folder in one of them). ``(None, "")`` when DOP's caches are off
    (:func:`enabled`)."""
    import hashlib
    import sys

    if not enabled():
        return None, ""
    name = hashlib.sha256(sys.executable.encode()).hexdigest()[:16]
    return user_cache_dir() / kind / f"{name}.json", installed_key()


def installed_key() -> str:
    """A key of what is installed for this Python: its version and executable, the ``sys.path`` folders and
    what is installed in each (installing, upgrading or removing a distribution adds or removes a
    ``*.dist-info`` folder in one of them)."""
    import hashlib
    import sys

    h = hashlib.sha256(f"{sys.version}\0{sys.executable}\0".encode())
    for entry in sys.path:
        h.update(f"{entry}\0{_installed_in(entry or '.')}\n".encode())
    return h.hexdigest()


def _installed_in(folder: str) -> str:
    """What says what is installed in the ``sys.path`` folder ``folder``: a site-packages folder's time (a
    ``*.dist-info`` added or removed changes it); in another folder (the working folder, the checkout of an
    editable install) its ``*.dist-info`` folders and their times, if any: a file made or removed beside a
    checkout's code installs nothing. The standard library's folders change with Python's version only (in
    the key already), so they are not listed: this runs in every parsing process."""
    import sys

    try:
        if folder.endswith(("site-packages", "dist-packages")):
            return str(os.stat(folder).st_mtime_ns)
        if os.path.abspath(folder).startswith(os.path.join(sys.base_prefix, "lib", "")):
            return "stdlib"
        with os.scandir(folder) as found:
            return ",".join(sorted(f"{e.name}:{e.stat().st_mtime_ns}" for e in found
                                   if e.name.endswith((".dist-info", ".egg-info"))))
    except OSError:
        return "-"


def read_keyed(path: pathlib.Path | None, key: str) -> tuple[Any, dict[str, Any]]:
    """The value stored under ``key`` in the JSON cache file ``path`` (None when absent or unreadable), and
    everything the file holds (for :func:`write_keyed`)."""
    import json

    if path is None:
        return None, {}
    try:
        known = dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None, {}
    return known.get(key), known


def write_keyed(path: pathlib.Path | None, key: str, value: Any, known: dict[str, Any]) -> None:
    """Store ``value`` under ``key`` in the JSON cache file ``path``, keeping the last few other keys of
    ``known`` (the dop command and Airflow's processes see different ``sys.path``)."""
    import json

    if path is None:
        return
    kept = {k: v for k, v in known.items() if k != key}
    write_atomically(path, json.dumps({**dict(list(kept.items())[-7:]), key: value}).encode())
