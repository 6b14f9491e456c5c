"""The airflow_operator task kind: any Airflow operator by its dotted path."""
