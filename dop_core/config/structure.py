"""Turn loaded YAML into typed attrs records, collecting every problem with its location.

A tiny, strict converter (no coercion of `"1"` to 1, unknown keys refused with a did-you-mean)
that reports paths the :class:`~dop_core.config.yaml.Document` can place in the file. Plugins'
options models go through the same code, so their mistakes are reported just like the core's.

Field metadata understood (``attrs.field(metadata={...})``):

- ``"doc"``: one line for the config reference;
- ``"parse"``: a function turning the raw YAML value into the field's value, raising ValueError
  with a message (used for durations, cron expressions, identifiers...);
- ``"expected"``: how the value should be written, shown with errors;
- ``"fix"``: on a field with ``parse``: how to mend a value ``parse`` refuses, shown with its errors
  (:mod:`dop_core.config.bounds` makes the metadata of bounded numbers, durations, pools and owners);
- ``"path"``: on a target option naming a local file or folder: ``dop validate`` checks that it
  stays inside the project or a declared data folder (values starting with ``:``, such as DuckDB's
  ``:memory:``, are names, not paths);
- ``"rest"``: on one ``dict[str, Any]`` field (usually private, ``_name``): unknown keys are
  collected into it instead of being refused; the model's owner must then check them (the core's
  ``egress`` action does, against the chosen destination's own options model).
- ``"schema"``: on a field with ``parse``: the JSON schema of the values ``parse`` accepts (a dict, or a
  function returning one when it costs to compute), for editors (``dop schema``; see
  :mod:`dop_core.config.json_schema`); without it, an editor accepts any value there;
- ``"position"``: on one private ``int`` field of a model read from a list item: filled with the
  item's index in its list, so that later checks point at the right item even when an earlier one
  failed (items that fail are left out of the structured list).
"""

from __future__ import annotations

import datetime as dt
import functools
import types
import typing
from typing import Any, Literal, Union

import attrs

from dop_core.config.durations import EXPECTED as DURATION_EXPECTED
from dop_core.config.durations import parse_duration
from dop_core.config.yaml import Document, Path
from dop_core.errors import Problem, did_you_mean

_MISSING = object()

_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
               dict: "a mapping", list: "a list", dt.date: "a date (YYYY-MM-DD)"}


def type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if tp in _TYPE_NAMES:
        return _TYPE_NAMES[tp]
    if tp is dt.timedelta:
        return DURATION_EXPECTED
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin in (Union, types.UnionType):
        return " or ".join(type_name(a) for a in typing.get_args(tp) if a is not type(None))
    if origin is list:
        return f"a list of {type_name(typing.get_args(tp)[0]).removeprefix('a ').removeprefix('an ')}"
    if origin is dict:
        return "a mapping"
    if attrs.has(tp):
        return f"a mapping with keys {', '.join(yaml_keys(tp))}"
    return getattr(tp, "__name__", str(tp))


@functools.cache
def _type_hints(cls: type) -> dict[str, Any]:
    """``typing.get_type_hints`` once per class: it was a tenth of the time of validating a DAG."""
    return typing.get_type_hints(cls)


@functools.cache
def _fields(cls: type) -> tuple[dict[str, Any], Any, Any]:
    """A model's YAML keys and their fields, its field taking the other keys (``rest``) and its field taking
    its position in a list (``position``): once per class, as every task of every config is structured."""
    fields = {f.alias or f.name: f for f in attrs.fields(cls) if not (f.alias or f.name).startswith("_")}
    rest = next((f for f in attrs.fields(cls) if f.metadata.get("rest")), None)
    position = next((f for f in attrs.fields(cls) if f.metadata.get("position")), None)
    return fields, rest, position


def yaml_keys(cls: type) -> list[str]:
    return [f.alias or f.name for f in attrs.fields(cls) if not (f.alias or f.name).startswith("_")]


def yaml_spelling(value: Any) -> str:
    """How a value read from YAML is written in YAML, for messages (``null``, never Python's ``None``)."""
    if value is None:
        return "an empty value (null)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dt.date):
        return value.isoformat()
    return repr(value) if isinstance(value, str) else str(value)


def in_yaml_terms(message: str, value: Any) -> str:
    """A parse function's message with the value it quoted (``{value!r}``) spelt as YAML writes it: a date
    read from YAML is ``2024-01-31`` to its author, not ``datetime.date(2024, 1, 31)``."""
    if isinstance(value, str):
        return message
    return message.replace(repr(value), yaml_spelling(value))


def _same_shape(value: Any, tp: Any) -> bool:
    """Whether ``value`` is written as a value of ``tp`` is: a mapping for a model or a mapping type, a list for a
    list type, a scalar for anything else."""
    origin = typing.get_origin(tp)
    if isinstance(value, dict):
        return attrs.has(tp) or origin is dict or tp is dict
    if isinstance(value, list):
        return origin is list or tp is list
    return not (attrs.has(tp) or origin in (dict, list) or tp in (dict, list))


class Structurer:
    """Converts raw data into ``cls`` instances, appending to ``problems`` instead of raising."""

    def __init__(self, doc: Document, problems: list[Problem] | None = None):
        self.doc = doc
        self.problems: list[Problem] = problems if problems is not None else []

    def problem(self, path: Path, message: str, expected: str | None = None, fix: str | None = None,
                key: bool = False, severity: str = "error") -> None:
        self.problems.append(Problem(self.doc.at(path, key=key), message, expected, fix, severity))

    def structure(self, value: Any, tp: Any, path: Path) -> Any:
        """Return ``value`` converted to ``tp``, or ``_MISSING`` after recording a problem."""
        origin = typing.get_origin(tp)
        if tp is Any or tp is object:
            return value
        if origin in (Union, types.UnionType):
            args = typing.get_args(tp)
            if value is None and type(None) in args:
                return None
            for arg in args:
                if arg is type(None):
                    continue
                probe = Structurer(self.doc)
                result = probe.structure(value, arg, path)
                if not probe.problems:
                    return result
            others = [a for a in args if a is not type(None)]
            shaped = others if len(others) == 1 else [a for a in others if _same_shape(value, a)]
            if len(shaped) == 1:  # the one alternative written this way (a mapping, a list...): its own problems
                return self.structure(value, shaped[0], path)
            return self._wrong(value, tp, path)
        if origin is Literal:
            choices = typing.get_args(tp)
            if value in choices:
                return value
            hint = did_you_mean(str(value), [str(c) for c in choices])
            self.problem(path, f"{yaml_spelling(value)} is not allowed here", type_name(tp), hint)
            return _MISSING
        if origin is list:
            if not isinstance(value, list):
                return self._wrong(value, tp, path)
            (item_tp,) = typing.get_args(tp)
            items = [self.structure(v, item_tp, (*path, i)) for i, v in enumerate(value)]
            return [i for i in items if i is not _MISSING]
        if origin is dict:
            if not isinstance(value, dict):
                return self._wrong(value, tp, path)
            _, val_tp = typing.get_args(tp)
            out = {k: self.structure(v, val_tp, (*path, k)) for k, v in value.items()}
            return {k: v for k, v in out.items() if v is not _MISSING}
        if attrs.has(tp):
            return self.structure_attrs(value, tp, path)
        if tp is dt.timedelta:
            try:
                return parse_duration(value)
            except (ValueError, TypeError, OverflowError) as exc:
                self.problem(path, in_yaml_terms(str(exc), value), DURATION_EXPECTED, "write e.g. 5m or {minutes: 5}")
                return _MISSING
        if tp is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if tp is dt.date and isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                return self._wrong(value, tp, path)
        if isinstance(tp, type) and isinstance(value, tp) and not (tp is int and isinstance(value, bool)):
            return value
        return self._wrong(value, tp, path)

    def _wrong(self, value: Any, tp: Any, path: Path) -> Any:
        self.problem(path, f"{yaml_spelling(value)} is not {type_name(tp)}", type_name(tp))
        return _MISSING

    def structure_attrs(self, value: Any, cls: type, path: Path) -> Any:
        if value is None:
            value = {}
        if not isinstance(value, dict):
            return self._wrong(value, cls, path)
        hints = _type_hints(cls)
        fields, rest, position = _fields(cls)
        kwargs: dict[str, Any] = {}
        ok = True
        if rest is not None:
            kwargs[rest.alias or rest.name] = {k: v for k, v in value.items() if k not in fields}
        if position is not None and path and isinstance(path[-1], int):
            kwargs[position.alias or position.name] = path[-1]
        for key in value:
            if key not in fields and rest is None:
                hint = did_you_mean(key, fields)
                self.problem((*path, key), f"unknown key {key!r}", "one of " + ", ".join(fields),
                             hint or "remove it", key=True)
                ok = False
        for key, field in fields.items():
            if key not in value:
                if field.default is attrs.NOTHING:
                    self.problem(path, f"missing required key {key!r}", type_name(hints[field.name]),
                                 f"add `{key}: ...`")
                    ok = False
                continue
            raw = value[key]
            if raw is None and isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
                continue  # `arguments:` with nothing after it: an empty list or mapping, as the original DOP read it
            parse = field.metadata.get("parse")
            if parse is not None and raw is not None:
                try:
                    converted = parse(raw)
                except (ValueError, TypeError) as exc:
                    self.problem((*path, key), in_yaml_terms(str(exc), raw), field.metadata.get("expected"),
                                 field.metadata.get("fix"))
                    ok = False
                    continue
            else:
                converted = self.structure(raw, hints[field.name], (*path, key))
            if converted is _MISSING:
                ok = False
            else:
                kwargs[field.alias or field.name] = converted
        if not ok:
            return _MISSING
        try:
            return cls(**kwargs)
        except (ValueError, TypeError) as exc:
            self.problem(path, str(exc))
            return _MISSING


MISSING = _MISSING
