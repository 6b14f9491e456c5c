"""Variable values as typed SQL literals: what a script's variables become in the SQL sent to the engine.

A value comes back from the engine as a Python value (an int, a date, a list for an ARRAY, a dict for a
STRUCT...); it goes into the next statement as a sqlglot literal, typed with the variable's declared
type, which sqlglot then writes in the engine's dialect, quoting and escaping it. Values never reach
SQL as text pasted by DOP.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import math
import uuid
from typing import Any

from dop_core.sql.dialects import SqlError

#: the type a literal of each Python type has on its own in BigQuery (no CAST needed around it)
_NATURAL = {bool: "BOOLEAN", int: "BIGINT", str: "TEXT"}


def literal(value: Any, type_: Any = None) -> Any:
    """``value`` as a sqlglot expression of type ``type_`` (a sqlglot DataType; None: the value's own type)."""
    from sqlglot import exp

    if value is None:
        return exp.Null() if type_ is None else exp.Cast(this=exp.Null(), to=type_.copy())
    if type_ is not None and type_.this == exp.DataType.Type.JSON:
        text = value if isinstance(value, str) else json.dumps(value)
        return exp.ParseJSON(this=exp.Literal.string(text))
    node = _untyped(value, type_)
    natural = _NATURAL.get(type(value))
    if type_ is None or (natural is not None and type_.this.name == natural):
        return node
    if isinstance(node, exp.Cast) and node.to == type_:  # already of that type (a DATE, a NUMERIC...)
        return node
    return exp.Cast(this=node, to=type_.copy())


def _untyped(value: Any, type_: Any) -> Any:
    from sqlglot import exp

    element = field_types = None
    if type_ is not None and type_.this == exp.DataType.Type.ARRAY and type_.expressions:
        element = type_.expressions[0]
    if type_ is not None and type_.this == exp.DataType.Type.STRUCT:
        field_types = {f.name.lower(): f.args.get("kind") for f in type_.expressions}
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            text = "NaN" if math.isnan(value) else ("inf" if value > 0 else "-inf")
            return exp.Cast(this=exp.Literal.string(text), to=exp.DataType.build("FLOAT64", dialect="bigquery"))
        return exp.Cast(this=exp.Literal.number(repr(value)), to=exp.DataType.build("FLOAT64", dialect="bigquery"))
    if isinstance(value, decimal.Decimal):
        return exp.Cast(this=exp.Literal.string(str(value)), to=exp.DataType.build("NUMERIC", dialect="bigquery"))
    if isinstance(value, str | uuid.UUID):
        return exp.Literal.string(str(value))
    if isinstance(value, bytes | bytearray | memoryview):
        return exp.FromBase64(this=exp.Literal.string(base64.b64encode(bytes(value)).decode()))
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return _typed_string(value.isoformat(sep=" "), "DATETIME")
        return _typed_string(value.astimezone(dt.UTC).isoformat(sep=" "), "TIMESTAMP")
    if isinstance(value, dt.date):
        return _typed_string(value.isoformat(), "DATE")
    if isinstance(value, dt.time):
        return _typed_string(value.isoformat(), "TIME")
    if isinstance(value, dt.timedelta):
        micros = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
        return exp.Interval(this=exp.Literal.number(micros), unit=exp.Var(this="MICROSECOND"))
    if isinstance(value, list | tuple):
        return exp.Array(expressions=[literal(v, element) for v in value])
    if isinstance(value, dict):
        types = field_types or {}
        return exp.Struct(expressions=[exp.PropertyEQ(this=exp.to_identifier(str(k), quoted=True),
                                                      expression=literal(v, types.get(str(k).lower())))
                                       for k, v in value.items()])
    raise SqlError(f"a variable holds a value DOP cannot write back into SQL ({type(value).__name__}: {value!r})")


def _typed_string(text: str, type_sql: str) -> Any:
    from sqlglot import exp

    return exp.Cast(this=exp.Literal.string(text), to=exp.DataType.build(type_sql, dialect="bigquery"))


def type_of(value: Any) -> Any:
    """The BigQuery type of a plain value (for ``DECLARE x DEFAULT <value>``), or None for ARRAYs, STRUCTs..."""
    from sqlglot import exp

    if value is None or isinstance(value, list | tuple | dict):
        return None
    if isinstance(value, dt.datetime):
        name = "DATETIME" if value.tzinfo is None else "TIMESTAMP"
    else:
        name = next((n for t, n in _TYPES if isinstance(value, t)), "")
    return exp.DataType.build(name, dialect="bigquery") if name else None


_TYPES: list[tuple[type, str]] = [(bool, "BOOL"), (int, "INT64"), (float, "FLOAT64"), (decimal.Decimal, "NUMERIC"),
                                  (str, "STRING"), (bytes, "BYTES"), (dt.date, "DATE"), (dt.time, "TIME")]
