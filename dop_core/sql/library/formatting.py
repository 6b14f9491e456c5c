"""BigQuery's ``FORMAT`` conversions DuckDB's ``printf`` lacks."""

from __future__ import annotations

from dop_core.sql.library import duckdb_python

_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


@duckdb_python("string_literal", ["VARCHAR"], "VARCHAR")
def string_literal(value: str) -> str:
    """``FORMAT('%T', string)``: the string as a GoogleSQL literal: in double quotes (single quotes when it
    has double quotes and no single ones), with backslash escapes for the quote, backslashes, line breaks,
    tabs and other control characters; other characters as they are."""
    quote = "'" if '"' in value and "'" not in value else '"'
    out = []
    for char in value:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char == quote:
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(char)
    return quote + "".join(out) + quote
