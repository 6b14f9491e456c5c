{# The example's UDF: '', blanks and 'n/a' become NULL (a DuckDB macro, as DOP creates it on DuckDB). #}
{% macro create_udf_empty_str_as_null() %}
CREATE SCHEMA IF NOT EXISTS {{ target.schema }};
CREATE OR REPLACE MACRO {{ target.schema }}.udf_empty_str_as_null(str) AS
  (IF(TRIM(str) = '' OR LOWER(TRIM(str)) = 'n/a', NULL, TRIM(str)))
{% endmacro %}
