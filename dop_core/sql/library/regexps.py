"""BigQuery's regular expression functions where DuckDB has none or counts differently: all of them on
BYTES (DuckDB's take only VARCHAR), ``REGEXP_INSTR`` (sqlglot's emulation counted positions wrongly) and
``REGEXP_MATCH``. Written with Python's ``re``, which reads RE2's common syntax alike (classes, groups,
repetition, anchors); a pattern ``re`` cannot compile is an error. A STRING counts characters, BYTES bytes.
"""

from __future__ import annotations

import re
from typing import Any

from dop_core.sql.library import BigQueryError, duckdb_python


def _compile(pattern: Any) -> re.Pattern[Any]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise BigQueryError(f"Cannot parse regular expression: {exc}") from None


def _one_group(rx: re.Pattern[Any]) -> int:
    if rx.groups > 1:
        raise BigQueryError("Regular expressions passed into extraction functions must not have more than 1 "
                            "capturing group")
    return rx.groups


def _matches(value: Any, rx: re.Pattern[Any], start: int = 0) -> list[re.Match[Any]]:
    """Non-overlapping matches from ``start``, as BigQuery finds them: after an empty match the next search
    starts one further on, and none starts at the end of a non-empty input."""
    out, pos = [], start
    while pos <= len(value):
        match = rx.search(value, pos)
        if match is None:
            break
        out.append(match)
        pos = match.end() if match.end() > match.start() else match.end() + 1
        if pos >= len(value) and len(value) > 0:
            break
    return out


def _position(value: Any, position: int, occurrence: int) -> None:
    if position <= 0:
        raise BigQueryError("Invalid position argument: must be positive")
    if occurrence <= 0:
        raise BigQueryError("Invalid occurrence argument: must be positive")


def regexp_contains(value: Any, pattern: Any) -> bool:
    """``REGEXP_CONTAINS(bytes, regexp)``: whether the pattern matches a part of the value."""
    return _compile(pattern).search(value) is not None


def regexp_match(value: Any, pattern: Any) -> bool:
    """``REGEXP_MATCH(value, regexp)``: whether the pattern matches the whole value."""
    return _compile(pattern).fullmatch(value) is not None


def regexp_extract(value: Any, pattern: Any, position: int = 1, occurrence: int = 1) -> Any:
    """``REGEXP_EXTRACT(bytes, regexp[, position[, occurrence]])``: the occurrence-th match from the position
    (its capturing group if it has one; more than one is an error), NULL if there is none."""
    if value is None or pattern is None or position is None or occurrence is None:
        return None
    rx = _compile(pattern)
    group = _one_group(rx)
    _position(value, position, occurrence)
    found = _matches(value, rx, position - 1) if position - 1 <= len(value) else []
    return found[occurrence - 1].group(group) if len(found) >= occurrence else None


def regexp_extract_all(value: Any, pattern: Any) -> list[Any]:
    """``REGEXP_EXTRACT_ALL(bytes, regexp)``: every non-overlapping match (its capturing group if it has one),
    an empty match once per position but not at the end."""
    rx = _compile(pattern)
    group = _one_group(rx)
    return [m.group(group) for m in _matches(value, rx)]


def regexp_replace(value: Any, pattern: Any, replacement: Any) -> Any:
    """``REGEXP_REPLACE(bytes, regexp, replacement)``: every match replaced (``\\1`` is the first group)."""
    return _compile(pattern).sub(replacement, value)


def regexp_instr(value: Any, pattern: Any, position: int, occurrence: int, end: int) -> int:
    """``REGEXP_INSTR(value, regexp[, position[, occurrence[, occurrence_position]]])``: the 1-based position
    of the occurrence-th match from the position (of its capturing group if it has one), or just after it when
    occurrence_position is 1; 0 when there is none or the pattern is empty; a position or occurrence below 1 is
    an error."""
    rx = _compile(pattern)
    group = _one_group(rx)
    _position(value, position, occurrence)
    if end not in (0, 1):
        raise BigQueryError("Invalid occurrence_position argument: must be 0 or 1")
    if not pattern or position - 1 > len(value):
        return 0
    found = _matches(value, rx, position - 1)
    if len(found) < occurrence:
        return 0
    match = found[occurrence - 1]
    return (match.end(group) if end else match.start(group)) + 1


duckdb_python("regexp_instr", ["VARCHAR", "VARCHAR", "BIGINT", "BIGINT", "BIGINT"], "BIGINT")(regexp_instr)
duckdb_python("bytes_regexp_instr", ["BLOB", "BLOB", "BIGINT", "BIGINT", "BIGINT"], "BIGINT")(regexp_instr)
duckdb_python("bytes_regexp_match", ["BLOB", "BLOB"], "BOOLEAN")(regexp_match)
duckdb_python("bytes_regexp_contains", ["BLOB", "BLOB"], "BOOLEAN")(regexp_contains)
duckdb_python("bytes_regexp_extract", ["BLOB", "BLOB", "BIGINT", "BIGINT"], "BLOB", nulls=True)(regexp_extract)
duckdb_python("bytes_regexp_extract_all", ["BLOB", "BLOB"], "BLOB[]")(regexp_extract_all)
duckdb_python("bytes_regexp_replace", ["BLOB", "BLOB", "BLOB"], "BLOB")(regexp_replace)
