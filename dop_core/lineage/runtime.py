"""What native SQL tasks tell Airflow about the tables they read and write.

- When the DAG is built: each task's **asset inlets** are the tables its SQL reads, as ``dop validate``
  recorded them (:mod:`dop_core.lineage.store`; none when not recorded: building DAGs never parses SQL
  for this), beside its outlet (the table a materialization writes, see :mod:`dop_core.contract.sql_task`).
  The URIs are DOP's, ``x-dop://<project>/<schema>.<table>`` (:func:`dop_core.contract.runtime.asset_uri`), so a
  table read by one DAG and written by another is one asset in Airflow's asset graph.
- When the task runs, with apache-airflow-providers-openlineage installed: the operator's OpenLineage
  facets (:mod:`dop_core.contract.openlineage`).
"""

from __future__ import annotations

from typing import Any

from dop_core.config.models import Project


def schema_table(name: str) -> str:
    """``schema.table`` of a table name written ``[database.]schema.table``."""
    return ".".join(name.split(".")[-2:])


def declare_inlets(ops: dict[str, Any], project: Project, reads: dict[str, list[Any]] | None) -> None:
    """Give each built task the assets of the tables its SQL reads (when recorded)."""
    if not reads:
        return
    from dop_core.contract.runtime import table_asset

    for task_id, found in reads.items():
        op = ops.get(task_id)
        if op is not None and any(not read.function for read in found):
            op.inlets = [table_asset(project, schema_table(read.table)) for read in found if not read.function]
