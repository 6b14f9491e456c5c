"""The ruamel.yaml side of :mod:`dop_core.config.yaml`: imported only when a file is actually parsed
(a warm parse cache never needs it).

Composing (text to nodes) is most of the cost of reading a config, and ruamel.yaml's composer is pure
Python: a 30-task config takes ~13 ms. So a document is first composed from the events of libyaml's C
parser (through PyYAML, which Airflow installs), tagged by ruamel.yaml's own YAML 1.2 resolver into
ruamel.yaml's node classes: the builder below sees the very nodes ruamel.yaml would make, ten times
sooner. Whatever that path does not take as it is (a libyaml error, a ``%YAML`` directive, more than
one document, an explicit document end, a tab, a block scalar, an undefined alias, no libyaml) is
composed by ruamel.yaml, which reports errors in its words; tests compare both paths on tricky and
generated documents.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import attrs
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from dop_core.config.yaml import _SAFE_SPELLING, _STANDARD_TAGS, MAX_BYTES, MAX_DEPTH, MAX_NODES, Document, Path
from dop_core.errors import ConfigError, Location, Problem


def _err(path: str, mark: Any, message: str, expected: str | None = None, fix: str | None = None) -> ConfigError:
    line = mark.line + 1 if mark is not None else 1
    col = mark.column + 1 if mark is not None else 1
    return ConfigError([Problem(Location(path, line, col), message, expected, fix)])


def parse(text: str, path: str) -> Document:
    """Parse ``text`` (the content of ``path``) into a :class:`Document`, or raise ConfigError."""
    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise ConfigError(
            [Problem(Location(path), f"file is larger than {MAX_BYTES // 1024 // 1024} MiB",
                     "a configuration file of reasonable size", "split the DAG or move data out of YAML")]
        )
    node = compose_with_libyaml(text)
    if node is NOT_COMPOSED:
        node = _compose(YAML(typ="safe", pure=True), text, path)
    doc = Document(path=path, data=None, values={}, keys={})
    if node is None:
        return attrs.evolve(doc, data={})
    builder = _Builder(path, doc, _scalars())
    data = builder.build(node, (), 0)
    return attrs.evolve(doc, data=data)


@functools.cache
def _scalars() -> Any:
    """ruamel.yaml's safe constructor, for its scalar methods only (they keep no state between calls)."""
    return YAML(typ="safe", pure=True).constructor


def _compose(yaml: YAML, text: str, path: str) -> Node | None:
    try:
        return yaml.compose(text)
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


NOT_COMPOSED = object()


def compose_with_libyaml(text: str) -> Any:
    """The document's root node (None for an empty one) composed from libyaml's events, as ruamel.yaml's
    composer would (same node classes and tags); NOT_COMPOSED when ruamel.yaml must do it."""
    try:
        import yaml as pyyaml
        from yaml import events
    except ImportError:
        return NOT_COMPOSED
    loader = getattr(pyyaml, "CSafeLoader", None)
    if loader is None:  # PyYAML built without libyaml: no faster than ruamel.yaml
        return NOT_COMPOSED
    if "\t" in text:  # libyaml takes tabs in places ruamel.yaml (YAML 1.2) refuses
        return NOT_COMPOSED
    anchors: dict[str, Node] = {}
    stack: list[list[Any]] = []  # [collection node, its pending key node]
    root: Node | None = None
    documents = 0
    try:
        for event in pyyaml.parse(text, Loader=loader):
            kind = type(event)
            if getattr(event, "tag", None) is not None and getattr(event, "anchor", None) is not None:
                return NOT_COMPOSED  # `!!tag &anchor`: the parsers mark such a node at different places
            if kind is events.ScalarEvent:
                if event.style in ("|", ">"):
                    return NOT_COMPOSED  # libyaml is lenient with a block scalar's leading blank lines
                node: Node = ScalarNode(_tag(ScalarNode, event.tag, event.value, event.implicit),
                                        event.value, event.start_mark, event.end_mark, style=event.style,
                                        anchor=event.anchor)
            elif kind is events.MappingStartEvent or kind is events.SequenceStartEvent:
                cls = MappingNode if kind is events.MappingStartEvent else SequenceNode
                node = cls(_tag(cls, event.tag, None, event.implicit), [], event.start_mark, None,
                           flow_style=event.flow_style, anchor=event.anchor)
            elif kind is events.MappingEndEvent or kind is events.SequenceEndEvent:
                stack.pop()
                continue
            elif kind is events.AliasEvent:
                if event.anchor not in anchors:
                    return NOT_COMPOSED
                node = anchors[event.anchor]
            elif kind is events.DocumentStartEvent:
                documents += 1
                if documents > 1 or event.version is not None:
                    return NOT_COMPOSED
                continue
            elif kind is events.DocumentEndEvent and event.explicit:
                return NOT_COMPOSED  # `...`: the two parsers disagree on what may follow it
            else:  # the stream's start and end, a document's implicit end
                continue
            if kind is not events.AliasEvent and event.anchor is not None:
                anchors[event.anchor] = node
            if stack:
                parent = stack[-1]
                if type(parent[0]) is SequenceNode:
                    parent[0].value.append(node)
                elif parent[1] is None:
                    parent[1] = node
                else:
                    parent[0].value.append((parent[1], node))
                    parent[1] = None
            else:
                root = node
            if kind is events.MappingStartEvent or kind is events.SequenceStartEvent:
                stack.append([node, None])
    except pyyaml.YAMLError:
        return NOT_COMPOSED
    return root


def _tag(kind: type, tag: str | None, value: str | None, implicit: Any) -> Any:
    if tag is None or tag == "!":  # as ruamel.yaml's composer: resolve untagged and non-specific nodes
        return _resolve(kind, value, implicit)
    return tag


@functools.lru_cache(maxsize=16384)  # keys and most values repeat across configs; a resolution costs ~10 us
def _resolve(kind: type, value: str | None, implicit: Any) -> Any:
    return _resolver().resolve(kind, value, implicit)


@functools.cache
def _resolver() -> Any:
    """A YAML 1.2 resolver that never reads a document (so no ``%YAML`` directive changes its version)."""
    return YAML(typ="safe", pure=True).resolver


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
        self._check_depth(node, depth)
        plain_scalar = isinstance(node, ScalarNode) and node.tag is None
        if node.tag not in _STANDARD_TAGS and not plain_scalar:
            raise _err(self.path, node.start_mark, f"YAML tag {_short(node.tag)!r} is not allowed: DOP never "
                       "constructs Python objects from YAML", "plain YAML values", _safe_spelling(node, path))
        self.doc.values.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, SequenceNode):
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        return self._scalar(node)

    def _check_depth(self, node: Node, depth: int) -> None:
        if depth > MAX_DEPTH:  # also ends an alias to an enclosing node (`&a [*a]`, `&m {<<: *m}`)
            raise _err(self.path, node.start_mark, f"YAML is nested too deeply (more than {MAX_DEPTH} levels)",
                       f"at most {MAX_DEPTH} levels", "flatten the document")

    def _mapping(self, node: MappingNode, path: Path, depth: int) -> dict[str, Any]:
        self._check_depth(node, depth)
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
        key = (tag, node.value)
        if key in _SCALARS:  # numbers, booleans and dates repeat across configs; each is immutable
            return _SCALARS[key]
        value = self._construct(node, tag)
        if len(_SCALARS) < MAX_SCALARS:
            _SCALARS[key] = value
        return value

    def _construct(self, node: ScalarNode, tag: str) -> Any:
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


#: (tag, text) -> value of the non-string scalars read so far in this process (ruamel.yaml's constructors
#: cost ~10 us each; a project's configs repeat the same few numbers, booleans and dates)
_SCALARS: dict[tuple[str, str], Any] = {}
MAX_SCALARS = 16384

_PYTHON_TAG = "tag:yaml.org,2002:python/"


def _safe_spelling(node: Node, path: Path) -> str:
    """The fix for a refused tag: the exact plain spelling of what it built when DOP can tell
    (``!!python/object/apply:datetime.timedelta [0, 300]`` is ``5m``), else the general advice."""
    spelt = _plain_value(node)
    if spelt is None:
        return _SAFE_SPELLING
    key = f"{path[-1]}: " if path and isinstance(path[-1], str) else "- " if path else ""
    return f"write `{key}{spelt}` (plain YAML, read the same way)"


def _plain_value(node: Node) -> str | None:
    tag = str(node.tag)
    if not tag.startswith(_PYTHON_TAG) or ":" not in tag.removeprefix(_PYTHON_TAG):
        return None
    constructor, _, name = tag.removeprefix(_PYTHON_TAG).partition(":")
    if constructor not in ("object/apply", "object/new") or name not in ("datetime.timedelta", "datetime.date",
                                                                       "datetime.datetime"):
        return None
    args, kwargs = _call_arguments(node)
    if args is None or kwargs is None:
        return None
    from dop_core.config.durations import format_duration

    try:
        value = getattr(dt, name.removeprefix("datetime."))(*args, **kwargs)
    except (TypeError, ValueError, OverflowError):
        return None
    if isinstance(value, dt.timedelta):
        exact = value >= dt.timedelta(0) and value == dt.timedelta(seconds=int(value.total_seconds()))
        return format_duration(value) if exact else None
    return value.isoformat()


def _call_arguments(node: Node) -> tuple[list[Any] | None, dict[str, Any] | None]:
    """The positional and keyword arguments of a ``!!python/object/apply`` node when all are plain numbers
    (``[0, 300]``, or ``{args: [...], kwds: {...}}``); None for either when they are not."""
    def numbers(items: list[Any]) -> list[Any] | None:
        values = [_number(i) for i in items]
        return None if None in values else values

    if isinstance(node, SequenceNode):
        return numbers(node.value), {}
    if not isinstance(node, MappingNode):
        return None, None
    parts = {k.value: v for k, v in node.value if isinstance(k, ScalarNode)}
    args_node, kwds_node = parts.pop("args", None), parts.pop("kwds", None)
    if parts or not isinstance(args_node, SequenceNode | None) or not isinstance(kwds_node, MappingNode | None):
        return None, None
    args = numbers(args_node.value) if args_node is not None else []
    if kwds_node is None:
        return args, {}
    names = [k.value for k, _ in kwds_node.value]
    values = numbers([v for _, v in kwds_node.value])
    return args, dict(zip(names, values, strict=True)) if values is not None else None


def _number(node: Any) -> int | float | None:
    if not isinstance(node, ScalarNode):
        return None
    try:
        return float(node.value) if "." in node.value else int(node.value)
    except ValueError:
        return None


def _short(tag: str | None) -> str:
    return str(tag).replace("tag:yaml.org,2002:", "!!")
