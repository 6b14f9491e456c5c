-- An assertion returns rows with `success` and `description` (plus any other columns, shown in
-- the report). The task fails, logging every row, if any row is not successful.
SELECT
  COUNT(*) > 0 AS success,
  'daily_cases is not empty' AS description,
  COUNT(*) AS offending_rows
FROM example_covid19.daily_cases
UNION ALL
SELECT
  COUNTIF(date > DATE '{{ ds }}') = 0,
  'no day after the logical date {{ ds }}',
  COUNTIF(date > DATE '{{ ds }}')
FROM example_covid19.daily_cases
UNION ALL
SELECT
  COUNTIF(new_confirmed < 0 OR new_deceased < 0 OR new_tested < 0) = 0,
  'no negative figures',
  COUNTIF(new_confirmed < 0 OR new_deceased < 0 OR new_tested < 0)
FROM example_covid19.daily_cases
UNION ALL
SELECT
  COUNTIF(new_deceased > new_confirmed) = 0,
  'never more deaths than new cases on a day',
  COUNTIF(new_deceased > new_confirmed)
FROM example_covid19.daily_cases
