"""BigQuery's string and bytes functions where DuckDB's differ: positions from 1 (negative from the end),
BigQuery's errors for negative lengths, and every function on BYTES (DuckDB has few for BLOB).

A STRING counts characters (Unicode code points) and a BYTES value counts bytes; the Python functions
below work on either (``str`` or ``bytes``) and are registered once per type.
"""

from __future__ import annotations

import re
from typing import Any

from dop_core.sql.library import BigQueryError, duckdb_macro, duckdb_python


@duckdb_python("error", ["VARCHAR"], "NULL")
def error(message: str) -> None:
    """Raises ``message``: BigQuery's errors in translated SQL. Unlike DuckDB's volatile ``error()``, it may
    stand inside ``TRY`` (``SAFE.`` functions return NULL instead of the error)."""
    raise BigQueryError(message)


def _substr(value: Any, position: int, length: int, name: str = "SUBSTR") -> Any:
    if length < 0:
        raise BigQueryError(f"Third argument in {name}() cannot be negative")
    size = len(value)
    if position > 0:
        start = position - 1
    elif position == 0 or position < -size:
        start = 0
    else:
        start = size + position
    return value[start:start + length]


@duckdb_python("bytes_substr", ["BLOB", "BIGINT", "BIGINT"], "BLOB")
def bytes_substr(value: bytes, position: int, length: int) -> bytes:
    """``SUBSTR(bytes, position[, length])``: the bytes from ``position`` (1 is the first, 0 counts as 1, a
    negative one counts from the end; before the start means the start) for ``length`` bytes (to the end
    without one); a negative length is an error."""
    return bytes(_substr(value, position, length))


duckdb_macro("substr", """``SUBSTR(string, position[, length])`` by characters, with BigQuery's positions (0 counts as
1, a negative position counts from the end, one before the start means the start) and an error for a negative
length (DuckDB's ``substring`` reads position 0 as before the first character).""",
             "(s, p) AS substring(s, CASE WHEN p > 0 THEN p WHEN p = 0 OR -p > length(s) THEN 1 "
             "ELSE length(s) + p + 1 END)",
             "(s, p, n) AS CASE WHEN n < 0 THEN dop_bq_error('Third argument in SUBSTR() cannot be negative') ELSE "
             "substring(s, CASE WHEN p > 0 THEN p WHEN p = 0 OR -p > length(s) THEN 1 ELSE length(s) + p + 1 END, "
             "n) END")


def _side(value: Any, length: int, name: str) -> Any:
    if length < 0:
        raise BigQueryError(f"Second argument in {name}() cannot be negative")
    return value[:length] if name == "LEFT" else value[len(value) - min(length, len(value)):]


@duckdb_python("bytes_left", ["BLOB", "BIGINT"], "BLOB")
def bytes_left(value: bytes, length: int) -> bytes:
    """``LEFT(bytes, length)``: the first ``length`` bytes; a negative length is an error."""
    return bytes(_side(value, length, "LEFT"))


@duckdb_python("bytes_right", ["BLOB", "BIGINT"], "BLOB")
def bytes_right(value: bytes, length: int) -> bytes:
    """``RIGHT(bytes, length)``: the last ``length`` bytes; a negative length is an error."""
    return bytes(_side(value, length, "RIGHT"))


duckdb_macro("left", "``LEFT(string, length)``: the first ``length`` characters; a negative length is an error.",
             "(s, n) AS CASE WHEN n < 0 THEN dop_bq_error('Second argument in LEFT() cannot be negative') "
             "ELSE left(s, n) END")
duckdb_macro("right", "``RIGHT(string, length)``: the last ``length`` characters; a negative length is an error.",
             "(s, n) AS CASE WHEN n < 0 THEN dop_bq_error('Second argument in RIGHT() cannot be negative') "
             "ELSE right(s, n) END")


#: BigQuery's largest result of LPAD, RPAD and REPEAT
MAX_OUTPUT = 1 << 20


def _pad(value: Any, length: int, pattern: Any, left: bool) -> Any:
    if length < 0:
        raise BigQueryError("Second argument (output size) for LPAD/RPAD cannot be negative")
    if length > MAX_OUTPUT:
        raise BigQueryError("Output of LPAD/RPAD exceeds max allowed output size of 1MB")
    if len(value) >= length:
        return value[:length]
    if not pattern:
        raise BigQueryError("Third argument (pad pattern) for LPAD/RPAD cannot be empty")
    needed = length - len(value)
    fill = (pattern * (needed // len(pattern) + 1))[:needed]
    return fill + value if left else value + fill


@duckdb_python("lpad", ["VARCHAR", "BIGINT", "VARCHAR"], "VARCHAR")
def lpad(value: str, length: int, pattern: str) -> str:
    """``LPAD(string, length[, pattern])``: ``value`` prefixed with ``pattern`` (repeated, cut) up to ``length``
    characters, or cut to ``length``; a negative length or an empty pattern (when padding) is an error."""
    return str(_pad(value, length, pattern, True))


@duckdb_python("rpad", ["VARCHAR", "BIGINT", "VARCHAR"], "VARCHAR")
def rpad(value: str, length: int, pattern: str) -> str:
    """``RPAD(string, length[, pattern])``: as LPAD, padding on the right."""
    return str(_pad(value, length, pattern, False))


@duckdb_python("bytes_lpad", ["BLOB", "BIGINT", "BLOB"], "BLOB")
def bytes_lpad(value: bytes, length: int, pattern: bytes) -> bytes:
    """``LPAD(bytes, length[, pattern])``: as LPAD on strings, counting bytes."""
    return bytes(_pad(value, length, pattern, True))


@duckdb_python("bytes_rpad", ["BLOB", "BIGINT", "BLOB"], "BLOB")
def bytes_rpad(value: bytes, length: int, pattern: bytes) -> bytes:
    """``RPAD(bytes, length[, pattern])``: as RPAD on strings, counting bytes."""
    return bytes(_pad(value, length, pattern, False))


duckdb_macro("repeat", "``REPEAT(value, n)``: ``value`` n times; a negative ``n`` is an error.",
             "(s, n) AS CASE WHEN n < 0 THEN "
             "dop_bq_error('Second argument (repeat count) for REPEAT cannot be negative') ELSE repeat(s, n) END")


def _instr(value: Any, search: Any, position: int, occurrence: int) -> int:
    if position == 0:
        raise BigQueryError("Position must be non-zero")
    if occurrence < 1:
        raise BigQueryError("Occurrence must be positive")
    found = -1
    if position > 0:
        start = position - 1
        for _ in range(occurrence):
            found = value.find(search, start)
            if found < 0:
                return 0
            start = found + 1
        return found + 1
    last = len(value) + position  # the latest index a match may start at
    for _ in range(occurrence):
        found = value.rfind(search, 0, last + len(search)) if last >= 0 else -1
        if found < 0:
            return 0
        last = found - 1
    return found + 1


@duckdb_python("instr", ["VARCHAR", "VARCHAR", "BIGINT", "BIGINT"], "BIGINT")
def instr(value: str, search: str, position: int, occurrence: int) -> int:
    """``INSTR(value, search[, position[, occurrence]])``: the 1-based position of the ``occurrence``-th match
    of ``search`` starting at ``position`` (negative: searching backwards from that many characters from the
    end), 0 when there is none; position 0 or an occurrence below 1 is an error. ``STRPOS`` is INSTR with
    the defaults (1, 1)."""
    return _instr(value, search, position, occurrence)


@duckdb_python("bytes_instr", ["BLOB", "BLOB", "BIGINT", "BIGINT"], "BIGINT")
def bytes_instr(value: bytes, search: bytes, position: int, occurrence: int) -> int:
    """``INSTR`` and ``STRPOS`` on BYTES, counting bytes."""
    return _instr(value, search, position, occurrence)


@duckdb_python("bytes_upper", ["BLOB"], "BLOB")
def bytes_upper(value: bytes) -> bytes:
    """``UPPER(bytes)``: ASCII letters a-z as A-Z, every other byte unchanged."""
    return bytes(value).upper()


@duckdb_python("bytes_lower", ["BLOB"], "BLOB")
def bytes_lower(value: bytes) -> bytes:
    """``LOWER(bytes)``: ASCII letters A-Z as a-z, every other byte unchanged."""
    return bytes(value).lower()


@duckdb_python("bytes_reverse", ["BLOB"], "BLOB")
def bytes_reverse(value: bytes) -> bytes:
    """``REVERSE(bytes)``: the bytes in reverse order."""
    return bytes(value)[::-1]


@duckdb_python("ascii", ["VARCHAR"], "BIGINT")
def ascii_(value: str) -> int:
    """``ASCII(string)``: the code of the first character, 0 for an empty string; a first character outside
    ASCII is an error."""
    if not value:
        return 0
    if ord(value[0]) > 127:
        raise BigQueryError(f"ASCII() only supports ASCII input: {value[0]!r}")
    return ord(value[0])


@duckdb_python("bytes_ascii", ["BLOB"], "BIGINT")
def bytes_ascii(value: bytes) -> int:
    """``ASCII(bytes)``: the first byte, 0 for empty bytes."""
    return value[0] if value else 0


duckdb_macro("unicode", "``UNICODE(string)``: the code point of the first character, 0 for an empty string.",
             "(s) AS CASE WHEN s = '' THEN 0 ELSE unicode(s) END")


@duckdb_python("bytes_starts_with", ["BLOB", "BLOB"], "BOOLEAN")
def bytes_starts_with(value: bytes, prefix: bytes) -> bool:
    """``STARTS_WITH(bytes, prefix)``."""
    return bytes(value).startswith(bytes(prefix))


@duckdb_python("bytes_ends_with", ["BLOB", "BLOB"], "BOOLEAN")
def bytes_ends_with(value: bytes, suffix: bytes) -> bool:
    """``ENDS_WITH(bytes, suffix)``."""
    return bytes(value).endswith(bytes(suffix))


def _trim(value: Any, chars: Any, side: str) -> Any:
    if side in ("BOTH", "LEADING"):
        value = value.lstrip(chars)
    if side in ("BOTH", "TRAILING"):
        value = value.rstrip(chars)
    return value


@duckdb_python("bytes_trim", ["BLOB", "BLOB"], "BLOB")
def bytes_trim(value: bytes, chars: bytes) -> bytes:
    """``TRIM(bytes, bytes_to_remove)``: leading and trailing bytes that are in ``bytes_to_remove`` removed."""
    return bytes(_trim(bytes(value), bytes(chars), "BOTH"))


@duckdb_python("bytes_ltrim", ["BLOB", "BLOB"], "BLOB")
def bytes_ltrim(value: bytes, chars: bytes) -> bytes:
    """``LTRIM(bytes, bytes_to_remove)``: leading bytes in ``bytes_to_remove`` removed."""
    return bytes(_trim(bytes(value), bytes(chars), "LEADING"))


@duckdb_python("bytes_rtrim", ["BLOB", "BLOB"], "BLOB")
def bytes_rtrim(value: bytes, chars: bytes) -> bytes:
    """``RTRIM(bytes, bytes_to_remove)``: trailing bytes in ``bytes_to_remove`` removed."""
    return bytes(_trim(bytes(value), bytes(chars), "TRAILING"))


@duckdb_python("bytes_replace", ["BLOB", "BLOB", "BLOB"], "BLOB")
def bytes_replace(value: bytes, old: bytes, new: bytes) -> bytes:
    """``REPLACE(bytes, from, to)``: every ``from`` replaced by ``to`` (an empty ``from`` changes nothing)."""
    return bytes(value) if not old else bytes(value).replace(bytes(old), bytes(new))


def _translate(value: Any, source: Any, target: Any) -> Any:
    seen: dict[Any, Any] = {}
    for i in range(len(source)):
        char = source[i:i + 1]
        if char in seen:
            raise BigQueryError(f"Duplicate character {char!r} in TRANSLATE source characters")
        seen[char] = target[i:i + 1]
    return value[:0].join(seen.get(value[i:i + 1], value[i:i + 1]) for i in range(len(value)))


@duckdb_python("translate", ["VARCHAR", "VARCHAR", "VARCHAR"], "VARCHAR")
def translate(value: str, source: str, target: str) -> str:
    """``TRANSLATE(value, source_characters, target_characters)``: each character of ``source`` replaced by
    the one at the same position of ``target``, or removed when ``target`` is shorter; a character repeated
    in ``source`` is an error."""
    return str(_translate(value, source, target))


@duckdb_python("bytes_translate", ["BLOB", "BLOB", "BLOB"], "BLOB")
def bytes_translate(value: bytes, source: bytes, target: bytes) -> bytes:
    """``TRANSLATE`` on BYTES, byte by byte."""
    return bytes(_translate(bytes(value), bytes(source), bytes(target)))


def _split(value: Any, delimiter: Any) -> list[Any]:
    if not delimiter:
        return [value[i:i + 1] for i in range(len(value))] if value else [value]
    return value.split(delimiter)


duckdb_macro("split", """``SPLIT(string[, delimiter])``: the parts between delimiters (',' by default); an empty
delimiter splits into characters, and an empty string is one empty part; a NULL delimiter gives NULL (DuckDB's
``string_split`` kept the string whole).""",
             "(s, d) AS CASE WHEN d IS NULL THEN NULL WHEN d = '' AND s = '' THEN [''] ELSE string_split(s, d) END")


@duckdb_python("bytes_split", ["BLOB", "BLOB"], "BLOB[]")
def bytes_split(value: bytes, delimiter: bytes) -> list[bytes]:
    """``SPLIT(bytes, delimiter)``: the parts between delimiters; an empty delimiter splits into bytes."""
    return [bytes(p) for p in _split(bytes(value), bytes(delimiter))]


@duckdb_python("bytes_join", ["BLOB[]", "BLOB"], "BLOB", nulls=True)
def bytes_join(values: list[bytes] | None, separator: bytes | None) -> bytes | None:
    """``STRING_AGG(bytes, separator)``'s result from the aggregated values: NULLs left out, NULL when none
    is left; a NULL separator is an error."""
    if separator is None:
        raise BigQueryError("Illegal NULL separator in STRING_AGG")
    present = [bytes(v) for v in values or [] if v is not None]
    return bytes(separator).join(present) if present else None


def _like_regex(pattern: Any) -> Any:
    is_bytes = isinstance(pattern, bytes | bytearray)
    text = pattern.decode("latin-1") if is_bytes else pattern
    out, i = [], 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            if i + 1 == len(text):
                raise BigQueryError("LIKE pattern ends with a backslash")
            out.append(re.escape(text[i + 1]))
            i += 2
            continue
        out.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        i += 1
    regex = "".join(out)
    return re.compile(regex.encode("latin-1") if is_bytes else regex, re.DOTALL)


@duckdb_python("bytes_like", ["BLOB", "BLOB"], "BOOLEAN")
def bytes_like(value: bytes, pattern: bytes) -> bool:
    """``bytes LIKE pattern``: ``%`` any bytes, ``_`` one byte, ``\\`` escapes the next byte."""
    return _like_regex(bytes(pattern)).fullmatch(bytes(value)) is not None


@duckdb_python("split_substr_parts", ["VARCHAR", "VARCHAR", "BIGINT", "BIGINT"], "VARCHAR")
def split_substr_parts(value: str, delimiter: str, start: int, count: int) -> str:
    """The parts of ``SPLIT_SUBSTR``: ``count`` parts of ``value`` split at ``delimiter`` (left to right, not
    overlapping) from part ``start`` (1 is the first, 0 counts as 1, a negative one counts from the end and
    stops at the first), joined with the delimiter; past the last part, ``''``."""
    if not delimiter:
        raise BigQueryError("Delimiter of SPLIT_SUBSTR cannot be empty")
    if count < 0:
        raise BigQueryError("Number of parts in SPLIT_SUBSTR cannot be negative")
    parts = value.split(delimiter)
    first = max(start, 1) - 1 if start >= 0 else max(len(parts) + start, 0)
    return delimiter.join(parts[first:first + count])


duckdb_macro("split_substr", """``SPLIT_SUBSTR(value, delimiter, start[, count])``: the substring of ``count``
parts (to the end without it) of ``value`` split at ``delimiter``, from part ``start`` (1 is the first, 0 counts
as 1, negative from the end); NULL if an argument is NULL.""",
             "(s, d, p) AS dop_bq_split_substr_parts(s, d, p, 9223372036854775807)",
             "(s, d, p, n) AS dop_bq_split_substr_parts(s, d, p, n)")
