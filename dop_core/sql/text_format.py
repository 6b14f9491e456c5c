"""The rule for BigQuery's ``FORMAT(format_string, ...)`` (printf-style) on DuckDB."""

from __future__ import annotations

import re
from typing import Any

from sqlglot import exp

from dop_core.sql import UnsupportedSqlError, library
from dop_core.sql.inference import is_type, type_of
from dop_core.sql.rules import rule

#: one printf specification: flags, width, precision, conversion
_SPEC = re.compile(r"%(?P<flags>[-+ #0']*)(?P<width>\*|\d+)?(?:\.(?P<precision>\*|\d+))?(?P<conv>[a-zA-Z%])")
_INTEGERS = ("BIGINT", "INT", "SMALLINT", "TINYINT", "HUGEINT")
_NUMBERS = (*_INTEGERS, "DOUBLE", "FLOAT", "DECIMAL", "BIGDECIMAL")


@rule("duckdb")
def format_is_printf(tree: Any, target: str) -> Any:
    """``FORMAT('%d items, %5.2f', n, x)`` formats as BigQuery's printf does; sqlglot kept ``FORMAT``, which is
    DuckDB's ``{}``-style function: the format came back unchanged (``FORMAT('%d', 1)`` was ``'%d'``). It is
    DuckDB's ``printf``, with BigQuery's ``%t`` (the value's text, ``NULL`` for NULL) and ``%T`` (its SQL
    literal: a STRING quoted and escaped) and ``%f``/``%e``/``%g`` of integers. With a literal format the
    argument count and integer conversions of known non-integer values are BigQuery's errors (refused at
    translation); a format from a column is checked by DuckDB's ``printf`` at run time."""

    def fix(node: Any) -> Any:
        if not isinstance(node, exp.Format):
            return node
        fmt, args = node.this, list(node.expressions)
        if not (isinstance(fmt, exp.Literal) and fmt.is_string):
            return exp.func("printf", fmt, *args)
        return exp.func("printf", *_literal_format(target, fmt.this, args))

    return tree.transform(fix)


def _literal_format(target: str, text: str, args: list[Any]) -> list[Any]:
    out: list[tuple[int, int, str]] = []
    values: list[Any] = []
    for match in _SPEC.finditer(text):
        conv = match["conv"]
        spec = match.group()
        if conv == "%":
            continue
        for part in (match["width"], match["precision"]):
            if part == "*":
                values.append(_take(args, len(values), text))
        value = _take(args, len(values), text)
        if conv in "diouxX":
            if not _unknown(value) and not is_type(value, *_INTEGERS):
                raise _error(f"the value for {spec} is not an INT64")
        elif conv in "fFeEgGaA" and is_type(value, *_INTEGERS):
            value = exp.cast(value, "DOUBLE")
        elif conv in "tT":
            text_of = library.call(target, "string_literal", value) if conv == "T" and is_type(
                value, "TEXT", "VARCHAR") else exp.cast(value, "VARCHAR")
            if conv == "T" and not is_type(value, "TEXT", "VARCHAR", *_NUMBERS, "BOOLEAN"):
                raise _error(f"{spec} of a value that is not a STRING, number or BOOL")
            value = exp.Coalesce(this=text_of, expressions=[exp.Literal.string("NULL")])
            spec = spec[:-1] + "s"
        values.append(value)
        out.append((match.start(), match.end(), spec))
    if len(values) != len(args):
        raise _error(f"{len(args)} values for {len(values)} in the format {text!r}")
    pieces, pos = [], 0
    for start, end, spec in out:
        pieces += [text[pos:start], spec]
        pos = end
    return [exp.Literal.string("".join(pieces) + text[pos:]), *values]


def _unknown(value: Any) -> bool:
    typ = type_of(value)
    return typ is None or typ.this.name in ("UNKNOWN", "NULL")


def _take(args: list[Any], index: int, text: str) -> Any:
    if index >= len(args):
        raise _error(f"too few values for the format {text!r}")
    return args[index]


def _error(what: str) -> UnsupportedSqlError:
    return UnsupportedSqlError(f"FORMAT with {what} is BigQuery's error", construct="FORMAT")
