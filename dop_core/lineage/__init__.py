"""Table-level lineage read from the SQL: which tables each native SQL task reads and writes.

- :mod:`~dop_core.lineage.tables` finds the tables a task's rendered query reads (sqlglot; ``dop
  validate``, ``dop compile`` and the CLI commands that build a DAG);
- :mod:`~dop_core.lineage.store` records them per DAG, so that building DAGs (Airflow's parsing) reads
  them without sqlglot;
- :mod:`~dop_core.lineage.infer` turns them into dependencies (``dependencies: auto``);
- :mod:`~dop_core.lineage.check` warns about a task reading a table written by a task it does not wait for;
- :mod:`~dop_core.lineage.graph` draws tables and tasks (``dop graph --lineage``);
- :mod:`~dop_core.lineage.runtime` declares them to Airflow as a run goes (asset inlets and outlets,
  OpenLineage facets).

See docs/lineage.md.
"""
