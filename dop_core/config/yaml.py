"""Safe YAML: plain data only, with the line and column of every key and value.

No tag constructs a Python object; aliases, depth and size are bounded so that a hostile file is
refused quickly. Loading returns plain dicts/lists/scalars plus a map from each value's path
(``("tasks", 0, "kind")``) to where it is written.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from dop_core.errors import ConfigError, Location, Problem

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


def _err(path: str, mark: Any, message: str, expected: str | None = None, fix: str | None = None) -> ConfigError:
    line = mark.line + 1 if mark is not None else 1
    col = mark.column + 1 if mark is not None else 1
    return ConfigError([Problem(Location(path, line, col), message, expected, fix)])


def load_yaml(text: str, path: str) -> Document:
    """Parse ``text`` (the content of ``path``) into a :class:`Document`, or raise ConfigError."""
    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise ConfigError(
            [Problem(Location(path), f"file is larger than {MAX_BYTES // 1024 // 1024} MiB",
                     "a configuration file of reasonable size", "split the DAG or move data out of YAML")]
        )
    yaml = YAML(typ="safe", pure=True)
    try:
        node = yaml.compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        started = ""
        if exc.context_mark is not None and exc.problem_mark is not None and \
                exc.context_mark.line != exc.problem_mark.line:
            started = f" ({exc.context} started at line {exc.context_mark.line + 1}, column " \
                      f"{exc.context_mark.column + 1})"
        raise _err(path, mark, f"invalid YAML: {exc.problem or exc.context}{started}",
                   "well-formed YAML", "check indentation, quotes and colons around this place") from None
    except RecursionError:
        raise _err(path, None, f"YAML is nested too deeply (more than {MAX_DEPTH} levels)",
                   f"at most {MAX_DEPTH} levels", "flatten the document") from None
    except YAMLError as exc:
        raise _err(path, None, f"invalid YAML: {exc}") from None
    doc = Document(path=path, data=None, values={}, keys={})
    if node is None:
        return attrs.evolve(doc, data={})
    builder = _Builder(path, doc, yaml.constructor)
    data = builder.build(node, (), 0)
    return attrs.evolve(doc, data=data)


class _Builder:
    def __init__(self, path: str, doc: Document, scalars: Any):
        self.path = path
        self.doc = doc
        self.count = 0
        self.scalars = scalars

    def build(self, node: Node, path: Path, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _err(self.path, node.start_mark,
                       f"document expands to more than {MAX_NODES} values (an alias bomb?)",
                       "a configuration of reasonable size", "remove repeated YAML aliases (*name)")
        if depth > MAX_DEPTH:
            raise _err(self.path, node.start_mark, f"YAML is nested too deeply (more than {MAX_DEPTH} levels)",
                       f"at most {MAX_DEPTH} levels", "flatten the document")
        plain_scalar = isinstance(node, ScalarNode) and node.tag is None
        if node.tag not in _STANDARD_TAGS and not plain_scalar:
            raise _err(self.path, node.start_mark, f"YAML tag {_short(node.tag)!r} is not allowed: DOP never "
                       "constructs Python objects from YAML", "plain YAML values", _SAFE_SPELLING)
        self.doc.values.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, SequenceNode):
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        return self._scalar(node)

    def _mapping(self, node: MappingNode, path: Path, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
                for src in sources:
                    if not isinstance(src, MappingNode):
                        raise _err(self.path, src.start_mark, "a merge key (<<) must point at a mapping")
                    for k, v in self._mapping(src, path, depth + 1).items():
                        merged.setdefault(k, v)
                continue
            if not isinstance(key_node, ScalarNode):
                raise _err(self.path, key_node.start_mark, "mapping keys must be plain strings",
                           "a key such as `name:`")
            key = self._scalar(key_node)
            if isinstance(key, bool) or key is None:
                key = key_node.value  # `on:`/`yes:`/`null:` as keys mean their text
            key = str(key)
            if key in result:
                raise _err(self.path, key_node.start_mark, f"duplicate key {key!r}",
                           "each key once per mapping", "remove or rename one of them")
            self.doc.keys[(*path, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = self.build(value_node, (*path, key), depth + 1)
        for k, v in merged.items():
            result.setdefault(k, v)
        return result

    def _scalar(self, node: ScalarNode) -> Any:
        tag = node.tag
        if tag == "tag:yaml.org,2002:str" or tag is None:
            return node.value
        try:
            if tag == "tag:yaml.org,2002:int":
                return self.scalars.construct_yaml_int(node)
            if tag == "tag:yaml.org,2002:float":
                return self.scalars.construct_yaml_float(node)
            if tag == "tag:yaml.org,2002:bool":
                return self.scalars.construct_yaml_bool(node)
            if tag == "tag:yaml.org,2002:null":
                return None
            if tag == "tag:yaml.org,2002:timestamp":
                value = self.scalars.construct_yaml_timestamp(node)
                return value if isinstance(value, dt.date) else node.value
        except (ValueError, YAMLError):
            raise _err(self.path, node.start_mark, f"cannot read {node.value!r} as {tag.rsplit(':', 1)[-1]}") from None
        return node.value


def _short(tag: str | None) -> str:
    return str(tag).replace("tag:yaml.org,2002:", "!!")
