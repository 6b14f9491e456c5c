SELECT store, SUM(revenue) AS revenue, DATE_ADD(MAX(order_date), INTERVAL 1 DAY) AS next_day
FROM retail.daily_revenue
GROUP BY store
