"""dop-dbt: dbt jobs as DOP tasks (``kind: {action: dbt, target: run|test|build|...}``).

dbt runs as a command (from PATH or a virtualenv DOP creates), never imported into Airflow.
The hooks are in :mod:`dop_dbt.plugin`, which the ``dop`` entry point ``dbt`` names.
"""

__version__ = "0.1.0"
