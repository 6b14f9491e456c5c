SELECT
  country_code,
  ANY_VALUE(country_name) AS country_name,
  COALESCE(ANY_VALUE(region), 'unknown') AS region,
  MIN(date) AS first_date,
  MAX(date) AS last_date,
  SUM(new_confirmed) AS total_confirmed,
  SUM(new_deceased) AS total_deceased,
  ROUND(SAFE_DIVIDE(SUM(new_deceased), SUM(new_confirmed)) * 100, 2) AS case_fatality_pct,
  ROUND(SAFE_DIVIDE(SUM(new_confirmed), SUM(new_tested)) * 100, 2) AS positivity_pct
FROM example_covid19.daily_cases
GROUP BY country_code
