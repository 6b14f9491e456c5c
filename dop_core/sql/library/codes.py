"""BigQuery's code point and SOUNDEX functions, which DuckDB lacks."""

from __future__ import annotations

from typing import Any

from dop_core.sql.library import BigQueryError, duckdb_python


@duckdb_python("code_points_to_string", ["BIGINT[]"], "VARCHAR", nulls=True)
def code_points_to_string(points: list[Any]) -> Any:
    """``CODE_POINTS_TO_STRING(array)``: the STRING of these Unicode code points; NULL if one is NULL; a value
    that is no code point (negative, a surrogate, past U+10FFFF) is an error."""
    if points is None or any(p is None for p in points):
        return None
    for point in points:
        if not (0 <= point <= 0x10FFFF) or 0xD800 <= point <= 0xDFFF:
            raise BigQueryError(f"Invalid codepoint {point}")
    return "".join(chr(p) for p in points)


@duckdb_python("code_points_to_bytes", ["BIGINT[]"], "BLOB", nulls=True)
def code_points_to_bytes(points: list[Any]) -> Any:
    """``CODE_POINTS_TO_BYTES(array)``: the BYTES of these values (0 to 255); NULL if one is NULL; another value
    is an error."""
    if points is None or any(p is None for p in points):
        return None
    for point in points:
        if not 0 <= point <= 255:
            raise BigQueryError(f"Invalid ASCII value {point}")
    return bytes(points)


@duckdb_python("to_code_points", ["VARCHAR"], "BIGINT[]")
def to_code_points(value: str) -> list[int]:
    """``TO_CODE_POINTS(string)``: the Unicode code point of each character."""
    return [ord(c) for c in value]


@duckdb_python("bytes_to_code_points", ["BLOB"], "BIGINT[]")
def bytes_to_code_points(value: bytes) -> list[int]:
    """``TO_CODE_POINTS(bytes)``: each byte's value (0 to 255)."""
    return list(bytes(value))


_SOUNDEX = {c: str(d) for d, letters in enumerate(("BFPV", "CGJKQSXZ", "DT", "L", "MN", "R"), 1) for c in letters}


@duckdb_python("soundex", ["VARCHAR"], "VARCHAR")
def soundex(value: str) -> str:
    """``SOUNDEX(string)``: the American Soundex code of the string's Latin letters (others are skipped): the
    first letter and the digits of the next consonants, a run of one digit once (H and W do not break a run,
    vowels do), padded with 0 to four characters; '' without Latin letters."""
    letters = [c.upper() for c in value if c.isascii() and c.isalpha()]
    if not letters:
        return ""
    out, last = letters[0], _SOUNDEX.get(letters[0])
    for letter in letters[1:]:
        if letter in "HW":
            continue
        digit = _SOUNDEX.get(letter)
        if digit is not None and digit != last:
            out += digit
            if len(out) == 4:
                break
        last = digit
    return out.ljust(4, "0")
