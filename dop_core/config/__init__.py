"""Reading and validating a service project's configuration (no Airflow, no warehouse)."""
