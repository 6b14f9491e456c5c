SELECT date, country_name, SUM(new_confirmed) AS new_confirmed
FROM `bigquery-public-data.covid19_open_data.covid19_open_data`
WHERE date >= DATE("{{ ds }}")
  AND country_code IN UNNEST({{ params.params.countries }})
GROUP BY 1, 2
