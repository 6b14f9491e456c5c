"""BigQuery's functions DuckDB has no equivalent of, for arrays and conversions: ``ARRAY_FIRST``,
``ARRAY_LAST``, ``ARRAY_IS_DISTINCT``, ``PARSE_NUMERIC``, ``SAFE_CONVERT_BYTES_TO_STRING``."""

from __future__ import annotations

import decimal
import re

from dop_core.sql.library import BigQueryError, duckdb_macro, duckdb_python

duckdb_macro("array_first", "``ARRAY_FIRST(array)``: the first element; an empty array is an error, NULL gives NULL.",
             "(a) AS CASE WHEN len(a) = 0 THEN "
             "dop_bq_error('ARRAY_FIRST cannot get the first element of an empty array') ELSE a[1] END")
duckdb_macro("array_last", "``ARRAY_LAST(array)``: the last element; an empty array is an error, NULL gives NULL.",
             "(a) AS CASE WHEN len(a) = 0 THEN "
             "dop_bq_error('ARRAY_LAST cannot get the last element of an empty array') ELSE a[len(a)] END")
duckdb_macro("array_is_distinct", """``ARRAY_IS_DISTINCT(array)``: whether no element repeats (two NULLs repeat); NULL
for a NULL array.""",
             "(a) AS len(a) = len(list_distinct(a)) + CASE WHEN list_count(a) < len(a) THEN 1 ELSE 0 END")

_NUMBER = re.compile(r"^\s*([+-]?)\s*([\d,]*)(?:(\.)(\d*))?(?:[eE]([+-]?\d+))?\s*([+-]?)\s*$")
_NUMERIC_LIMIT = decimal.Decimal("1e29")


@duckdb_python("parse_numeric", ["VARCHAR"], "DECIMAL(38, 9)")
def parse_numeric(text: str) -> decimal.Decimal:
    """``PARSE_NUMERIC(string)``: the NUMERIC the string spells, rounded half away from zero to 9 decimals:
    one sign, before or after the number, spaces around it and the sign, commas among the integer digits
    (ignored), an exponent; anything else, or a value out of NUMERIC's range, is an error."""
    match = _NUMBER.match(text)
    if match is None or (match[1] and match[6]):
        raise BigQueryError(f"Invalid NUMERIC value: {text}")
    integer, point, fraction, exponent = match[2], match[3], match[4] or "", match[5] or "0"
    digits = integer.replace(",", "")
    if (integer and not digits) or not (digits or fraction) or (not point and not integer):
        raise BigQueryError(f"Invalid NUMERIC value: {text}")
    context = decimal.Context(prec=200, rounding=decimal.ROUND_HALF_UP)
    number = f"{match[1] or match[6]}{digits or '0'}.{fraction or '0'}e{exponent}"
    value = context.create_decimal(number).quantize(decimal.Decimal("1e-9"), context=context)
    if abs(value) >= _NUMERIC_LIMIT:
        raise BigQueryError(f"Invalid NUMERIC value: {text}")
    return value


@duckdb_python("safe_convert_bytes_to_string", ["BLOB"], "VARCHAR")
def safe_convert_bytes_to_string(value: bytes) -> str:
    """``SAFE_CONVERT_BYTES_TO_STRING(bytes)``: the bytes as UTF-8, each invalid sequence replaced by U+FFFD."""
    return bytes(value).decode("utf-8", errors="replace")
