"""Rules for BigQuery's arithmetic on FLOAT64 (BigQuery reference: "Operators", "Mathematical functions")."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dop_core.sql import library
from dop_core.sql.inference import TYPE, is_type, type_of
from dop_core.sql.rules import rewrite, rule


@rule("duckdb")
def numeric_division_is_exact(tree: Any, target: str) -> Any:
    """``x / y`` and ``POW(x, y)`` of NUMERIC (with a NUMERIC or an INT64, either side) are a NUMERIC: the exact
    quotient (power) rounded half away from zero to 9 decimals; DuckDB computes them as DOUBLE. The library's
    ``numeric_divide`` (division by zero is an error) and ``numeric_pow``, where the operands' types are
    known."""

    def fix(node: Any) -> Any:
        if isinstance(node, exp.Div | exp.Pow) and not node.args.get("safe"):
            operands = (node.this, node.expression)
            if any(is_type(o, "DECIMAL") for o in operands) and all(is_type(o, "DECIMAL", "BIGINT") for o in operands):
                call = library.call(target, "numeric_divide" if isinstance(node, exp.Div) else "numeric_pow",
                                    *operands)
                # a NUMERIC (sqlglot types a power as FLOAT64) for an enclosing division or power
                call.meta[TYPE] = type_of(next(o for o in operands if is_type(o, "DECIMAL")))
                return call
        return node

    return rewrite(tree, fix)


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
