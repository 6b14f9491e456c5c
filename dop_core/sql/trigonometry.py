"""Rules for BigQuery's trigonometric functions DuckDB lacks or computes differently."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dop_core.sql import library
from dop_core.sql.rules import rule

_RECIPROCALS = {exp.Cot: "cot", exp.Csc: "csc", exp.Sec: "sec", exp.Coth: "coth", exp.Csch: "csch",
                exp.Sech: "sech"}


@rule("duckdb")
def reciprocal_trigonometric_functions(tree: Any, target: str) -> Any:
    """``COT``, ``CSC``, ``SEC``, ``COTH``, ``CSCH`` and ``SECH`` are FLOAT64 reciprocals of ``TAN``, ``SIN``,
    ``COS``, ``TANH``, ``SINH`` and ``COSH``; ``COT``, ``CSC``, ``COTH`` and ``CSCH`` of 0 are an error
    (``SAFE.``: NULL). DuckDB's ``cot(0)`` is ``inf`` and it has none of the others: the library's."""

    def fix(node: Any) -> Any:
        name = _RECIPROCALS.get(type(node))
        return library.call(target, name, node.this) if name else node

    return tree.transform(fix)
