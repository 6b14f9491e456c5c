"""The installed entry points of group ``dop``, kept in DOP's cache between parses."""

from __future__ import annotations

import json
import os
import pathlib
from typing import Any

ENTRY_POINT_GROUP = "dop"


def _dist_of(ep: Any) -> tuple[str | None, str | None]:
    dist = getattr(ep, "dist", None)
    return (dist.name, dist.version) if dist is not None else (None, None)


EntryPointRow = tuple[str, str, str | None, str | None]  # name, value ("module:attr"), distribution, version


def dop_entry_points() -> list[EntryPointRow]:
    """The installed entry points of group ``dop``.

    Finding them reads the metadata of every installed distribution (~300 files beside Airflow, ~10 ms),
    at every parse, in every parsing process. So the list is kept in DOP's cache (one file per Python
    executable, for a few ``sys.path`` at a time) under a key made of the ``sys.path`` folders and their
    modification times: installing, upgrading or removing a distribution adds or removes a
    ``*.dist-info`` folder in one of them, which changes that folder's time. ``DOP_PARSE_CACHE=0`` turns
    this cache off with the parse cache.
    """
    from importlib.metadata import entry_points

    path, key = _entry_points_cache()
    known: dict[str, Any] = {}
    if path is not None:
        try:
            known = dict(json.loads(path.read_text(encoding="utf-8")))
            rows = known.get(key)
            if isinstance(rows, list) and all(
                    isinstance(row, list) and len(row) == 4 and isinstance(row[0], str) and isinstance(row[1], str)
                    and all(isinstance(v, str | None) for v in row[2:]) for row in rows):
                return [(row[0], row[1], row[2], row[3]) for row in rows]
        except (OSError, ValueError, TypeError):
            known = {}
    found = [(ep.name, ep.value, *_dist_of(ep)) for ep in entry_points(group=ENTRY_POINT_GROUP)]
    if path is not None:  # a few keys: the dop command and Airflow's processes see different sys.path
        known.pop(key, None)
        kept = dict(list(known.items())[-7:])
        from dop_core.cachedir import write_atomically

        write_atomically(path, json.dumps({**kept, key: found}).encode())
    return found


def _entry_points_cache() -> tuple[pathlib.Path | None, str]:
    import hashlib
    import sys

    from dop_core.cachedir import enabled, user_cache_dir

    if not enabled():
        return None, ""
    h = hashlib.sha256(f"{sys.version}\0{sys.executable}\0".encode())
    for entry in sys.path:
        try:
            h.update(f"{entry}\0{os.stat(entry or '.').st_mtime_ns}\n".encode())
        except OSError:
            h.update(f"{entry}\0-\n".encode())
    name = hashlib.sha256(sys.executable.encode()).hexdigest()[:16]
    return user_cache_dir() / "entry-points" / f"{name}.json", h.hexdigest()
