-- What the example's stored procedure computes for the run's date: totals per country as of that day.
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='as_of') }}
SELECT
  DATE '{{ var("ds") }}' AS as_of,
  country_code,
  SUM(new_confirmed) AS total_confirmed,
  SUM(new_deceased) AS total_deceased
FROM {{ ref('daily_cases') }}
WHERE date <= DATE '{{ var("ds") }}'
GROUP BY country_code
