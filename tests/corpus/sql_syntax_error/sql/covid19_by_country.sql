SELECT date, country_name, SUM(new_confirmed) AS new_confirmed,
FROM `bigquery-public-data.covid19_open_data.covid19_open_data`
{% if is_incremental() %}
  -- only the new days
  WHERE date >= DATE("{{ ds }}") AND
{% endif %}
GROUP BY 1, 2
