"""Rules that raise the errors BigQuery raises on constant arguments, where the engines return a result.

Each one looks at the SQL as written (they run before every other rule) and raises
``UnsupportedSqlError`` with BigQuery's message, naming the construct (so ``dop validate`` shows its
line). Arguments that are not
constants are left to the engine.
"""

from __future__ import annotations

import math
from typing import Any

from sqlglot import exp

from dop_core.sql import UnsupportedSqlError
from dop_core.sql.rules import rule

#: a constant argument whose value is not known from the SQL
_UNKNOWN = object()
#: BigQuery's numbering and navigation functions, which take no window frame
_NO_FRAME = {exp.Lag: "LAG", exp.Lead: "LEAD", exp.RowNumber: "ROW_NUMBER", exp.Rank: "RANK",
             exp.DenseRank: "DENSE_RANK", exp.PercentRank: "PERCENT_RANK", exp.CumeDist: "CUME_DIST",
             exp.Ntile: "NTILE", exp.PercentileCont: "PERCENTILE_CONT", exp.PercentileDisc: "PERCENTILE_DISC"}


def _value(node: Any) -> Any:
    """The value of a constant argument: None for NULL, a number, or ``_UNKNOWN``."""
    while isinstance(node, exp.Paren | exp.Cast | exp.TryCast):
        node = node.this
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Neg):
        value = _value(node.this)
        return -value if isinstance(value, int | float) else _UNKNOWN
    if isinstance(node, exp.Anonymous) and node.name.upper() == "IEEE_DIVIDE" and len(node.expressions) == 2:
        x, y = (_value(argument) for argument in node.expressions)
        if not isinstance(x, int | float) or not isinstance(y, int | float):
            return _UNKNOWN if _UNKNOWN in (x, y) else None
        return x / y if y else math.copysign(math.inf, x) if x else math.nan
    if isinstance(node, exp.Literal):
        try:
            return int(node.this) if not node.is_string and node.this.isdigit() else float(node.this)
        except ValueError:
            return _UNKNOWN
    return _UNKNOWN


@rule("duckdb", "postgres")
def window_function_arguments_are_checked(tree: Any, target: str) -> Any:
    """BigQuery refuses what the engines compute something for: a NULL or negative offset of ``LAG``/
    ``LEAD``, a default of theirs that is not constant, a NULL or non-positive N of ``NTH_VALUE`` and
    ``NTILE``, a window frame for a numbering or navigation function (``ROW_NUMBER``, ``RANK``, ``LAG``,
    ``NTILE``, ``PERCENTILE_CONT``...; also through a named window), and a frame offset that is NULL,
    negative or NaN. Each is an error with BigQuery's message."""
    for window in tree.find_all(exp.Window):
        function = window.this
        name = _NO_FRAME.get(type(function))
        if isinstance(function, exp.Lag | exp.Lead):
            _check_offset(function.args.get("offset"), name or "")
            default = function.args.get("default")
            if default is not None and default.find(exp.Column) is not None:
                raise UnsupportedSqlError(f"The third argument (the default expression) to {name} must be constant",
                                          construct=name)
        if isinstance(function, exp.NthValue | exp.Ntile):
            n = _value(function.args.get("offset") if isinstance(function, exp.NthValue) else function.this)
            what = "NTH_VALUE" if isinstance(function, exp.NthValue) else "NTILE"
            if n is None or (n is not _UNKNOWN and n <= 0):
                raise UnsupportedSqlError(f"The N value for the {what} function must be positive (not NULL)",
                                          construct=what)
        spec = _frame(window)
        if spec is not None and name is not None:
            raise UnsupportedSqlError(f"Window framing clause is not allowed for analytic function {name.lower()}",
                                      construct=name)
        for side in ("start", "end"):
            bound = spec.args.get(side) if spec is not None else None
            offset = _value(bound) if isinstance(bound, exp.Expression) and not isinstance(bound, exp.Var) else 0
            if offset is None or (offset is not _UNKNOWN and (offset < 0 or math.isnan(offset))):
                direction = str(spec.args.get(f"{side}_side") or "FOLLOWING").upper()
                raise UnsupportedSqlError("Window frame offset for PRECEDING or FOLLOWING must be non-negative and "
                                          f"not NULL, but was {'NULL' if offset is None else offset}",
                                          construct=direction)
    return tree


def _check_offset(offset: Any, name: str) -> None:
    value = _value(offset) if offset is not None else 1
    if value is None:
        raise UnsupportedSqlError(f"The offset to the function {name} must not be null", construct=name)
    if value is not _UNKNOWN and value < 0:
        raise UnsupportedSqlError(f"The offset to the function {name} must not be negative", construct=name)


def _frame(window: Any) -> Any:
    """The window's frame (``ROWS``/``RANGE ...``), its own or its named window's."""
    spec = window.args.get("spec")
    if spec is not None or window.args.get("alias") is None:
        return spec
    select = window.find_ancestor(exp.Select)
    for named in (select.args.get("windows") or []) if select is not None else []:
        if named.this.name.lower() == window.args["alias"].name.lower():
            return named.args.get("spec")
    return None


@rule("duckdb", "postgres")
def limit_is_not_null(tree: Any, target: str) -> Any:
    """``LIMIT`` and ``OFFSET`` need a count that is not NULL and not negative (BigQuery's error; the
    engines read a NULL as no limit)."""
    for clause in tree.find_all(exp.Limit, exp.Offset):
        value = _value(clause.expression)
        if value is None or (value is not _UNKNOWN and value < 0):
            word = "LIMIT" if isinstance(clause, exp.Limit) else "OFFSET"
            raise UnsupportedSqlError("Limit requires non-null, non-negative count and offset", construct=word)
    return tree


@rule("duckdb", "postgres")
def literal_null_operands_are_errors(tree: Any, target: str) -> Any:
    """``1 + NULL``, ``NULL * x``, ``NOT NULL``: BigQuery refuses a literal NULL operand of an arithmetic
    operator or NOT ("Operands of + cannot be literal NULL"); the engines return NULL."""
    operators = {exp.Add: "+", exp.Sub: "-", exp.Mul: "*", exp.Div: "/", exp.Not: "NOT"}
    for node in tree.find_all(*operators):
        operands = [node.this] + ([node.expression] if isinstance(node, exp.Binary) else [])
        if any(isinstance(operand, exp.Null) for operand in operands):
            symbol = operators[type(node)]
            raise UnsupportedSqlError(f"Operands of {symbol} cannot be literal NULL", construct="NULL")
    return tree


@rule("duckdb", "postgres")
def string_agg_separator_is_not_null(tree: Any, target: str) -> Any:
    """``STRING_AGG(x, NULL)`` (a NULL constant separator) is BigQuery's error; the engines join without
    a separator or return NULL."""
    for node in tree.find_all(exp.GroupConcat):
        separator = node.args.get("separator")
        if separator is not None and _value(separator) is None:
            raise UnsupportedSqlError("Illegal NULL separator in STRING_AGG", construct="STRING_AGG")
    return tree


#: JSONPath modifiers BigQuery reads before the ``$``
_JSON_MODIFIERS = ("lax", "recursive")


@rule("duckdb", "postgres")
def json_path_modifiers_are_checked(tree: Any, target: str) -> Any:
    """A JSONPath (``JSON_QUERY(j, '$.a')`` and the other JSON functions) may start with BigQuery's
    modifiers ``lax`` and ``lax recursive`` before its ``$`` (each once; ``recursive`` needs ``lax``):
    other words there are BigQuery's error (a path sqlglot could not read stays text and is checked).
    The engines have no lax mode, which unwraps arrays along the path and
    returns every match as an array: a lax path is refused naming it (the engines returned NULL), except
    ``JSON_QUERY``'s on DuckDB (``json_query_lax_paths_from_the_library``)."""
    for node in tree.find_all(exp.Func):
        path = node.args.get("expression")
        if not type(node).__name__.upper().startswith("JSON") or not isinstance(path, exp.Literal) or \
                not path.is_string:
            continue
        words = path.this.split("$", 1)[0].lower().split()
        if len(set(words)) != len(words) or any(word not in _JSON_MODIFIERS for word in words):
            raise UnsupportedSqlError("JSONPath must start with zero or more unique modifiers followed by '$'",
                                      construct=words[0] if words else None)
        if words and "lax" not in words:
            raise UnsupportedSqlError("JSONPath has an invalid combination of modifiers: 'recursive' needs 'lax'",
                                      construct="recursive")
        if words and not (target == "duckdb" and isinstance(node, exp.JSONExtract)):  # JSON_QUERY: the library's
            raise UnsupportedSqlError(f"a JSONPath in {' '.join(words)} mode cannot be expressed on {target}",
                                      construct=words[0])
    return tree
