"""From validated configs to Airflow DAGs (parse-time code: nothing heavy is imported here)."""
