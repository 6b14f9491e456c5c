-- The body of a stored procedure with one argument, run_date (DATE).
CREATE TABLE IF NOT EXISTS example_covid19.country_totals (
  as_of DATE,
  country_code STRING,
  total_confirmed INT64,
  total_deceased INT64
);
DELETE FROM example_covid19.country_totals WHERE as_of = run_date;
INSERT INTO example_covid19.country_totals (as_of, country_code, total_confirmed, total_deceased)
SELECT run_date, country_code, SUM(new_confirmed), SUM(new_deceased)
FROM example_covid19.daily_cases
WHERE date <= run_date
GROUP BY country_code;
