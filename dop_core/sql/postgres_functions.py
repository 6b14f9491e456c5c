"""Rules for BigQuery functions PostgreSQL lacks, spelled with its own functions and operators."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dop_core.sql import UnsupportedSqlError, library
from dop_core.sql.inference import is_type
from dop_core.sql.rules import Over, rewrite_aggregates, rule


def _float(text: str) -> Any:
    return exp.Cast(this=exp.Literal.string(text), to=exp.DataType.build("DOUBLE"))


@rule("postgres")
def functions_postgresql_spells_otherwise(tree: Any, target: str) -> Any:
    """``IS_NAN(x)`` is ``x = 'NaN'``, ``IS_INF(x)`` is ``abs(x) = 'Infinity'`` (PostgreSQL's NaN equals
    itself); ``APPROX_COUNT_DISTINCT(x)`` is the exact ``COUNT(DISTINCT x)``; ``ANY_VALUE(x)`` is one of the
    group's values: ``MIN`` (``BOOL_OR`` for BOOL), which PostgreSQL 15 has where it lacks ``any_value``;
    ``ARRAY_LENGTH(a)`` is ``cardinality(a)`` (0 for an empty array, where ``array_length(a, 1)`` is NULL);
    ``MIN``/``MAX`` of BOOL are ``BOOL_AND``/``BOOL_OR`` and of BYTES the library's ``min_bytes``/``max_bytes``
    (PostgreSQL has neither)."""

    def change(node: Any, over: Over) -> Any:
        if isinstance(node, exp.IsNan):
            return exp.Paren(this=exp.EQ(this=node.this, expression=_float("NaN")))
        if isinstance(node, exp.IsInf):
            return exp.Paren(this=exp.EQ(this=exp.Abs(this=node.this), expression=_float("Infinity")))
        if isinstance(node, exp.ArraySize):
            return exp.Anonymous(this="cardinality", expressions=[node.this])
        if isinstance(node, exp.Min | exp.Max) and not node.expressions and is_type(node.this, "BOOLEAN"):
            return over((exp.LogicalAnd if isinstance(node, exp.Min) else exp.LogicalOr)(this=node.this))
        if isinstance(node, exp.Min | exp.Max) and not node.expressions and \
                is_type(node.this, "BINARY", "VARBINARY", "BLOB"):
            return over(library.call(target, "min_bytes" if isinstance(node, exp.Min) else "max_bytes", node.this))
        if isinstance(node, exp.ApproxDistinct):
            return over(exp.Count(this=exp.Distinct(expressions=[node.this])))
        if isinstance(node, exp.AnyValue):
            function = exp.LogicalOr if is_type(node.this, "BOOLEAN") else exp.Min
            return over(function(this=node.this))
        return node

    return rewrite_aggregates(tree, change)


@rule("postgres")
def split_on_postgresql(tree: Any, target: str) -> Any:
    """``SPLIT(string[, delimiter])``: the parts between delimiters (',' by default); an empty delimiter
    splits into characters, an empty string is one empty part, a NULL delimiter gives NULL. PostgreSQL's
    ``string_to_array`` differs at each of these: a ``CASE`` picks BigQuery's answer. BYTES are refused."""

    def fix(node: Any) -> Any:
        if not isinstance(node, exp.Split):
            return node
        if is_type(node.this, "BINARY", "VARBINARY", "BLOB"):
            raise UnsupportedSqlError("SPLIT of BYTES cannot be expressed on postgres", construct="SPLIT")
        value, delimiter = node.this, node.expression or exp.Literal.string(",")
        text = exp.DataType.build("TEXT")
        characters = exp.Anonymous(this="regexp_split_to_array", expressions=[value.copy(), exp.Literal.string("")])
        return exp.Case(ifs=[
            exp.If(this=exp.Is(this=delimiter.copy(), expression=exp.Null()), true=exp.Null()),
            exp.If(this=exp.EQ(this=value.copy(), expression=exp.Literal.string("")),
                   true=exp.Array(expressions=[exp.Cast(this=exp.Literal.string(""), to=text)])),
            exp.If(this=exp.EQ(this=delimiter.copy(), expression=exp.Literal.string("")), true=characters),
        ], default=exp.Anonymous(this="string_to_array", expressions=[value, delimiter]))

    return tree.transform(fix)


@rule("postgres")
def array_concat_agg_on_postgresql(tree: Any, target: str) -> Any:
    """``ARRAY_CONCAT_AGG(a [ORDER BY ...])`` (also over a window) is the library's aggregate (PostgreSQL
    has none); with ``LIMIT n`` (the first n arrays) it is refused."""
    for node in list(tree.find_all(exp.ArrayConcatAgg)):
        if isinstance(node.this, exp.Limit):
            raise UnsupportedSqlError("ARRAY_CONCAT_AGG with LIMIT cannot be expressed on postgres",
                                      construct="ARRAY_CONCAT_AGG")
        node.replace(library.call(target, "array_concat_agg", node.this.copy()))
    return tree


@rule("postgres")
def case_of_bytes_on_postgresql(tree: Any, target: str) -> Any:
    """``UPPER``/``LOWER`` of BYTES change the case of the ASCII letters only: the library's
    ``upper_bytes``/``lower_bytes`` (PostgreSQL's ``upper``/``lower`` take text only)."""
    for node in list(tree.find_all(exp.Upper, exp.Lower)):
        if is_type(node.this, "BINARY", "VARBINARY", "BLOB"):
            name = "upper_bytes" if isinstance(node, exp.Upper) else "lower_bytes"
            node.replace(library.call(target, name, node.this.copy()))
    return tree


@rule("postgres")
def bytes_and_strings_convert_as_utf8(tree: Any, target: str) -> Any:
    """``CAST(bytes AS STRING)`` decodes UTF-8 (an error for invalid UTF-8) and ``CAST(string AS BYTES)``
    encodes it; PostgreSQL's casts wrote the bytes' hex text (``'\\xe282ac'``) and read backslashes in the
    string as escapes: ``convert_from``/``convert_to`` with 'UTF8'. ``BYTE_LENGTH`` of either is
    ``octet_length`` (PostgreSQL has no ``byte_length``)."""
    utf8 = exp.Literal.string("UTF8")
    for node in list(tree.find_all(exp.Cast, exp.ByteLength)):
        if isinstance(node, exp.ByteLength):
            node.replace(exp.Anonymous(this="octet_length", expressions=[node.this.copy()]))
        elif type(node) is exp.Cast and node.args.get("format") is None:
            if node.to.this in _TEXT and is_type(node.this, "BINARY", "VARBINARY", "BLOB"):
                node.replace(exp.Anonymous(this="convert_from", expressions=[node.this.copy(), utf8.copy()]))
            elif node.to.this in _BYTES and is_type(node.this, "TEXT", "VARCHAR"):
                node.replace(exp.Anonymous(this="convert_to", expressions=[node.this.copy(), utf8.copy()]))
    return tree


@rule("postgres")
def substr_positions_as_bigquery(tree: Any, target: str) -> Any:
    """``SUBSTR(value, position[, length])`` of STRING or BYTES: position 0 is 1, a negative position
    counts from the end (before the start: from the start). PostgreSQL's ``substr`` counts a position
    below 1 as characters before the value (``substr('abc', 0, 1)`` is ``''``); the position is mapped."""
    for node in list(tree.find_all(exp.Substring)):
        start = node.args.get("start")
        if start is None or (isinstance(start, exp.Literal) and start.is_int and int(start.this) > 0):
            continue
        length = exp.Anonymous(this="length", expressions=[node.this.copy()])
        from_end = exp.func("GREATEST", exp.Add(this=exp.Add(this=length, expression=start.copy()),
                                                expression=exp.Literal.number(1)), exp.Literal.number(1))
        start.replace(exp.Case(ifs=[
            exp.If(this=exp.GT(this=start.copy(), expression=exp.Literal.number(0)), true=start.copy()),
            exp.If(this=exp.EQ(this=start.copy(), expression=exp.Literal.number(0)), true=exp.Literal.number(1))],
            default=from_end))
    return tree


@rule("postgres")
def distinct_aggregates_over_a_window(tree: Any, target: str) -> Any:
    """``COUNT(DISTINCT x) OVER (PARTITION BY ...)`` (BigQuery allows DISTINCT with a PARTITION BY only)
    counts the partition's distinct values: the library's ``count_distinct`` of the window's
    ``array_agg(x)``, and ``SUM``/``AVG`` sum or average them likewise (the aggregate rules cast the result
    to BigQuery's type); ``MIN``/``MAX`` of DISTINCT values are the plain ones. PostgreSQL has no DISTINCT in a window
    function."""
    for window in list(tree.find_all(exp.Window)):
        aggregate = window.this
        if not isinstance(aggregate, exp.AggFunc) or not isinstance(aggregate.this, exp.Distinct) or \
                len(aggregate.this.expressions) != 1:
            continue
        value = aggregate.this.expressions[0].copy()
        if isinstance(aggregate, exp.Min | exp.Max):
            aggregate.set("this", value)
        elif isinstance(aggregate, exp.Count | exp.Sum | exp.Avg):
            values = window.copy()
            values.set("this", exp.ArrayAgg(this=value))
            name = {exp.Count: "count", exp.Sum: "sum", exp.Avg: "avg"}[type(aggregate)]
            window.replace(library.call(target, f"{name}_distinct", values))
    return tree


@rule("postgres")
def percentile_cont_over_a_window(tree: Any, target: str) -> Any:
    """``PERCENTILE_CONT(value, p [IGNORE NULLS|RESPECT NULLS]) OVER (PARTITION BY ...)`` as GoogleSQL
    computes it (NaN first, ``left * (1 - f) + right * f``, NUMERIC for NUMERIC values): the library's
    ``percentile_cont`` of the window's ``array_agg`` (BIGNUMERIC refused). PostgreSQL's ``percentile_cont``
    takes no OVER."""

    def change(node: Any, over: Over) -> Any:
        respect = isinstance(node, exp.RespectNulls)
        inner = node.this if isinstance(node, exp.RespectNulls | exp.IgnoreNulls) else node
        if not isinstance(inner, exp.PercentileCont) or inner.expression is None or over(inner) is inner:
            return node
        if is_type(inner.this, "BIGDECIMAL"):
            raise UnsupportedSqlError("PERCENTILE_CONT of BIGNUMERIC over a window cannot be expressed on postgres",
                                      construct="PERCENTILE_CONT")
        numeric = is_type(inner.this, "DECIMAL")
        kind = exp.DataType.build("DECIMAL" if numeric else "DOUBLE")
        values = over(exp.ArrayAgg(this=exp.Cast(this=inner.this, to=kind)))
        return library.call(target, "percentile_cont", values, exp.Cast(this=inner.expression, to=kind.copy()),
                            exp.Boolean(this=respect))

    return rewrite_aggregates(tree, change)


_TEXT = (exp.DataType.Type.TEXT, exp.DataType.Type.VARCHAR)
_BYTES = (exp.DataType.Type.VARBINARY, exp.DataType.Type.BINARY)
