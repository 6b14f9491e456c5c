"""BigQuery's FLOAT64 division (an error, or NULL for ``SAFE_DIVIDE``, where the quotient of finite values is past
FLOAT64's range) and NUMERIC's power."""

from __future__ import annotations

import decimal

from dop_core.sql.library import BigQueryError, duckdb_macro, duckdb_python

_OVERFLOW = "isinf(x / y) AND isfinite(x) AND isfinite(y)"

duckdb_macro("float_divide", """``x / y`` of FLOAT64: division by zero is an error, and so is a quotient of finite
values past FLOAT64's range ("double overflow"); an infinite or NaN operand gives IEEE's quotient.""",
             "(x, y) AS CASE WHEN y = 0 THEN dop_bq_error('division by zero') "
             f"WHEN {_OVERFLOW} THEN dop_bq_error('double overflow') ELSE x / y END")
duckdb_macro("safe_float_divide", """``SAFE_DIVIDE(x, y)`` of FLOAT64: NULL for division by zero and for a quotient of
finite values past FLOAT64's range.""",
             f"(x, y) AS CASE WHEN y = 0 OR ({_OVERFLOW}) THEN NULL ELSE x / y END")

_NUMERIC_LIMIT = decimal.Decimal("1e29")
_NUMERIC_SCALE = decimal.Decimal("1e-9")


@duckdb_python("numeric_pow", ["DECIMAL(38, 9)", "DECIMAL(38, 9)"], "DECIMAL(38, 9)")
def numeric_pow(base: decimal.Decimal, exponent: decimal.Decimal) -> decimal.Decimal:
    """``POW(x, y)`` of NUMERIC: the power rounded half away from zero to 9 decimals (exact for an integer
    exponent); a result past NUMERIC's range, 0 to a negative power and a negative base to a fractional
    power are errors."""
    context = decimal.Context(prec=120, rounding=decimal.ROUND_HALF_UP, Emax=999999, Emin=-999999)
    if base == 0 and exponent < 0:
        raise BigQueryError(f"division by zero: POW({base}, {exponent})")
    if base < 0 and exponent != exponent.to_integral_value():
        raise BigQueryError(f"Floating point error in function: POW({base}, {exponent})")
    if exponent == exponent.to_integral_value() and abs(exponent) <= 1000:
        power = context.power(base, int(exponent))
    else:
        power = context.power(base, exponent)
    result = power.quantize(_NUMERIC_SCALE, context=context)
    if abs(result) >= _NUMERIC_LIMIT:
        raise BigQueryError(f"numeric overflow: POW({base}, {exponent})")
    return result
