"""Airflow operators DOP builds. Importing this package imports Airflow's SDK only."""
