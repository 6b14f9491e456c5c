-- A date-partitioned table. The first run (and a full refresh) builds every day up to the run's
-- date; later runs return only the last lookback_days days and DOP replaces just those
-- partitions, atomically (is_incremental() is false on the first run and on a full refresh).
-- lookback_days is an integer param (its type is enforced for run conf and Variables alike);
-- `| int` keeps it a number here too, whatever the template is later given.
WITH cases AS (
  SELECT
    date,
    country_code,
    country_name,
    example_covid19.udf_empty_str_as_null(region) AS region,
    population,
    new_confirmed,
    new_deceased,
    new_tested,
    ROUND(SAFE_DIVIDE(new_confirmed * 100000, population), 3) AS new_confirmed_per_100k,
    SUM(new_confirmed) OVER (
      PARTITION BY country_code ORDER BY date ROWS BETWEEN 6 PRECEDING AND CURRENT ROW
    ) AS confirmed_last_7_days
  FROM example_covid19.raw_covid19_cases
  WHERE date <= DATE '{{ ds }}'
)
SELECT *
FROM cases
{% if is_incremental() %}
WHERE date > DATE_SUB(DATE '{{ ds }}', INTERVAL {{ params.lookback_days | int }} DAY)
{% endif %}
