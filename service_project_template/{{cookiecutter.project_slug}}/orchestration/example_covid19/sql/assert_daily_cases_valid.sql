-- An assertion returns rows with `success` and `description` (plus any other columns, shown in
-- the report). The task fails, logging every row, if any row is not successful.
SELECT
  COUNT(*) > 0 AS success,
  'daily_cases has rows for {{ ds }}' AS description,
  COUNT(*) AS rows_found
FROM example_covid19.daily_cases
WHERE date = DATE '{{ ds }}'
UNION ALL
SELECT
  COUNTIF(new_confirmed < 0 OR new_deceased < 0 OR new_tested < 0) = 0 AS success,
  'no negative figures' AS description,
  COUNTIF(new_confirmed < 0 OR new_deceased < 0 OR new_tested < 0) AS rows_found
FROM example_covid19.daily_cases
UNION ALL
SELECT
  COUNTIF(new_deceased > new_confirmed) = 0 AS success,
  'never more deaths than new cases on a day' AS description,
  COUNTIF(new_deceased > new_confirmed) AS rows_found
FROM example_covid19.daily_cases
