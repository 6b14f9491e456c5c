"""BigQuery's FLOAT64 division: an error (or NULL, for ``SAFE_DIVIDE``) where the quotient of finite values is
past FLOAT64's range."""

from __future__ import annotations

from dop_core.sql.library import duckdb_macro

_OVERFLOW = "isinf(x / y) AND isfinite(x) AND isfinite(y)"

duckdb_macro("float_divide", """``x / y`` of FLOAT64: division by zero is an error, and so is a quotient of finite
values past FLOAT64's range ("double overflow"); an infinite or NaN operand gives IEEE's quotient.""",
             "(x, y) AS CASE WHEN y = 0 THEN dop_bq_error('division by zero') "
             f"WHEN {_OVERFLOW} THEN dop_bq_error('double overflow') ELSE x / y END")
duckdb_macro("safe_float_divide", """``SAFE_DIVIDE(x, y)`` of FLOAT64: NULL for division by zero and for a quotient of
finite values past FLOAT64's range.""",
             f"(x, y) AS CASE WHEN y = 0 OR ({_OVERFLOW}) THEN NULL ELSE x / y END")
