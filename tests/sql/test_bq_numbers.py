"""BigQuery's number semantics on DuckDB (BigQuery reference: "Data types", "Mathematical functions")."""

from __future__ import annotations

import math

import duckdb
import pytest


def test_integer_literals_are_int64_so_sums_do_not_overflow_at_32_bits(bq, bq_types):
    # BigQuery: integer literals are INT64; 2147483647 + 1 is 2147483648
    assert bq("SELECT 2147483647 + 1") == [(2147483648,)]
    assert bq_types("SELECT 1 AS x") == ["BIGINT"]
    assert bq("SELECT -9223372036854775808 AS lowest") == [(-9223372036854775808,)]


def test_integer_literals_in_a_selected_struct_are_int64(bq_types):
    # BigQuery: (1, 2) is a STRUCT<INT64, INT64>; a table written from it has INT64 fields
    assert bq_types("SELECT (1, 2) AS x, STRUCT(1 AS a, (2, 3) AS b) AS y") == \
        ["TUPLE(BIGINT, BIGINT)", "STRUCT(a BIGINT, b TUPLE(BIGINT, BIGINT))"]


def test_int64_overflow_is_an_error(bq):
    # BigQuery: "int64 overflow" is an error, never a wrapped value
    with pytest.raises(duckdb.OutOfRangeException):
        bq("SELECT 9223372036854775807 + 1")


def test_positions_stay_positions(bq):
    # ORDER BY 1 / GROUP BY 1 name columns; LIMIT takes a count
    assert bq("SELECT x, COUNT(*) AS n FROM UNNEST([3, 1, 3]) AS x GROUP BY 1 ORDER BY 1 LIMIT 1") == [(1, 1)]


def test_float_literals_are_float64(bq, bq_types):
    # BigQuery: 1.5 is a FLOAT64 literal; SUM of FLOAT64 is FLOAT64
    assert bq_types("SELECT SUM(x) FROM UNNEST([1.5, 2.25]) AS x") == ["DOUBLE"]
    assert bq("SELECT SUM(x) FROM UNNEST([1.5, 2.25]) AS x") == [(3.75,)]


def test_integer_division_returns_float64(bq, bq_types):
    assert bq("SELECT 5 / 2") == [(2.5,)]
    assert bq_types("SELECT 6 / 3") == ["DOUBLE"]


def test_division_by_zero_is_an_error(bq):
    # BigQuery: "division by zero: 1 / 0"
    with pytest.raises(duckdb.Error, match="division by zero"):
        bq("SELECT x / y FROM (SELECT 1 AS x, 0 AS y)")


def test_ieee_divide_gives_infinities_and_nan(bq):
    (pos, neg, nan, half), = bq("SELECT IEEE_DIVIDE(1, 0), IEEE_DIVIDE(-1, 0), IEEE_DIVIDE(0, 0), IEEE_DIVIDE(1, 2)")
    assert pos == math.inf and neg == -math.inf and math.isnan(nan) and half == 0.5


def test_safe_prefix_returns_null_instead_of_an_error(bq):
    # BigQuery: SAFE.f(...) returns NULL where f(...) raises
    assert bq("SELECT SAFE.PARSE_DATE('%Y-%m-%d', 'not a date')") == [(None,)]
    with pytest.raises(duckdb.Error):
        bq("SELECT PARSE_DATE('%Y-%m-%d', 'not a date')")


def test_numeric_keeps_nine_decimals_and_38_digits(bq, bq_types):
    # BigQuery: NUMERIC has precision 38 and scale 9
    assert bq_types("SELECT CAST(1 AS NUMERIC)") == ["DECIMAL(38,9)"]
    (value,), = bq("SELECT NUMERIC '12345678901234567890.123456789' + NUMERIC '0.000000001'")
    assert str(value) == "12345678901234567890.123456790"


def test_numeric_column_types_of_tables_and_seeds():
    from dop_core.sql.dialects import translate_type

    assert translate_type("NUMERIC", "bigquery", "duckdb") == "DECIMAL(38, 9)"
    assert translate_type("NUMERIC(10, 2)", "bigquery", "duckdb") == "DECIMAL(10, 2)"


def test_a_literal_in_a_union_with_a_numeric_column_is_numeric(bq_types):
    # BigQuery coerces the literals 0.01 and 3.5 to the NUMERIC of the other input
    sql = "SELECT x FROM (SELECT CAST(NULL AS NUMERIC) AS x UNION ALL SELECT 0.01 UNION ALL SELECT 3.5)"
    assert bq_types(sql) == ["DECIMAL(38,9)"]
    assert bq_types("SELECT x FROM (SELECT 1.5 AS x UNION ALL SELECT 2.5)") == ["DOUBLE"]


def test_reciprocal_trigonometric_functions(bq):
    # BigQuery: COT/CSC/COTH/CSCH of 0 are errors (SAFE.: NULL); SEC(0) and SECH(0) are 1; COTH(-inf) is -1
    assert bq("SELECT CSC(1), SEC(0), COT(1), CSCH(1), SECH(0), COTH(1), COTH(IEEE_DIVIDE(-1, 0))") == \
        [(1.1883951057781212, 1.0, 0.6420926159343306, 0.8509181282393216, 1.0, 1.3130352854993315, -1.0)]
    assert bq("SELECT SAFE.CSC(0), SAFE.COT(0), SAFE.CSCH(0), SAFE.COTH(0)") == [(None, None, None, None)]
    with pytest.raises(duckdb.Error, match=r"COT\(0\)"):
        bq("SELECT COT(0)")


def test_safe_aggregates_return_null_on_overflow(bq, duck):
    # BigQuery: SAFE.SUM returns NULL where SUM raises "int64 overflow"; SAFE. on a window function is allowed
    duck.execute("CREATE SCHEMA ds; CREATE TABLE ds.t AS SELECT * FROM (VALUES (1, 9223372036854775807), (1, 1), "
                  "(2, 5)) AS v(k, v)")
    tables = {"ds.t": {"k": "INT64", "v": "INT64"}}
    assert bq("SELECT k, SAFE.SUM(v) FROM ds.t GROUP BY k ORDER BY k", tables) == [(1, None), (2, 5)]
    sql = "SELECT SAFE.SUM(v) OVER (ORDER BY v), SAFE.RANK() OVER (ORDER BY v) FROM ds.t ORDER BY v"
    assert bq(sql, tables) == [(1, 1), (6, 2), (None, 3)]


def test_struct_types_with_unnamed_fields(bq):
    # BigQuery: STRUCT<INT64, STRING> has unnamed fields, set by position
    assert bq("SELECT ARRAY<STRUCT<INT64, INT64>>[(11, 12), (21, 22)], CAST((1, 'a') AS STRUCT<INT64, STRING>)") == \
        [([{"_0": 11, "_1": 12}, {"_0": 21, "_1": 22}], {"_0": 1, "_1": "a"})]
    assert bq("SELECT ARRAY<STRUCT<INT64, x STRING>>[(1, 'a')][OFFSET(0)].x") == [("a",)]


def test_json_conversions_need_the_json_type_asked_for(bq):
    # BigQuery: STRING(JSON '"test"') is test; INT64(JSON '10.0') is 10; JSON_TYPE names the JSON type;
    # another JSON type, a fraction for INT64 or a lossy number with wide_number_mode 'exact' is an error
    assert bq("SELECT STRING(JSON '\"test\"'), BOOL(JSON 'true'), INT64(JSON '10.0'), FLOAT64(JSON '1.5'), "
              "JSON_TYPE(JSON '[1]'), JSON_TYPE(JSON 'null')") == [("test", True, 10, 1.5, "array", "null")]
    for sql, message in [("STRING(JSON '123')", "not a string"), ("BOOL(JSON '\"true\"')", "not a boolean"),
                         ("FLOAT64(JSON '\"a\"')", "not a number"),
                         ("INT64(JSON '10.1')", "cannot be converted to an int64"),
                         ("FLOAT64(JSON '18446744073709551615', wide_number_mode => 'exact')", "loss of precision")]:
        with pytest.raises(duckdb.Error, match=message):
            bq(f"SELECT {sql}")
    assert bq("SELECT SAFE.INT64(JSON '\"4\"')") == [(None,)]


def test_json_extract_of_a_string_is_a_string(bq, bq_types):
    # BigQuery: JSON_EXTRACT/JSON_QUERY of a STRING return the extracted JSON as a STRING
    assert bq("""SELECT JSON_EXTRACT('{"a": "foo"}', '$.a'), JSON_QUERY('{"a": [1]}', '$.a')""") == [('"foo"', "[1]")]
    assert bq_types("""SELECT JSON_EXTRACT('{"a": "foo"}', '$.a'), JSON_QUERY(JSON '{"a": 1}', '$.a')""") == \
        ["VARCHAR", "JSON"]


def test_json_query_array_keeps_json_null_elements(bq, bq_types):
    # BigQuery: JSON_QUERY_ARRAY returns the elements as JSON (of a STRING: STRINGs of JSON text); a JSON
    # null element is JSON null ('null'), a missing path or a value that is no array gives NULL
    assert bq("SELECT JSON_QUERY_ARRAY(JSON '{\"a\": [1, null]}', '$.a'), "
              "JSON_EXTRACT_ARRAY('{\"a\": [\"x\", null]}', '$.a'), JSON_QUERY_ARRAY(JSON '{\"a\": 1}', '$.a'), "
              "JSON_QUERY_ARRAY(JSON '{\"a\": 1}', '$.b')") == [(["1", "null"], ['"x"', "null"], None, None)]
    assert bq_types("SELECT JSON_QUERY_ARRAY(JSON '[1]'), JSON_QUERY_ARRAY('[1]')") == ["JSON[]", "VARCHAR[]"]
