"""BigQuery's conversions of a JSON value to a SQL value (``STRING(json)``, ``BOOL``, ``INT64``, ``FLOAT64``)
and ``JSON_TYPE``: the value must have the JSON type asked for, else BigQuery's error (a cast of DuckDB's
JSON keeps a string's quotes and converts between types)."""

from __future__ import annotations

import decimal
import json
from typing import Any

from dop_core.sql.library import BigQueryError, duckdb_python

_INT64 = (-(2 ** 63), 2 ** 63 - 1)


def _parsed(value: str) -> Any:
    return json.loads(value, parse_float=decimal.Decimal, parse_int=decimal.Decimal)


def _number(value: Any) -> bool:
    return isinstance(value, decimal.Decimal)


def _expect(value: str, kind: type, name: str) -> Any:
    parsed = _parsed(value)
    if not isinstance(parsed, kind):
        raise BigQueryError(f"The provided JSON input is not {name}")
    return parsed


@duckdb_python("json_string", ["JSON"], "VARCHAR")
def json_string(value: str) -> str:
    """``STRING(json)``: the JSON string's text (without quotes); any other JSON value is an error."""
    return str(_expect(value, str, "a string"))


@duckdb_python("json_bool", ["JSON"], "BOOLEAN")
def json_bool(value: str) -> bool:
    """``BOOL(json)``: the JSON boolean; any other JSON value is an error."""
    return bool(_expect(value, bool, "a boolean"))


@duckdb_python("json_int64", ["JSON"], "BIGINT")
def json_int64(value: str) -> int:
    """``INT64(json)``: a JSON number without a fractional part within INT64's range (``10.0`` is 10); any
    other JSON value is an error."""
    parsed = _parsed(value)
    if not _number(parsed):
        raise BigQueryError("The provided JSON input is not an integer")
    if parsed != parsed.to_integral_value() or not _INT64[0] <= parsed <= _INT64[1]:
        raise BigQueryError(f"The provided JSON number: {value.strip()} cannot be converted to an int64")
    return int(parsed)


@duckdb_python("json_float64", ["JSON", "VARCHAR"], "DOUBLE")
def json_float64(value: str, mode: str) -> float:
    """``FLOAT64(json[, wide_number_mode => 'round'|'exact'])``: a JSON number as FLOAT64; with ``'exact'``
    a number FLOAT64 cannot hold exactly is an error; any other JSON value is an error."""
    if mode not in ("round", "exact"):
        raise BigQueryError(f"Invalid `wide_number_mode` specified: {mode}")
    parsed = _parsed(value)
    if not _number(parsed):
        raise BigQueryError("The provided JSON input is not a number")
    number = float(parsed)
    if mode == "exact" and decimal.Decimal(number) != parsed:
        raise BigQueryError(f"JSON number: {value.strip()} cannot be converted to DOUBLE without loss of precision")
    return number


_TYPES = {str: "string", bool: "boolean", dict: "object", list: "array", decimal.Decimal: "number"}


@duckdb_python("json_type", ["JSON"], "VARCHAR")
def json_type(value: str) -> str:
    """``JSON_TYPE(json)``: ``object``, ``array``, ``string``, ``number``, ``boolean`` or ``null``."""
    parsed = _parsed(value)
    return "null" if parsed is None else _TYPES[type(parsed)]
