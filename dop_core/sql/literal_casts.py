"""The rule for casts of string literals BigQuery reads otherwise than DuckDB."""

from __future__ import annotations

import re
from typing import Any

from sqlglot import exp

from dop_core.sql import UnsupportedSqlError
from dop_core.sql.rules import rule

_HEX = re.compile(r"^\s*(?P<sign>[+-]?)0[xX](?P<digits>[0-9a-fA-F]+)\s*$")
_HOUR_24 = re.compile(r"^\s*(?:\d{4}-\d{1,2}-\d{1,2}[ Tt])?24:")
_WITH_ZONE = re.compile(r":\d{1,2}(?:\.\d*)?(?:[+-]\d{1,2}(?::?\d{2})?|\s*(?:Z|UTC|[A-Za-z]+/[A-Za-z_/+-]+))\s*$")
_INT64 = range(-2 ** 63, 2 ** 63)


@rule("duckdb", "postgres")
def string_literals_cast_as_bigquery(tree: Any, target: str) -> Any:
    """Casts of string literals that BigQuery reads otherwise: ``CAST('-0x100' AS INT64)`` is -256 (a
    hexadecimal string; the engines refused it); ``CAST('24:00:00' AS TIME)`` and ``CAST('2006-01-02 01:02:03
    UTC' AS DATETIME)`` (a DATETIME has no time zone) are BigQuery's errors, raised at translation (the engines
    returned midnight and dropped the zone)."""

    def fix(node: Any) -> Any:
        if not (isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal) and node.this.is_string) \
                or node.args.get("format") is not None:
            return node
        text, to = node.this.this, node.to.this
        if to == exp.DataType.Type.BIGINT and (match := _HEX.match(text)):
            value = int(match["digits"], 16) * (-1 if match["sign"] == "-" else 1)
            if value not in _INT64:
                raise UnsupportedSqlError(f"Bad int64 value: {text}", construct="CAST")
            return exp.cast(exp.Literal.number(value), "BIGINT")
        if to in (exp.DataType.Type.TIME, exp.DataType.Type.TIMESTAMP) and _HOUR_24.match(text):
            raise UnsupportedSqlError(f"Invalid {'time' if to == exp.DataType.Type.TIME else 'datetime'} string "
                                      f"{text!r}", construct="CAST")
        if to == exp.DataType.Type.TIMESTAMP and _WITH_ZONE.search(text):
            raise UnsupportedSqlError(f"Invalid datetime string {text!r} (a DATETIME has no time zone)",
                                      construct="CAST")
        return node

    return tree.transform(fix)
