"""Table-level lineage read from the SQL: which tables each native SQL task reads and writes.

- :mod:`~dop_core.lineage.tables` finds the tables a task's rendered query reads (sqlglot; ``dop
  validate``, ``dop compile`` and the CLI commands that build a DAG);
- :mod:`~dop_core.lineage.store` records them per DAG, so that building DAGs (Airflow's parsing) reads
  them without sqlglot;
- :mod:`~dop_core.lineage.infer` turns them into dependencies (``dependencies: auto``);
- :mod:`~dop_core.lineage.check` warns about a task reading a table written by a task it does not wait for;
- :mod:`~dop_core.lineage.runtime` declares them to Airflow when the DAG is built (asset inlets);
- (elsewhere) :mod:`dop_core.cli.lineage` draws tables and tasks (``dop graph --lineage``);
  :mod:`dop_core.contract.openlineage` gives OpenLineage the tables a running task reads and writes;
  :mod:`dop_core.sql.references` finds the tables in a SQL text.

A layer between ``build`` (which reads the recorded reads) and ``validate`` (the configs they come from).

See docs/lineage.md.
"""
