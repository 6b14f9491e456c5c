"""The installed entry points of group ``dop``, kept in DOP's cache between parses."""

from __future__ import annotations

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

    from dop_core.util.cachedir import installed_cache, read_keyed, write_keyed

    path, key = installed_cache("entry-points")
    rows, known = read_keyed(path, key)
    if isinstance(rows, list) and all(
            isinstance(row, list) and len(row) == 4 and isinstance(row[0], str) and isinstance(row[1], str)
            and all(isinstance(v, str | None) for v in row[2:]) for row in rows):
        return [(row[0], row[1], row[2], row[3]) for row in rows]
    found = [(ep.name, ep.value, *_dist_of(ep)) for ep in entry_points(group=ENTRY_POINT_GROUP)]
    write_keyed(path, key, found, known)
    return found
