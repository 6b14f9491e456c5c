"""attrs models as JSON Schema (draft 2020-12), by the rules the config structurer reads YAML with.

:class:`~dop_core.config.structure.Structurer` decides what a value may be; this module says the same to
an editor: a model is an object whose keys are its public fields (aliases included) and nothing else
(unless a field collects the ``rest``), a field without default is required, ``Literal`` is an enum,
``X | None`` also takes null, a ``timedelta`` is a duration, a field read by ``parse`` takes what its
``"schema"`` metadata says (anything without it), a list or mapping field left empty (``key:``) is an
empty one, and a model whose keys are all optional may be left empty too. Descriptions are the
``doc`` metadata the config reference shows, followed by the ``expected`` text errors show.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Iterable
from typing import Any, Literal, Union

import attrs

from dop_core.config.json_schema import DURATION

NULL = {"type": "null"}
_JSON_TYPES = ["string", "number", "integer", "boolean", "array", "object", "null"]
#: a date: a string to an editor (YAML 1.2), or the date object a YAML 1.1 loader (PyYAML) makes of it
DATE = {"anyOf": [{"type": "string", "format": "date"}, {"not": {"type": _JSON_TYPES}}]}
_SCALARS: dict[Any, dict[str, Any]] = {
    str: {"type": "string"}, int: {"type": "integer"}, float: {"type": "number"}, bool: {"type": "boolean"},
    dict: {"type": "object"}, list: {"type": "array"}, dt.date: DATE}


class Definitions:
    """The ``$defs`` of one schema document: each model once, referred to by ``$ref``."""

    def __init__(self) -> None:
        self.schemas: dict[str, dict[str, Any]] = {}
        self._names: dict[type, str] = {}

    def ref(self, cls: type) -> dict[str, Any]:
        """``{"$ref": ...}`` to the schema of model ``cls`` (made on first use)."""
        if cls not in self._names:
            name = cls.__name__
            while name in self.schemas:
                name = f"{cls.__module__.replace('.', '_')}_{name}"
            self._names[cls] = name
            self.schemas[name] = {}  # taken before it is made: a model may refer to itself
            self.schemas[name] = object_schema([cls], self)
        return {"$ref": f"#/$defs/{self._names[cls]}"}

    def add(self, name: str, schema: dict[str, Any]) -> dict[str, Any]:
        """A named schema of this document's own (not a model's)."""
        self.schemas[name] = schema
        return {"$ref": f"#/$defs/{name}"}


def type_schema(tp: Any, defs: Definitions) -> dict[str, Any]:
    """The values the structurer turns into ``tp``."""
    origin = typing.get_origin(tp)
    if tp is Any or tp is object:
        return {}
    if origin in (Union, types.UnionType):
        args = typing.get_args(tp)
        choices = [type_schema(a, defs) for a in args if a is not type(None)]
        if type(None) in args:
            choices.append(NULL)
        return choices[0] if len(choices) == 1 else {"anyOf": choices}
    if origin is Literal:
        return {"enum": list(typing.get_args(tp))}
    if origin is list:
        return {"type": "array", "items": type_schema(typing.get_args(tp)[0], defs)}
    if origin is dict:
        return {"type": "object", "additionalProperties": type_schema(typing.get_args(tp)[1], defs)}
    if attrs.has(tp):
        return defs.ref(tp)
    if tp is dt.timedelta:
        return dict(DURATION)
    return dict(_SCALARS.get(tp, {}))


def public_fields(cls: type) -> list[attrs.Attribute]:
    """The fields a YAML mapping may name (a name or alias starting with ``_`` is internal)."""
    return [f for f in attrs.fields(cls) if not (f.alias or f.name).startswith("_")]


def field_schema(field: attrs.Attribute, hint: Any, defs: Definitions) -> dict[str, Any]:
    """The values the structurer accepts for ``field`` (of type ``hint``), with its description and default."""
    meta = field.metadata
    if "schema" in meta:
        given = meta["schema"]
        schema = dict(given() if callable(given) else given)
    elif "parse" in meta:
        schema = {}  # what the parse function accepts is not known: any value
    else:
        schema = type_schema(hint, defs)
    args = typing.get_args(hint) if typing.get_origin(hint) in (Union, types.UnionType) else ()
    empty = isinstance(field.default, attrs.Factory)  # type: ignore[arg-type]  # `key:` alone: the empty default
    takes_none = hint is Any or hint is object or type(None) in args  # null skips `parse`, and the type takes it
    if schema and (empty or takes_none) and not _takes_null(schema):
        schema = {"anyOf": [schema, NULL]}
    text = " ".join(t for t in (meta.get("doc"), _expected(meta)) if t)
    if text:
        schema["description"] = text
    default = _json_default(field.default)
    if default is not None:
        schema["default"] = default
    return schema


def _takes_null(schema: dict[str, Any]) -> bool:
    return schema == NULL or NULL in schema.get("anyOf", ())


def _expected(meta: Any) -> str | None:
    expected = meta.get("expected")
    return f"Expected: {expected}." if expected and expected != meta.get("doc") else None


def _json_default(value: Any) -> Any:
    """A field's default as JSON writes it, or None when it has none worth showing."""
    if value is attrs.NOTHING or value is None or isinstance(value, attrs.Factory):  # type: ignore[arg-type]
        return None
    if isinstance(value, dt.timedelta):
        from dop_core.config.durations import format_duration

        return format_duration(value)
    if isinstance(value, bool | int | float | str):
        return value
    return None


def object_schema(classes: Iterable[type], defs: Definitions, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """One mapping holding the keys of every model of ``classes`` (and the ``extra`` properties), and no other."""
    properties: dict[str, Any] = dict(extra or {})
    required: list[str] = []
    rest = False
    for cls in classes:
        hints = typing.get_type_hints(cls)
        rest = rest or any(f.metadata.get("rest") for f in attrs.fields(cls))
        for field in public_fields(cls):
            key = field.alias or field.name
            properties[key] = field_schema(field, hints[field.name], defs)
            if field.default is attrs.NOTHING:
                required.append(key)
    schema: dict[str, Any] = {"type": "object" if required else ["object", "null"], "properties": properties}
    if required:
        schema["required"] = required
    if not rest:
        schema["additionalProperties"] = False
    return schema
