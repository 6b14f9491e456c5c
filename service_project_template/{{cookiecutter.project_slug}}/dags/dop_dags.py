from dop_core import build_dags

globals().update(build_dags(__file__))  # the Airflow DAGs of every folder under orchestration/
