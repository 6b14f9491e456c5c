"""Rules for BigQuery's arithmetic on FLOAT64 (BigQuery reference: "Operators", "Mathematical functions")."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dop_core.sql import library
from dop_core.sql.inference import is_type
from dop_core.sql.rules import rule


@rule("duckdb")
def float_division_overflow_is_an_error(tree: Any, target: str) -> Any:
    """``x / y`` of FLOAT64 values whose quotient is past FLOAT64's range (``1e300 / 1e-300``) is an error on
    BigQuery ("double overflow"), and ``SAFE_DIVIDE`` returns NULL for it; DuckDB returned infinity. An
    infinite operand still gives infinity. Where an operand is known to be FLOAT64: the library's
    ``float_divide`` (which also raises "division by zero") and ``safe_float_divide``."""

    def fix(node: Any) -> Any:
        if isinstance(node, exp.Div | exp.SafeDivide) and not node.args.get("safe") and \
                (is_type(node.this, "DOUBLE") or is_type(node.expression, "DOUBLE")):
            name = "safe_float_divide" if isinstance(node, exp.SafeDivide) else "float_divide"
            return library.call(target, name, node.this, node.expression)
        return node

    return tree.transform(fix)
