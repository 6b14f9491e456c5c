-- Revenue per store and day. Incremental runs only recompute the run's day (its partition).
SELECT
  order_date,
  retail.udf_clean_store(store) AS store,
  SUM(amount) AS revenue,
  COUNT(*) AS orders
FROM retail.raw_orders
WHERE amount >= {{ params.min_amount }}
{% if is_incremental() %}
  AND order_date = DATE '{{ ds }}'
{% endif %}
GROUP BY 1, 2
