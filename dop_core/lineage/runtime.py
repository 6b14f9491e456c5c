"""What native SQL tasks tell Airflow about the tables they read and write.

- When the DAG is built: each task's **asset inlets** are the tables its SQL reads, as ``dop validate``
  recorded them (:mod:`dop_core.lineage.store`; none when not recorded: building DAGs never parses SQL
  for this), beside its outlet (the table a materialization writes, see :mod:`dop_core.builtin.tasks`).
  The URIs are DOP's, ``x-dop://<project>/<schema>.<table>`` (:func:`dop_core.build.dags.asset_uri`), so a
  table read by one DAG and written by another is one asset in Airflow's asset graph.
- When the task runs, with apache-airflow-providers-openlineage installed: the operator's
  ``get_openlineage_facets_on_start``/``_on_complete`` return :func:`operator_lineage`: input datasets
  (the tables the rendered SQL reads, parsed then), the output dataset (the table or view written) and
  the SQL job facet (the rendered SQL, credentials masked). The provider is imported there only.
"""

from __future__ import annotations

from typing import Any

from dop_core.project import Project


def schema_table(name: str) -> str:
    """``schema.table`` of a table name written ``[database.]schema.table``."""
    return ".".join(name.split(".")[-2:])


def declare_inlets(ops: dict[str, Any], project: Project, reads: dict[str, list[Any]] | None) -> None:
    """Give each built task the assets of the tables its SQL reads (when recorded)."""
    if not reads:
        return
    from airflow.sdk import Asset

    from dop_core.build.dags import asset_uri

    for task_id, found in reads.items():
        op = ops.get(task_id)
        if op is not None and any(not read.function for read in found):
            op.inlets = [Asset(asset_uri(project, schema_table(read.table))) for read in found if not read.function]


def namespace(target: Any) -> str:
    """The OpenLineage namespace of the target's warehouse (its naming spec: ``bigquery``; a DuckDB file's
    ``duckdb://<absolute path>``; else ``<engine>://<target name>``)."""
    if target.engine == "bigquery":
        return "bigquery"
    path = getattr(target.typed_options, "path", None)
    if target.engine == "duckdb" and isinstance(path, str):
        from dop_core.paths import resolve_project_path

        return f"duckdb://{path if path.startswith(':') else resolve_project_path(target, path)}"
    return f"{target.engine}://{target.name}"


def dataset_name(target: Any, table: str) -> str:
    """A table's OpenLineage name: ``project.dataset.table`` on BigQuery (the target's project when the SQL
    names none), the name as written elsewhere."""
    if target.engine == "bigquery" and table.count(".") == 1:
        project = getattr(target.typed_options, "project", None)
        return f"{project}.{table}" if project else table
    return table


def operator_lineage(op: Any) -> Any:
    """The OpenLineage facets of one of DOP's SQL operators (after rendering: its SQL is the one run)."""
    from airflow.providers.common.compat.openlineage.facet import Dataset, SQLJobFacet
    from airflow.providers.openlineage.extractors import OperatorLineage

    from dop_core.lineage.tables import table_references
    from dop_core.secrets import redact, target_secrets
    from dop_core.validate import TRANSLATED_KINDS, WRITING_KINDS

    action, _, kind = op.kind.partition("/")

    ns = namespace(op.target)
    sql = op.sql if isinstance(op.sql, str) and not op.sql.endswith(".sql") else ""  # "": not rendered yet
    inputs = []
    if (action, kind) in TRANSLATED_KINDS and sql:
        seen = set()
        for table, _ in table_references(sql, op.dialect):
            name = dataset_name(op.target, table)
            if name.lower() not in seen:
                seen.add(name.lower())
                inputs.append(Dataset(namespace=ns, name=name))
    outputs = []
    if (action, kind) in WRITING_KINDS and op.relation is not None:
        outputs.append(Dataset(namespace=ns, name=dataset_name(op.target, str(op.relation))))
    facets = {"sql": SQLJobFacet(query=redact(sql, *target_secrets(op.target)))} if sql.strip() else {}
    return OperatorLineage(inputs=inputs, outputs=outputs, job_facets=facets)
