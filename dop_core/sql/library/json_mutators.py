"""BigQuery's JSON functions DuckDB has no equivalent of: the mutators (``JSON_SET``, ``JSON_REMOVE``,
``JSON_ARRAY_INSERT``, ``JSON_ARRAY_APPEND``, ``JSON_STRIP_NULLS``), ``JSON_KEYS`` and ``JSON_QUERY`` with a
``lax`` JSONPath. Python functions over the JSON text; the result's object members are sorted by name, as
BigQuery keeps them. Path/value pairs come as two lists (a value already converted with ``TO_JSON``)."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from typing import Any

from dop_core.sql.library import BigQueryError, duckdb_python
from dop_core.sql.library.json_paths import Key, Step, modifiers, steps

_MISSING = object()
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_]+")


def _load(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _dump(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def _path(path: str | None) -> list[Step]:
    if path is None:
        raise BigQueryError("The JSONPath cannot be NULL")
    return steps(path)


def _child(node: Any, step: Step) -> Any:
    if isinstance(step, Key):
        return node.get(step, _MISSING) if isinstance(node, dict) else _MISSING
    return node[step] if isinstance(node, list) and step < len(node) else _MISSING


def _update(node: Any, path: list[Step], change: Callable[[Any], Any]) -> Any:
    """``node`` with the value at ``path`` replaced by ``change(value)``; unchanged where the path is missing."""
    if not path:
        return change(node)
    child = _child(node, path[0])
    if child is _MISSING:
        return node
    node[path[0]] = _update(child, path[1:], change)
    return node


def _created(path: list[Step], value: Any) -> Any:
    if not path:
        return value
    step, inner = path[0], _created(path[1:], value)
    return {step: inner} if isinstance(step, Key) else [None] * step + [inner]


def _set(node: Any, path: list[Step], value: Any, create: bool) -> Any:
    if not path:
        return value
    step = path[0]
    if node is None and create:  # a JSON null on the way becomes the object or array the path needs
        node = {} if isinstance(step, Key) else []
    child = _child(node, step)
    if child is not _MISSING:
        node[step] = _set(child, path[1:], value, create)
    elif create and isinstance(step, Key) and isinstance(node, dict):
        node[step] = _created(path[1:], value)
    elif create and isinstance(step, int) and isinstance(node, list):
        node.extend([None] * (step - len(node)))
        node.append(_created(path[1:], value))
    return node


@duckdb_python("json_set", ["JSON", "VARCHAR[]", "JSON[]", "BOOLEAN"], "JSON")
def json_set(document: str, paths: list[str | None], values: list[str | None], create: bool) -> str:
    """``JSON_SET(json, path, value[, ...][, create_if_missing => TRUE])``: each value set at its path, left
    to right; a missing path is created (objects for names, arrays padded with JSON nulls for indexes,
    a JSON null on the way replaced) unless ``create_if_missing`` is FALSE; a path through a scalar or of
    the wrong kind (an index into an object) is ignored; ``$`` replaces the whole value."""
    root = _load(document)
    for path, value in zip(paths, values, strict=True):
        root = _set(root, _path(path), _load(value), create)
    return _dump(root)


@duckdb_python("json_remove", ["JSON", "VARCHAR[]"], "JSON")
def json_remove(document: str, paths: list[str | None]) -> str:
    """``JSON_REMOVE(json, path[, ...])``: the member or array element at each path removed, left to right
    (later elements move up); a missing path or a NULL one is ignored; ``$`` is an error."""
    root = _load(document)
    for path in paths:
        if path is None:
            continue
        where = _path(path)
        if not where:
            raise BigQueryError("The JSONPath cannot be '$'")
        root = _update(root, where[:-1], functools.partial(_without, step=where[-1]))
    return _dump(root)


def _without(parent: Any, step: Step) -> Any:
    if _child(parent, step) is not _MISSING:
        del parent[step]
    return parent


def _elements(value: Any, spread: bool) -> list[Any]:
    return list(value) if spread and isinstance(value, list) else [value]


@duckdb_python("json_array_insert", ["JSON", "VARCHAR[]", "JSON[]", "BOOLEAN[]"], "JSON")
def json_array_insert(document: str, paths: list[str | None], values: list[str | None],
                      spread: list[bool]) -> str:
    """``JSON_ARRAY_INSERT(json, path, value[, ...][, insert_each_element => TRUE])``: each value inserted
    into the array at its path's last index, left to right (past the end: the array padded with JSON
    nulls; a JSON null there becomes an array); an ARRAY value's elements inserted one by one unless
    ``insert_each_element`` is FALSE; a path to no array is ignored; a path not ending in an index is an
    error."""
    root = _load(document)
    for path, value, each in zip(paths, values, spread, strict=True):
        where = _path(path)
        if not where or not isinstance(where[-1], int):
            raise BigQueryError("The JSONPath of JSON_ARRAY_INSERT must end with an array index")
        items = _elements(_load(value), each)

        def insert(array: Any, at: int = where[-1], items: list[Any] = items) -> Any:
            array = [] if array is None else array
            if isinstance(array, list):
                array.extend([None] * (at - len(array)))
                array[at:at] = items
            return array

        root = _update(root, where[:-1], insert)
    return _dump(root)


@duckdb_python("json_array_append", ["JSON", "VARCHAR[]", "JSON[]", "BOOLEAN[]"], "JSON")
def json_array_append(document: str, paths: list[str | None], values: list[str | None],
                      spread: list[bool]) -> str:
    """``JSON_ARRAY_APPEND(json, path, value[, ...][, append_each_element => TRUE])``: each value appended
    to the array at its path, left to right (a JSON null there becomes an array); an ARRAY value's elements
    appended one by one unless ``append_each_element`` is FALSE; a path to no array is ignored."""
    root = _load(document)
    for path, value, each in zip(paths, values, spread, strict=True):
        root = _update(root, _path(path), functools.partial(_appended, items=_elements(_load(value), each)))
    return _dump(root)


def _appended(array: Any, items: list[Any]) -> Any:
    """``array`` with ``items`` appended (a JSON null: ``items``); any other value unchanged."""
    return [*array, *items] if isinstance(array, list) else items if array is None else array


_GONE = object()


def _stripped(value: Any, arrays: bool, empty: bool) -> Any:
    if isinstance(value, dict):
        members = {k: s for k, v in value.items() if v is not None
                   for s in [_stripped(v, arrays, empty)] if s is not _GONE}
        return _GONE if empty and not members else members
    if isinstance(value, list):
        if not arrays:
            return _GONE if empty and not value else value
        elements = [s for v in value if v is not None for s in [_stripped(v, arrays, empty)] if s is not _GONE]
        return _GONE if empty and not elements else elements
    return value


@duckdb_python("json_strip_nulls", ["JSON", "VARCHAR", "BOOLEAN", "BOOLEAN"], "JSON")
def json_strip_nulls(document: str, path: str, include_arrays: bool, remove_empty: bool) -> str:
    """``JSON_STRIP_NULLS(json[, path][, include_arrays => TRUE][, remove_empty => FALSE])``: the JSON nulls
    of the objects at the path removed (of arrays too unless ``include_arrays`` is FALSE); with
    ``remove_empty``, objects (and arrays) left empty are removed as well, a value left empty is JSON null."""
    def strip(value: Any) -> Any:
        out = _stripped(value, include_arrays, remove_empty)
        return None if out is _GONE else out

    return _dump(_update(_load(document), _path(path), strip))


def _mode(mode: str) -> tuple[bool, bool]:
    """(lax, recursive) of JSON_KEYS' mode."""
    words = frozenset(mode.lower().split())
    if len(mode.split()) != len(words) or words not in ({"strict"}, {"lax"}, {"lax", "recursive"}):
        raise BigQueryError("Invalid JSON mode specified")
    return "lax" in words, "recursive" in words


def _key_name(key: str) -> str:
    return key if _PLAIN_KEY.fullmatch(key) else '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


@duckdb_python("json_keys", ["JSON", "BIGINT", "VARCHAR"], "VARCHAR[]", nulls=True)
def json_keys(document: str | None, max_depth: int | None, mode: str | None) -> list[str] | None:
    """``JSON_KEYS(json[, max_depth][, mode => 'strict'|'lax'|'lax recursive'])``: the unique member names,
    nested ones joined with ``.`` (a name with other characters than letters, digits and ``_`` in double
    quotes), sorted, down to ``max_depth`` levels (all when NULL; below 1 an error); arrays are looked
    into in ``lax`` mode (nested arrays too in ``lax recursive``), never in ``strict``."""
    if document is None or mode is None:
        return None
    if max_depth is not None and max_depth < 1:
        raise BigQueryError("max_depth must be positive.")
    lax, recursive = _mode(mode)
    found: set[str] = set()

    def visit(value: Any, prefix: str, depth: int, in_array: bool) -> None:
        if isinstance(value, dict):
            for key, member in value.items():
                name = prefix + _key_name(key)
                found.add(name)
                if max_depth is None or depth < max_depth:
                    visit(member, name + ".", depth + 1, False)
        elif isinstance(value, list) and lax and (recursive or not in_array):
            for element in value:
                visit(element, prefix, depth, True)

    visit(_load(document), "", 1, False)
    return sorted(found)


@duckdb_python("json_query_lax", ["JSON", "VARCHAR"], "JSON")
def json_query_lax(document: str, path: str) -> str:
    """``JSON_QUERY(json, 'lax [recursive] $...')``: every match of the path as a JSON array; along the
    path an array is looked into for a member name (nested arrays too with ``recursive``) and a value
    that is no array is an array of itself for an index."""
    words, rest = modifiers(path)
    recursive = "recursive" in words
    matches = [_load(document)]
    for step in steps(rest):
        found: list[Any] = []
        for value in matches:
            found += _lax_step(value, step, recursive, top=True)
        matches = found
    return _dump(matches)


def _lax_step(value: Any, step: Step, recursive: bool, top: bool) -> list[Any]:
    if isinstance(step, Key):
        if isinstance(value, dict):
            return [value[step]] if step in value else []
        if isinstance(value, list) and (top or recursive):
            return [m for element in value for m in _lax_step(element, step, recursive, top=False)]
        return []
    array = value if isinstance(value, list) else [value]
    return [array[step]] if step < len(array) else []


@duckdb_python("json_object_of_arrays", ["VARCHAR[]", "JSON[]"], "JSON", nulls=True)
def json_object_of_arrays(keys: list[str | None] | None, values: list[str | None] | None) -> str:
    """``JSON_OBJECT(keys_array, values_array)``: an object of each key with the value at its position (a
    repeated key keeps its first value); a NULL array or key, or arrays of different lengths, are errors."""
    if keys is None:
        raise BigQueryError("Invalid input to JSON_OBJECT: The keys array cannot be NULL")
    if values is None:
        raise BigQueryError("Invalid input to JSON_OBJECT: The values array cannot be NULL")
    if len(keys) != len(values):
        raise BigQueryError("Invalid input to JSON_OBJECT: The number of keys and values must match")
    members: dict[str, Any] = {}
    for key, value in zip(keys, values, strict=True):
        if key is None:
            raise BigQueryError("Invalid input to JSON_OBJECT: A key cannot be NULL")
        members.setdefault(key, _load(value))
    return _dump(members)


class _Number(str):
    """A JSON number's text, written back as it was read."""


def _pretty(value: Any, depth: int) -> str:
    inner, outer = "  " * (depth + 1), "  " * depth
    if isinstance(value, dict) and value:
        members = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {_pretty(v, depth + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(members) + "\n" + outer + "}"
    if isinstance(value, list) and value:
        return "[\n" + ",\n".join(inner + _pretty(v, depth + 1) for v in value) + "\n" + outer + "]"
    if isinstance(value, _Number):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


@duckdb_python("json_text", ["VARCHAR", "BOOLEAN"], "VARCHAR")
def json_text(text: str, pretty: bool) -> str:
    """``TO_JSON_STRING(value, pretty_print)``: with ``pretty_print`` TRUE, one member or element a line,
    indented by two spaces a level (numbers as written); else the JSON text unchanged."""
    if not pretty:
        return text
    return _pretty(json.loads(text, parse_float=_Number, parse_int=_Number), 0)
