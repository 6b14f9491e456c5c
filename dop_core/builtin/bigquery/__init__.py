"""The bigquery engine: Google BigQuery through Airflow's Google provider."""
