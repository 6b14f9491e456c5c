"""dop-spark: Spark jobs as DOP tasks (``kind: {action: spark, target: sql|pyspark}``).

Locally (DuckDB target) the job runs in Spark local mode in a subprocess; on a BigQuery target it
runs on Dataproc (serverless batches or an existing cluster). Importing this package is cheap.
"""

__version__ = "0.1.0"
