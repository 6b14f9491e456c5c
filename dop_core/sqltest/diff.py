"""Expected rows against the rows a test's SQL produced: missing, unexpected and changed rows.

Only the columns the expected rows name are compared (a key a row leaves out means NULL), in any order
unless the test says ``ordered: true``. Values compare as what they mean: ``1.5`` equals a NUMERIC
``1.500``, a float equals another to 12 significant digits, ``'2024-06-01'`` equals a DATE, and a
timestamp without a time zone is read as UTC. Rows are shown as YAML flow mappings, ready to paste
into ``expect``.
"""

from __future__ import annotations

import collections
import datetime as dt
import decimal
import json
import math
from collections.abc import Sequence
from typing import Any

import attrs

from dop_core.errors import did_you_mean

Row = dict[str, Any]


@attrs.frozen
class ChangedRow:
    """An expected row and the produced row most like it, with the columns that differ."""

    expected: Row
    actual: Row
    columns: tuple[str, ...]


@attrs.frozen
class RowDiff:
    """How the produced rows differ from the expected ones (``ok`` when they do not)."""

    compared: tuple[str, ...]
    #: columns the expected rows name that the output does not have
    unknown_columns: tuple[str, ...] = ()
    output_columns: tuple[str, ...] = ()
    missing: tuple[Row, ...] = ()
    unexpected: tuple[Row, ...] = ()
    changed: tuple[ChangedRow, ...] = ()
    expected_rows: int = 0
    actual_rows: int = 0

    @property
    def ok(self) -> bool:
        return not (self.unknown_columns or self.missing or self.unexpected or self.changed)


def compare(expected: Sequence[Row], columns: Sequence[str], rows: Sequence[Sequence[Any]], ordered: bool) -> RowDiff:
    """Compare ``expected`` rows with the output (``columns`` and ``rows``)."""
    by_lower = {c.lower(): c for c in columns}
    named = list(dict.fromkeys(k for row in expected for k in row))
    unknown = tuple(c for c in named if c.lower() not in by_lower)
    base = RowDiff(tuple(named), unknown, tuple(columns), expected_rows=len(expected), actual_rows=len(rows))
    if unknown:
        return base
    index = {c: list(columns).index(by_lower[c.lower()]) for c in named}
    actual = [{c: row[index[c]] for c in named} for row in rows]
    likes = {c: next((type(r[c]) for r in actual if r[c] is not None), None) for c in named}
    wanted = [{c: row.get(c) for c in named} for row in expected]

    def key(row: Row) -> tuple[Any, ...]:
        return tuple(canonical(row[c], likes[c]) for c in named)

    if ordered:
        changed, missing, unexpected = [], wanted[len(actual):], actual[len(wanted):]
        for want, got in zip(wanted, actual, strict=False):
            if key(want) != key(got):
                changed.append(ChangedRow(want, got, _differing(want, got, likes)))
        return attrs.evolve(base, missing=tuple(missing), unexpected=tuple(unexpected), changed=tuple(changed))
    left = collections.Counter(key(r) for r in actual)
    missing = []
    for want in wanted:
        k = key(want)
        if left[k] > 0:
            left[k] -= 1
        else:
            missing.append(want)
    unexpected = []
    for got in actual:
        k = key(got)
        if left[k] > 0:
            left[k] -= 1
            unexpected.append(got)
    pairs, missing, unexpected = _pair(missing, unexpected, likes)
    return attrs.evolve(base, missing=tuple(missing), unexpected=tuple(unexpected), changed=tuple(pairs))


def _differing(want: Row, got: Row, likes: dict[str, Any]) -> tuple[str, ...]:
    return tuple(c for c in want if canonical(want[c], likes[c]) != canonical(got[c], likes[c]))


def _pair(missing: list[Row], unexpected: list[Row], likes: dict[str, Any]
          ) -> tuple[list[ChangedRow], list[Row], list[Row]]:
    """Missing and unexpected rows that agree on at least half their columns, shown as one changed row."""
    pairs, alone, free = [], [], list(unexpected)
    for want in missing:
        best, best_same = None, 0
        for got in free:
            same = len(want) - len(_differing(want, got, likes))
            if same > best_same:
                best, best_same = got, same
        if best is not None and len(want) > 1 and best_same * 2 >= len(want):
            free.remove(best)
            pairs.append(ChangedRow(want, best, _differing(want, best, likes)))
        else:
            alone.append(want)
    return pairs, alone, free


def canonical(value: Any, like: type | None = None) -> Any:
    """A hashable stand-in for ``value`` equal to that of every value meaning the same; ``like`` is the type of
    the output's values in the column (a string compares as a date in a DATE column)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float | decimal.Decimal):
        return ("number", _number(value))
    if isinstance(value, dt.datetime):
        return ("timestamp", _utc(value).isoformat())
    if isinstance(value, dt.date):
        return ("date", value.isoformat())
    if isinstance(value, str) and like is not None and issubclass(like, dt.date):
        try:
            parsed: Any = dt.datetime.fromisoformat(value) if issubclass(like, dt.datetime) else \
                dt.date.fromisoformat(value)
        except ValueError:
            return ("text", value)
        return canonical(parsed)
    if isinstance(value, list | tuple):
        return ("list", tuple(canonical(v) for v in value))
    if isinstance(value, dict):
        return ("mapping", tuple(sorted((str(k), canonical(v)) for k, v in value.items())))
    return ("text", str(value))  # strings, and what YAML has no spelling of (UUID, time, interval...) as text


def _number(value: int | float | decimal.Decimal) -> Any:
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return decimal.Decimal(format(value, ".12g"))
    if isinstance(value, decimal.Decimal) and not value.is_finite():
        return str(value)
    return decimal.Decimal(value)


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is None else value.astimezone(dt.UTC).replace(tzinfo=None)


def show(value: Any) -> str:
    """``value`` as YAML writes it (strings double-quoted, so that ``"3"`` is not read as 3)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, int | float | dt.date):
        return str(value) if not isinstance(value, dt.date) else value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, dict):
        return show_row(value)
    return json.dumps(str(value), ensure_ascii=False)


def show_row(row: Row) -> str:
    return "{" + ", ".join(f"{k}: {show(v)}" for k, v in row.items()) + "}"


def describe(diff: RowDiff) -> list[str]:
    """The diff, one line each, for the text report."""
    if diff.unknown_columns:
        hints = [hint for c in diff.unknown_columns if (hint := did_you_mean(c, diff.output_columns))]
        return [f"the output has no column {', '.join(repr(c) for c in diff.unknown_columns)}"
                + (f" ({'; '.join(hints)})" if hints else "") + "; its columns: " + ", ".join(diff.output_columns)]
    lines = [f"expected {diff.expected_rows} row(s), got {diff.actual_rows} (compared: {', '.join(diff.compared)})"]
    for change in diff.changed:
        lines.append(f"~ {show_row(change.expected)}")
        lines += [f"    {c}: expected {show(change.expected[c])}, got {show(change.actual[c])}" for c in change.columns]
    lines += [f"- missing:    {show_row(row)}" for row in diff.missing]
    lines += [f"+ unexpected: {show_row(row)}" for row in diff.unexpected]
    return lines


def as_json(diff: RowDiff) -> dict[str, Any]:
    """The diff as plain JSON values (for ``--format json``)."""
    def row(r: Row) -> dict[str, Any]:
        return {k: _json(v) for k, v in r.items()}

    return {"compared": list(diff.compared), "unknown_columns": list(diff.unknown_columns),
            "output_columns": list(diff.output_columns), "expected_rows": diff.expected_rows,
            "actual_rows": diff.actual_rows, "missing": [row(r) for r in diff.missing],
            "unexpected": [row(r) for r in diff.unexpected],
            "changed": [{"expected": row(c.expected), "actual": row(c.actual), "columns": list(c.columns)}
                        for c in diff.changed]}


def _json(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    return show(value).strip('"') if isinstance(value, decimal.Decimal | dt.date) else str(value)
