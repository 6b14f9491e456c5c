"""BigQuery's FLOAT64 arithmetic on DuckDB (BigQuery reference: "Operators", division; "Mathematical functions",
SAFE_DIVIDE and IEEE_DIVIDE)."""

from __future__ import annotations

import duckdb
import pytest


def test_float_division_past_float64_range_is_an_error(bq):
    with pytest.raises(duckdb.Error, match="double overflow"):
        bq("SELECT 1e300 / 1e-300")
    with pytest.raises(duckdb.Error, match="division by zero"):
        bq("SELECT 1.5 / 0")
    assert bq("SELECT SAFE_DIVIDE(1e300, 1e-300), SAFE_DIVIDE(1.5, 0), SAFE_DIVIDE(3.0, 2)") == [(None, None, 1.5)]
    # IEEE_DIVIDE and an infinite operand keep IEEE's quotient
    assert bq("SELECT IEEE_DIVIDE(1e300, 1e-300), IEEE_DIVIDE(1, 0) / 2.0") == [(float("inf"), float("inf"))]
