SELECT COUNT(*) > 0 AS success,
       COUNT(*) AS num_of_rows,
       'daily_revenue has rows for {{ ds }}' AS description
FROM retail.daily_revenue
WHERE order_date = DATE '{{ ds }}'
UNION ALL
SELECT COUNTIF(revenue < 0) = 0 AS success,
       COUNTIF(revenue < 0) AS num_of_rows,
       'no negative revenue' AS description
FROM retail.daily_revenue
