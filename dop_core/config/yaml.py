"""Safe YAML: plain data only, with the line and column of every key and value.

No tag constructs a Python object; aliases, depth and size are bounded so that a hostile file is
refused quickly. Loading returns plain dicts/lists/scalars plus a map from each value's path
(``("tasks", 0, "kind")``) to where it is written.
"""

from __future__ import annotations

from typing import Any

import attrs

from dop_core.errors import Location

MAX_BYTES = 2 * 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 64

Path = tuple[str | int, ...]

_STANDARD_TAGS = {
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq", "merge", "binary")
}
_SAFE_SPELLING = (
    "write plain YAML: durations as '5m', '1h30m' or {minutes: 5}; dates as 2024-01-31; "
    "an Airflow object through a task option DOP understands"
)


@attrs.frozen
class Document:
    """A loaded YAML file: its data, and where each value (and each mapping key) was written."""

    path: str
    data: Any
    values: dict[Path, tuple[int, int]]
    keys: dict[Path, tuple[int, int]]

    def at(self, path: Path, key: bool = False) -> Location:
        """The location of the value at ``path`` (of its key, with ``key=True``), or of the nearest parent."""
        table = self.keys if key else self.values
        p = tuple(path)
        while p:
            if p in table:
                line, col = table[p]
                return Location(self.path, line, col)
            if not key and p in self.keys:
                line, col = self.keys[p]
                return Location(self.path, line, col)
            p = p[:-1]
        line, col = self.values.get((), (0, 0))
        return Location(self.path, line + 1 if not self.values else line, col or 1)


def load_yaml(text: str, path: str) -> Document:
    """Parse ``text`` (the content of ``path``) into a :class:`Document`, or raise ConfigError."""
    from dop_core.config._ruamel import parse

    return parse(text, path)
