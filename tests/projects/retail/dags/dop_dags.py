from dop_core import build_dags

globals().update(build_dags(__file__))  # DOP builds the Airflow DAGs of this project
