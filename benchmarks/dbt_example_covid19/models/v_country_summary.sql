-- Totals and rates per country over the whole table.
{{ config(materialized='view') }}
SELECT
  country_code,
  ANY_VALUE(country_name) AS country_name,
  COALESCE(ANY_VALUE(region), 'unknown') AS region,
  MIN(date) AS first_date,
  MAX(date) AS last_date,
  SUM(new_confirmed) AS total_confirmed,
  SUM(new_deceased) AS total_deceased,
  ROUND(SUM(new_deceased) / NULLIF(SUM(new_confirmed), 0) * 100, 2) AS case_fatality_pct,
  ROUND(SUM(new_confirmed) / NULLIF(SUM(new_tested), 0) * 100, 2) AS positivity_pct
FROM {{ ref('daily_cases') }}
GROUP BY country_code
