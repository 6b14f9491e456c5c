"""DAG params: each a default and a JSON schema, as Airflow's ``Param`` holds them.

A param is written as the original DOP wrote it, ``days: 7`` (its type is inferred from the value: an
integer here), or declared as Airflow's ``Param`` is, ``days: {default: 7, type: integer, minimum: 1}``.
Airflow validates trigger-form values and run conf against the schema before a run starts; DOP
validates an Airflow Variable ``<dag_id>.<key>`` against the same schema when a task applies it
(:mod:`dop_core.contract.variable_params`). So a param declared ``7`` never renders as ``7; DROP TABLE t``.

Imported when configs are validated and when tasks run; it imports ``jsonschema`` (as Airflow does)
only to check a value.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from dop_core.config.structure import MISSING, Structurer
from dop_core.errors import did_you_mean

JSON_TYPES = ("string", "integer", "number", "boolean", "array", "object", "null")
#: the formats of a string param that Airflow's trigger form shows with their own widget
FORMATS = ("date", "date-time", "time", "duration", "multiline", "password")
_TYPE_WORDS = {"string": "a string", "integer": "an integer", "number": "a number", "boolean": "true or false",
               "array": "a list", "object": "a mapping", "null": "null"}
#: the keys that make a mapping a param declaration rather than an object param's value
DECLARATION_KEYS = ("default", "type")


def _json_type(value: Any) -> str | list[str]:
    names = value if isinstance(value, list) else [value]
    for name in names:
        if name not in JSON_TYPES:
            hint = f"write type: string, format: {name}" if name in FORMATS else did_you_mean(str(name), JSON_TYPES)
            raise ValueError(f"{name!r} is not a JSON schema type" + (f" ({hint})" if hint else ""))
    return list(value) if isinstance(value, list) else str(value)


def _format(value: Any) -> str:
    if value not in FORMATS:
        raise ValueError(f"{value!r} is not a format Airflow's trigger form knows")
    return str(value)


def _pattern(value: Any) -> str:
    import re

    try:
        re.compile(str(value))
    except re.error as exc:
        raise ValueError(f"{value!r} is not a regular expression: {exc}") from None
    return str(value)


@attrs.frozen
class ParamSpec:
    """A declared param: ``{default, type, ...}``. Keys other than ``default``, ``description`` and ``title``
    are JSON schema keywords, spelled as in JSON schema (and Airflow's ``Param``)."""

    default: Any = attrs.field(metadata={"doc": "the value of scheduled runs and the trigger form's initial value",
                                         "expected": "a value of the param's type (a date as YYYY-MM-DD)"})
    type: str | list[str] | None = attrs.field(default=None, metadata={
        "doc": "string, integer, number, boolean, array, object or null, or a list of them; default: the default's "
               "type", "parse": _json_type, "expected": "one of " + ", ".join(JSON_TYPES) + ", or a list of them",
        "schema": {"anyOf": [{"enum": list(JSON_TYPES)}, {"type": "array", "items": {"enum": list(JSON_TYPES)}}]}})
    description: str | None = attrs.field(default=None, metadata={"doc": "help text under the trigger form's field"})
    title: str | None = attrs.field(default=None, metadata={"doc": "the field's label in the form (default: the key)"})
    section: str | None = attrs.field(default=None, metadata={"doc": "groups the form's fields under this heading"})
    enum: list[Any] | None = attrs.field(default=None, metadata={
        "doc": "the only values allowed (the form shows a drop-down)", "expected": "a list of values"})
    values_display: dict[str, str] | None = attrs.field(default=None, metadata={
        "doc": "labels of the enum's values in the form"})
    examples: list[Any] | None = attrs.field(default=None, metadata={
        "doc": "values the form proposes (a free value is still allowed)", "expected": "a list of values"})
    format: str | None = attrs.field(default=None, metadata={
        "doc": "strings: " + ", ".join(FORMATS) + " (date: a date picker, and the value must be YYYY-MM-DD)",
        "parse": _format, "expected": "one of " + ", ".join(FORMATS), "schema": {"enum": list(FORMATS)}})
    pattern: str | None = attrs.field(default=None, metadata={
        "doc": "strings: a regular expression the value must contain a match of (anchor it: ^[a-z_]+$)",
        "parse": _pattern})
    min_length: int | None = attrs.field(default=None, alias="minLength", metadata={
        "doc": "strings: at least this many characters"})
    max_length: int | None = attrs.field(default=None, alias="maxLength", metadata={
        "doc": "strings: at most this many characters"})
    minimum: int | float | None = attrs.field(default=None, metadata={"doc": "numbers: the smallest value allowed"})
    maximum: int | float | None = attrs.field(default=None, metadata={"doc": "numbers: the largest value allowed"})
    exclusive_minimum: int | float | None = attrs.field(default=None, alias="exclusiveMinimum", metadata={
        "doc": "numbers: values must be greater"})
    exclusive_maximum: int | float | None = attrs.field(default=None, alias="exclusiveMaximum", metadata={
        "doc": "numbers: values must be smaller"})
    multiple_of: int | float | None = attrs.field(default=None, alias="multipleOf", metadata={
        "doc": "numbers: values must be a multiple of this"})
    items: dict[str, Any] | None = attrs.field(default=None, metadata={
        "doc": "lists: the JSON schema of each item, e.g. {type: integer}"})
    min_items: int | None = attrs.field(default=None, alias="minItems", metadata={
        "doc": "lists: at least this many items"})
    max_items: int | None = attrs.field(default=None, alias="maxItems", metadata={
        "doc": "lists: at most this many items"})
    unique_items: bool | None = attrs.field(default=None, alias="uniqueItems", metadata={"doc": "lists: no item twice"})

    def schema(self) -> dict[str, Any]:
        """The JSON schema of Airflow's ``Param``: every keyword set, spelled as JSON schema spells it
        (``default`` and ``description`` are the ``Param``'s own arguments)."""
        return {f.alias or f.name: getattr(self, f.name) for f in attrs.fields(ParamSpec)
                if f.name not in ("default", "description") and getattr(self, f.name) is not None}

    def typed(self) -> ParamSpec:
        """This declaration with what its default's type says filled in where it is silent (a YAML date: a
        string of format date), and its default as JSON holds it."""
        inferred = infer_schema(self.default)
        typed = attrs.evolve(self, default=json_value(self.default), type=self.type or inferred.get("type"))
        if typed.type != inferred.get("type"):
            return typed
        return attrs.evolve(typed, items=self.items or inferred.get("items"),
                            format=self.format or inferred.get("format"))

    def describe(self) -> str:
        """What a value must be, in words: ``an integer (minimum 1)``."""
        return describe(self.schema())


def infer_schema(value: Any) -> dict[str, Any]:
    """The JSON schema a plain param value declares: its type (and for a list, its items' type)."""
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, float):
        return {"type": "number"}
    if isinstance(value, dt.datetime):
        return {"type": "string", "format": "date-time"}
    if isinstance(value, dt.date):
        return {"type": "string", "format": "date"}
    if isinstance(value, str):
        return {"type": "string"}
    if isinstance(value, dict):
        return {"type": "object"}
    if isinstance(value, list):
        types = {infer_schema(v).get("type") for v in value}
        if len(types) == 1 and None not in types and types != {"array"} and types != {"object"}:
            return {"type": "array", "items": {"type": types.pop()}}
        return {"type": "array"}
    return {}


def json_value(value: Any) -> Any:
    """``value`` as JSON holds it: YAML dates become ISO strings (Airflow params must be JSON)."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    return value


def describe(schema: dict[str, Any]) -> str:
    """What a value of ``schema`` must be, in words."""
    types = schema.get("type")
    names = types if isinstance(types, list) else [types] if types else []
    text = " or ".join(_TYPE_WORDS[t] for t in names) or "any JSON value"
    if schema.get("format") == "date":
        text = "a date (YYYY-MM-DD)"
    elif schema.get("format"):
        text += f" ({schema['format']})"
    limits = [f"{key} {schema[key]!r}" for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                                                  "multipleOf", "minLength", "maxLength", "pattern", "minItems",
                                                  "maxItems") if key in schema]
    if "enum" in schema:
        limits.insert(0, "one of " + ", ".join(repr(v) for v in schema["enum"]))
    if isinstance(schema.get("items"), dict) and schema["items"].get("type"):
        limits.append(f"items: {describe(schema['items'])}")
    return text + (f" ({'; '.join(limits)})" if limits else "")


def schema_error(schema: dict[str, Any], value: Any) -> str | None:
    """Why ``value`` does not validate against ``schema`` (as Airflow validates params), or None."""
    from jsonschema import FormatChecker
    from jsonschema.validators import validator_for

    error = next(iter(validator_for(schema)(schema, format_checker=FormatChecker()).iter_errors(value)), None)
    return None if error is None else error.message


#: schema_problem's answers by the schema's repr: checking a schema against its metaschema takes
#: milliseconds, and a project's DAGs declare the same few schemas ({"type": "integer"}) again and again
_SCHEMA_PROBLEMS: dict[str, str | None] = {}
_SCHEMA_PROBLEMS_KEPT = 1024


def schema_problem(schema: dict[str, Any]) -> str | None:
    """Why ``schema`` is not a JSON schema, or None."""
    from jsonschema.exceptions import SchemaError
    from jsonschema.validators import validator_for

    key = repr(schema)  # a YAML value's repr keeps its types: 1, '1', 1.0 and True differ
    if key in _SCHEMA_PROBLEMS:
        return _SCHEMA_PROBLEMS[key]
    try:
        validator_for(schema).check_schema(schema)
        problem = None
    except SchemaError as exc:
        problem = exc.message
    if len(_SCHEMA_PROBLEMS) >= _SCHEMA_PROBLEMS_KEPT:
        _SCHEMA_PROBLEMS.clear()
    _SCHEMA_PROBLEMS[key] = problem
    return problem


def is_declaration(value: Any) -> bool:
    """Whether a param's YAML value declares it (``{default: 7, type: integer}``) rather than being the
    value of an object param (``{country: GB}``)."""
    return isinstance(value, dict) and any(key in value for key in DECLARATION_KEYS)


def structure_params(raw: dict[str, Any], s: Structurer) -> dict[str, ParamSpec]:
    """Every param of a DAG config as a :class:`ParamSpec`; problems are recorded on ``s``."""
    out: dict[str, ParamSpec] = {}
    for key, value in raw.items():
        path = ("params", key)
        if not is_declaration(value):
            spec = ParamSpec(default=value)
        else:
            if "default" not in value:
                s.problem(path, f"param {key!r} has no default", "a `default:` (the value of scheduled runs)",
                          f"add `default: ...` under params.{key}")
                continue
            spec = s.structure(value, ParamSpec, path)
            if spec is MISSING:
                continue
        spec = spec.typed()
        schema = spec.schema()
        if "type" not in schema:
            s.problem(path, f"param {key!r} has no type (its default is null), so any value of a run's conf or "
                      "Variable is taken", "a type", f"declare it: {key}: {{default: null, type: [string, null]}}",
                      severity="warning")
        invalid = schema_problem(schema)
        if invalid is not None:
            s.problem(path, f"param {key!r} has an invalid schema: {invalid}", "JSON schema keywords")
            continue
        wrong = schema_error(schema, spec.default)
        if wrong is not None:
            where = (*path, "default") if is_declaration(value) else path
            s.problem(where, f"the default of param {key!r} does not fit its schema: {wrong}", spec.describe())
            continue
        out[key] = spec
    return out
