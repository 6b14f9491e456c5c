"""BigQuery's reciprocal trigonometric and hyperbolic functions (``COT``, ``CSC``, ``SEC``, ``COTH``,
``CSCH``, ``SECH``): FLOAT64 results, with BigQuery's error where the function has a pole at 0 (DuckDB's
``cot(0)`` is ``inf``, and it has none of the others)."""

from __future__ import annotations

from dop_core.sql.library import duckdb_macro


def _reciprocal(name: str, of: str, pole_at_zero: bool) -> None:
    body = f"1 / {of}(CAST(x AS DOUBLE))"
    if pole_at_zero:
        body = (f"CASE WHEN x = 0 THEN dop_bq_error('Floating point error in function: {name.upper()}(' || x || ')') "
                f"ELSE {body} END")
    error = " (0 is an error)" if pole_at_zero else ""
    duckdb_macro(name, f"``{name.upper()}(x)``: ``1 / {of.upper()}(x)`` as FLOAT64{error}; NaN for NaN.",
                 f"(x) AS {body}")


_reciprocal("cot", "tan", True)
_reciprocal("csc", "sin", True)
_reciprocal("sec", "cos", False)
_reciprocal("coth", "tanh", True)
_reciprocal("csch", "sinh", True)
_reciprocal("sech", "cosh", False)
