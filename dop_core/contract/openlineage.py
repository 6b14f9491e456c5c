"""What DOP's SQL operators tell OpenLineage (apache-airflow-providers-openlineage, when installed: it asks every
operator for ``get_openlineage_facets_on_start``/``_on_complete``): input datasets (the tables the rendered SQL
reads, parsed then), the output dataset (the table or view written, when the kind ``writes``) and the SQL job
facet (the rendered SQL, credentials masked). The provider is imported inside :func:`operator_lineage` only.
"""

from __future__ import annotations

from typing import Any


def namespace(target: Any) -> str:
    """The OpenLineage namespace of the target's warehouse (its naming spec: ``bigquery``; a DuckDB file's
    ``duckdb://<absolute path>``; else ``<engine>://<target name>``)."""
    if target.engine == "bigquery":
        return "bigquery"
    path = getattr(target.typed_options, "path", None)
    if target.engine == "duckdb" and isinstance(path, str):
        from dop_core.config.paths import resolve_project_path

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

    from dop_core.contract.registry import get_registry
    from dop_core.contract.runtime import target_secrets
    from dop_core.secrets import redact
    from dop_core.sql.references import table_references

    kind = get_registry().kind(op.kind)
    ns = namespace(op.target)
    sql = op.sql if isinstance(op.sql, str) and not op.sql.endswith(".sql") else ""  # "": not rendered yet
    inputs = []
    if kind.sql == "query" and sql:
        seen = set()
        for table, _ in table_references(sql, op.dialect):
            name = dataset_name(op.target, table)
            if name.lower() not in seen:
                seen.add(name.lower())
                inputs.append(Dataset(namespace=ns, name=name))
    outputs = []
    if kind.writes and op.relation is not None:
        outputs.append(Dataset(namespace=ns, name=dataset_name(op.target, str(op.relation))))
    facets = {"sql": SQLJobFacet(query=redact(sql, *target_secrets(op.target)))} if sql.strip() else {}
    return OperatorLineage(inputs=inputs, outputs=outputs, job_facets=facets)
