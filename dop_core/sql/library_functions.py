"""The rule calling DOP's function library for BigQuery functions DuckDB lacks or computes differently."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dop_core.sql import library
from dop_core.sql.rules import rule

#: sqlglot's expression for a BigQuery function -> the library function with BigQuery's meaning
_BY_EXPRESSION: dict[type, str] = {
    exp.Cot: "cot", exp.Csc: "csc", exp.Sec: "sec", exp.Coth: "coth", exp.Csch: "csch", exp.Sech: "sech",
    exp.ArrayFirst: "array_first", exp.ArrayLast: "array_last", exp.ParseNumeric: "parse_numeric",
    exp.SafeConvertBytesToString: "safe_convert_bytes_to_string",
}
#: a BigQuery function sqlglot does not know (parsed by name) -> the library function
_BY_NAME = {"ARRAY_IS_DISTINCT": "array_is_distinct", "SPLIT_SUBSTR": "split_substr", "ERROR": "error"}


@rule("duckdb")
def functions_from_the_library(tree: Any, target: str) -> Any:
    """BigQuery functions DuckDB lacks or computes differently, as calls of DOP's library (its table below
    says what each keeps): ``COT``, ``CSC``, ``SEC``, ``COTH``, ``CSCH``, ``SECH`` (an error at the pole:
    DuckDB's ``cot(0)`` is ``inf``), ``ARRAY_FIRST``/``ARRAY_LAST`` (an empty array is an error),
    ``ARRAY_IS_DISTINCT``, ``PARSE_NUMERIC``, ``SAFE_CONVERT_BYTES_TO_STRING``, ``SPLIT_SUBSTR``, ``ERROR``
    (DuckDB's ``error`` is volatile, so ``SAFE.ERROR`` could not be ``TRY``'d). ``SAFE.`` of them returns NULL
    instead of the error."""

    def fix(node: Any) -> Any:
        if isinstance(node, exp.Anonymous):
            name = _BY_NAME.get(node.name.upper())
            return library.call(target, name, *node.expressions) if name else node
        name = _BY_EXPRESSION.get(type(node))
        return library.call(target, name, node.this) if name else node

    return tree.transform(fix)
