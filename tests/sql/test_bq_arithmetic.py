"""BigQuery's FLOAT64 arithmetic on DuckDB (BigQuery reference: "Operators", division; "Mathematical functions",
SAFE_DIVIDE and IEEE_DIVIDE)."""

from __future__ import annotations

import decimal

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


def test_parse_numeric_reads_signs_after_the_number_and_commas(bq):
    # BigQuery's documented rules of PARSE_NUMERIC's strings
    sql = ("SELECT PARSE_NUMERIC('12.34e-1-'), PARSE_NUMERIC('  1,2,,3,.45 + '), PARSE_NUMERIC(' 0,.12 -'), "
           "PARSE_NUMERIC('- 12,34567,89.0')")
    assert bq(sql) == [(decimal.Decimal("-1.234"), decimal.Decimal("123.45"), decimal.Decimal("-0.12"),
                        decimal.Decimal("-123456789"))]
    for invalid in (",,,.1234  ", "1  23.4 5  ", "  e1 ", "  - 12.3 - ", "$12.34"):
        with pytest.raises(duckdb.Error, match="Invalid NUMERIC value"):
            bq(f"SELECT PARSE_NUMERIC('{invalid}')")


def test_numeric_division_is_an_exact_numeric(bq, bq_types):
    # BigQuery: NUMERIC / NUMERIC and NUMERIC / INT64 are NUMERIC, rounded half away from zero
    sql = "SELECT NUMERIC '2' / 3, NUMERIC '1' / NUMERIC '3', SUM(v) OVER () / COUNT(v) OVER () FROM UNNEST([NUMERIC '1']) v"
    assert bq(sql) == [(decimal.Decimal("0.666666667"), decimal.Decimal("0.333333333"), decimal.Decimal("1"))]
    assert bq_types("SELECT NUMERIC '1' / 3, 1 / 3") == ["DECIMAL(38,9)", "DOUBLE"]
    # POW of NUMERIC is a NUMERIC too, also inside a division
    assert bq("SELECT POW(NUMERIC '1.5', 2), POW(NUMERIC '2', 2) / 3, POWER(NUMERIC '2', NUMERIC '0.5')") == \
        [(decimal.Decimal("2.25"), decimal.Decimal("1.333333333"), decimal.Decimal("1.414213562"))]
    with pytest.raises(duckdb.Error, match="division by zero"):
        bq("SELECT NUMERIC '1' / 0")
