"""Rules for BigQuery's regular expression functions on DuckDB."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dop_core.sql import library
from dop_core.sql.inference import is_type
from dop_core.sql.rules import rule

#: sqlglot's expression -> (the library's BYTES function, its arguments after the value and pattern, with defaults)
_BYTES = {exp.RegexpLike: ("bytes_regexp_contains", ()), exp.RegexpExtractAll: ("bytes_regexp_extract_all", ()),
          exp.RegexpExtract: ("bytes_regexp_extract", (("position", 1), ("occurrence", 1))),
          exp.RegexpReplace: ("bytes_regexp_replace", (("replacement", None),))}
_INSTR = (("position", 1), ("occurrence", 1), ("option", 0))


def _bytes(node: Any) -> bool:
    return any(is_type(n, "BINARY", "VARBINARY") for n in (node.this, node.expression))


def _call(target: str, name: str, node: Any, rest: tuple[tuple[str, Any], ...]) -> Any:
    args = [node.this, node.expression]
    for key, default in rest:
        value = node.args.get(key)
        args.append(value if value is not None else exp.Literal.number(default))
    return library.call(target, name, *args)


@rule("duckdb")
def regular_expressions_keep_bigquery_semantics(tree: Any, target: str) -> Any:
    """``REGEXP_CONTAINS``, ``REGEXP_EXTRACT``, ``REGEXP_EXTRACT_ALL``, ``REGEXP_REPLACE``, ``REGEXP_INSTR``
    and ``REGEXP_MATCH`` on BYTES (DuckDB's take only VARCHAR), ``REGEXP_INSTR`` on STRING (sqlglot's
    emulation missed the capturing group and the end position: ``REGEXP_INSTR('abcabc', 'a(b)c', 2, 1, 1)``
    gave 7, BigQuery 6) and ``REGEXP_MATCH`` (the whole value matches; DuckDB has no such function): the
    library's functions."""

    def fix(node: Any) -> Any:
        if isinstance(node, exp.RegexpInstr):
            return _call(target, "bytes_regexp_instr" if _bytes(node) else "regexp_instr", node, _INSTR)
        if isinstance(node, exp.Anonymous) and node.name.upper() == "REGEXP_MATCH" and len(node.expressions) == 2:
            value, pattern = node.expressions
            if any(is_type(n, "BINARY", "VARBINARY") for n in (value, pattern)):
                return library.call(target, "bytes_regexp_match", value, pattern)
            return exp.func("regexp_full_match", value, pattern)
        name = _BYTES.get(type(node))
        if name is None or not _bytes(node):
            return node
        return _call(target, name[0], node, name[1])

    return tree.transform(fix)
