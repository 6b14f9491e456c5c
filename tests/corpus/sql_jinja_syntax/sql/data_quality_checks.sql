SELECT COUNT(*) > 0 AS success,
       'Do we have data for {{ ds }}?' AS description
FROM dop_sandbox_us.covid19_by_country
{% if is_incremental() %}
WHERE date >= "{{ ds }}"
