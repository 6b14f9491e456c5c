"""Rules for BigQuery's string and bytes functions: BigQuery's positions, errors and BYTES overloads.

Each function is translated by the BigQuery type of its first argument (``dop_core.sql.inference``): on
BYTES it becomes the library's ``bytes_*`` function (DuckDB has few functions for BLOB); on STRING, where
DuckDB's function means something else, the library's STRING version. An argument whose type is not known
is taken as a STRING (BigQuery's usual case), so the native function stays.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dop_core.sql import UnsupportedSqlError, library
from dop_core.sql.inference import TYPE, is_type
from dop_core.sql.rules import Over, rewrite_aggregates, rule

BIG = exp.Literal.number(9223372036854775807)


def _bytes(*nodes: Any) -> bool:
    """Whether one of ``nodes`` (a function's value arguments) is BYTES: BigQuery picks the BYTES overload
    then (a NULL literal beside it is a BYTES NULL)."""
    return any(is_type(node, "BINARY", "VARBINARY", "BLOB") for node in nodes)


def _string(node: Any) -> bool:
    return is_type(node, "TEXT", "VARCHAR")


def _string_null(node: Any) -> Any:
    """A NULL literal argument as a STRING NULL (DuckDB would pick a BLOB overload for an untyped NULL)."""
    if isinstance(node, exp.Null):
        return exp.Cast(this=node, to=exp.DataType.build("VARCHAR"))
    return node


def _native(name: str, *args: Any) -> Any:
    """A call of the engine's own function ``name`` (not a BigQuery function sqlglot would translate)."""
    return exp.Anonymous(this=name, expressions=list(args))


def _bytes_literal(text: str) -> Any:
    return exp.Cast(this=exp.Literal.string(text), to=exp.DataType.build("BLOB"))


def _aggregated(value: Any) -> Any:
    """The value an aggregate's argument aggregates, under DISTINCT, ORDER BY and LIMIT."""
    while isinstance(value, exp.Distinct | exp.Order | exp.Limit):
        value = value.expressions[0] if isinstance(value, exp.Distinct) else value.this
    return value


class _Translator:
    def __init__(self, target: str):
        self.target = target

    def call(self, name: str, *args: Any) -> Any:
        if not library.has(self.target, name):
            raise UnsupportedSqlError(f"{name.upper().replace('BYTES_', '')} on BYTES cannot be expressed on "
                                      f"{self.target}", construct=name.upper().replace("BYTES_", ""))
        return library.call(self.target, name, *args)

    # one method per sqlglot expression: the node, or its replacement
    def substring(self, node: Any) -> Any:
        value, start, length = node.this, node.args.get("start"), node.args.get("length")
        if _bytes(value):
            return self.call("bytes_substr", value, start, length or BIG.copy())
        return self.call("substr", _string_null(value), start, *([length] if length is not None else []))

    def left(self, node: Any) -> Any:
        return self._side(node, "left")

    def right(self, node: Any) -> Any:
        return self._side(node, "right")

    def _side(self, node: Any, side: str) -> Any:
        prefix = "bytes_" if _bytes(node.this) else ""
        return self.call(prefix + side, _string_null(node.this), node.expression)

    def pad(self, node: Any) -> Any:
        side = "lpad" if node.args.get("is_left") else "rpad"
        fill = node.args.get("fill_pattern")
        if _bytes(node.this, fill):
            return self.call("bytes_" + side, node.this, node.expression, fill or _bytes_literal(" "))
        return self.call(side, _string_null(node.this), node.expression, fill or exp.Literal.string(" "))

    def repeat(self, node: Any) -> Any:
        return self.call("repeat", _string_null(node.this), node.args["times"])

    def strposition(self, node: Any) -> Any:
        position, occurrence = node.args.get("position"), node.args.get("occurrence")
        one = exp.Literal.number(1)
        if _bytes(node.this, node.args["substr"]):
            return self.call("bytes_instr", node.this, node.args["substr"], position or one, occurrence or one.copy())
        if position is None and occurrence is None:
            return node
        return self.call("instr", _string_null(node.this), node.args["substr"], position or one,
                         occurrence or one.copy())

    def upper(self, node: Any) -> Any:
        return self.call("bytes_upper", node.this) if _bytes(node.this) else node

    def lower(self, node: Any) -> Any:
        return self.call("bytes_lower", node.this) if _bytes(node.this) else node

    def reverse(self, node: Any) -> Any:
        return self.call("bytes_reverse", node.this) if _bytes(node.this) else node

    def ascii(self, node: Any) -> Any:
        return self.call("bytes_ascii" if _bytes(node.this) else "ascii", _string_null(node.this))

    def unicode(self, node: Any) -> Any:
        return self.call("unicode", node.this)

    def startswith(self, node: Any) -> Any:
        return self.call("bytes_starts_with", node.this, node.expression) if _bytes(node.this, node.expression) \
            else node

    def endswith(self, node: Any) -> Any:
        return self.call("bytes_ends_with", node.this, node.expression) if _bytes(node.this, node.expression) \
            else node

    def trim(self, node: Any) -> Any:
        if not _bytes(node.this, node.expression):
            return node
        position = (node.args.get("position") or "BOTH").upper()
        name = {"LEADING": "bytes_ltrim", "TRAILING": "bytes_rtrim"}.get(position, "bytes_trim")
        return self.call(name, node.this, node.expression or _bytes_literal(" "))

    def replace(self, node: Any) -> Any:
        if not _bytes(node.this, node.expression, node.args.get("replacement")):
            return node
        return self.call("bytes_replace", node.this, node.expression, node.args["replacement"])

    def translate(self, node: Any) -> Any:
        name = "bytes_translate" if _bytes(node.this, node.args["from_"], node.args["to"]) else "translate"
        return self.call(name, _string_null(node.this), node.args["from_"], node.args["to"])

    def split(self, node: Any) -> Any:
        if _bytes(node.this, node.expression):
            return self.call("bytes_split", node.this, node.expression or _bytes_literal(","))
        return self.call("split", _string_null(node.this), node.expression or exp.Literal.string(","))

    def bytelength(self, node: Any) -> Any:
        if _bytes(node.this):
            return node
        return _native("strlen", _string_null(node.this))

    def like(self, node: Any) -> Any:
        pattern = node.expression
        if _bytes(node.this, pattern):
            return self.call("bytes_like", node.this, pattern)
        if isinstance(pattern, exp.Literal) and "\\" not in pattern.this:
            return node
        return exp.Escape(this=node, expression=exp.Literal.string("\\"))

    def groupconcat(self, node: Any, over: Over) -> Any:
        if not _bytes(_aggregated(node.this)):
            return node
        return self.call("bytes_join", over(exp.ArrayAgg(this=node.this)),
                         node.args.get("separator") or _bytes_literal(","))

    def cast(self, node: Any) -> Any:
        if node.args.get("format") is not None:
            return node
        to = node.to
        source = node.this
        if to.is_type("VARBINARY", "BINARY", "BLOB") and (_string(source) or (
                isinstance(source, exp.Literal) and source.is_string)):
            return self._try(node, _native("encode", source))
        if to.is_type("TEXT", "VARCHAR") and _bytes(source):
            return self._try(node, _native("decode", source))
        return node

    def _try(self, node: Any, converted: Any) -> Any:
        return exp.func("TRY", converted) if isinstance(node, exp.TryCast) else converted


_METHODS: dict[type, str] = {
    exp.Substring: "substring", exp.Left: "left", exp.Right: "right", exp.Pad: "pad", exp.Repeat: "repeat",
    exp.StrPosition: "strposition", exp.Upper: "upper", exp.Lower: "lower", exp.Reverse: "reverse",
    exp.Ascii: "ascii", exp.Unicode: "unicode", exp.StartsWith: "startswith", exp.EndsWith: "endswith",
    exp.Trim: "trim", exp.Replace: "replace", exp.Translate: "translate", exp.Split: "split",
    exp.ByteLength: "bytelength", exp.Like: "like", exp.GroupConcat: "groupconcat", exp.Cast: "cast",
    exp.TryCast: "cast",
}


@rule("duckdb")
def string_functions_keep_bigquery_semantics(tree: Any, target: str) -> Any:
    """BigQuery's string functions on STRING and BYTES: ``SUBSTR`` with BigQuery's positions (0 counts as 1,
    negative from the end) and an error for a negative length; ``LEFT``/``RIGHT``/``LPAD``/``RPAD``/``REPEAT``
    with BigQuery's errors; ``INSTR`` with a position and an occurrence; ``ASCII``/``UNICODE`` of an empty
    string is 0; ``TRANSLATE`` refuses repeated characters; ``SPLIT`` of an empty string is one empty part;
    ``BYTE_LENGTH`` of a STRING counts UTF-8 bytes; ``LIKE`` patterns escape with a backslash. On BYTES
    (``UPPER``, ``LOWER``, ``SUBSTR``, ``TRIM``, ``REPLACE``, ``SPLIT``, ``STRPOS``, ``LIKE``,
    ``STRING_AGG``...) the library's byte-wise functions; ``CAST(string AS BYTES)`` is its UTF-8 encoding and
    ``CAST(bytes AS STRING)`` fails on invalid UTF-8 (``SAFE_CAST`` gives NULL). DuckDB has no BLOB overloads
    of these, and its STRING ones count positions, pad and split differently."""
    translator = _Translator(target)

    def change(node: Any, over: Over) -> Any:
        method = _METHODS.get(type(node))
        if method is None:
            return node
        new = translator.groupconcat(node, over) if method == "groupconcat" else getattr(translator, method)(node)
        if new is not node and TYPE in node.meta:
            new.meta[TYPE] = node.meta[TYPE]
        return new

    return rewrite_aggregates(tree, change)



@rule("duckdb", "postgres")
def concat_casts_values_to_string(tree: Any, target: str) -> Any:
    """``CONCAT`` of values that are not STRING or BYTES (a NUMERIC, a DATE, a TIMESTAMP...) joins their
    STRING casts, BigQuery's text of each value; with one argument the result is still a STRING (sqlglot
    wrote ``CONCAT(x)`` as ``x``, the value in its own type). Each argument known to be of another type
    is cast to STRING (and so gets the casts' rules)."""
    for node in list(tree.find_all(exp.Concat)):
        for argument in list(node.expressions):
            typ = argument.meta.get(TYPE)
            if typ is not None and typ.this.name not in ("TEXT", "VARCHAR", "BINARY", "VARBINARY", "UNKNOWN", "NULL"):
                cast = exp.Cast(this=argument.copy(), to=exp.DataType.build("STRING", dialect="bigquery"))
                argument.replace(cast)
    return tree
