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


def _bytes_format(name: str) -> str:
    key = name.lower()
    if key not in ("base2", "base8", "base16", "hex", "base32", "base64", "base64m", "ascii", "utf8", "utf-8"):
        raise BigQueryError(f"Invalid format '{name}'")
    return {"hex": "base16", "utf-8": "utf8"}.get(key, key)


@duckdb_python("bytes_to_text", ["BLOB", "VARCHAR"], "VARCHAR")
def bytes_to_text(value: bytes, name: str) -> str:
    """``CAST(bytes AS STRING FORMAT f)``: the bytes as BASE2 or BASE8 digits (8 or 3 per byte...),
    BASE16/HEX, BASE32, BASE64, BASE64M (lines of 76 characters), ASCII or UTF8 text (``f`` in any case; an
    invalid one, or bytes that are not that text, are BigQuery's errors)."""
    import base64

    value, form = bytes(value), _bytes_format(name)
    if form in ("base2", "base8"):
        bits = 1 if form == "base2" else 3
        number, width = int.from_bytes(value, "big"), len(value) * 8
        digits = -(-width // bits)
        return "".join(str((number << (digits * bits - width)) >> (bits * (digits - 1 - i)) & (2 ** bits - 1))
                       for i in range(digits)) if value else ""
    if form == "base16":
        return value.hex()
    if form == "base32":
        return base64.b32encode(value).decode()
    if form in ("base64", "base64m"):
        return base64.encodebytes(value).decode().rstrip("\n") if form == "base64m" else base64.b64encode(
            value).decode()
    try:
        return value.decode("ascii" if form == "ascii" else "utf-8")
    except UnicodeDecodeError:
        raise BigQueryError("Failed to decode invalid ASCII string" if form == "ascii"
                            else "A string is not valid UTF-8.") from None


@duckdb_python("text_to_bytes", ["VARCHAR", "VARCHAR"], "BLOB")
def text_to_bytes(text: str, name: str) -> bytes:
    """``CAST(string AS BYTES FORMAT f)``: the bytes the text spells in BASE2, BASE8, BASE16/HEX, BASE32,
    BASE64, BASE64M (line breaks ignored), ASCII or UTF8 (``f`` in any case; an invalid one, or text that is
    not of that form, are BigQuery's errors)."""
    import base64
    import binascii

    form = _bytes_format(name)
    if form in ("base2", "base8"):
        bits = 1 if form == "base2" else 3
        for offset, char in enumerate(text):
            if not ("0" <= char < str(2 ** bits)):
                raise BigQueryError(f"Failed to decode invalid {form} string due to character '{char}' at "
                                    f"offset {offset}")
        width = len(text) * bits // 8 * 8
        return (int(text, 2 ** bits) >> (len(text) * bits - width)).to_bytes(width // 8, "big") if text else b""
    try:
        if form == "base16":
            return bytes.fromhex(text)
        if form == "base32":
            return base64.b32decode(text)
        if form in ("base64", "base64m"):
            return base64.b64decode(text.replace("\n", "") if form == "base64m" else text, validate=True)
        return text.encode("ascii" if form == "ascii" else "utf-8")
    except (ValueError, binascii.Error, UnicodeEncodeError):
        raise BigQueryError(f"Failed to decode invalid {form} string") from None
