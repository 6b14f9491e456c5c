CREATE TABLE IF NOT EXISTS retail.big_days (order_date DATE, store STRING, revenue FLOAT64);
DELETE FROM retail.big_days WHERE order_date = run_date;
INSERT INTO retail.big_days
SELECT order_date, store, revenue FROM retail.daily_revenue WHERE order_date = run_date AND revenue >= 30;
