-- Daily figures per country; incremental runs replace only the last lookback_days days.
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='date') }}
WITH cases AS (
  SELECT
    date,
    country_code,
    country_name,
    {{ target.schema }}.udf_empty_str_as_null(region) AS region,
    population,
    new_confirmed,
    new_deceased,
    new_tested,
    ROUND(new_confirmed * 100000 / NULLIF(population, 0), 3) AS new_confirmed_per_100k,
    SUM(new_confirmed) OVER (
      PARTITION BY country_code ORDER BY date ROWS BETWEEN 6 PRECEDING AND CURRENT ROW
    ) AS confirmed_last_7_days
  FROM {{ ref('raw_covid19_cases') }}
  WHERE date <= DATE '{{ var("ds") }}'
)
SELECT *
FROM cases
{% if is_incremental() %}
WHERE date > DATE '{{ var("ds") }}' - INTERVAL {{ var('lookback_days') | int }} DAY
{% endif %}
