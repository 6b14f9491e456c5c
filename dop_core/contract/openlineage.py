"""What DOP's SQL operators tell OpenLineage (apache-airflow-providers-openlineage, when installed: it asks every
operator for ``get_openlineage_facets_on_start``/``_on_complete``): input datasets (the tables the rendered SQL
reads, parsed then), the output dataset (the table or view written, when the kind ``writes``) and the SQL job
facet (the rendered SQL, credentials masked). The provider is imported inside :func:`operator_lineage` only.
"""

from __future__ import annotations

from typing import Any


def dataset(target: Any, table: str) -> tuple[str, str]:
    """The OpenLineage ``(namespace, name)`` of ``table`` on ``target``: as its engine names it (the engine
    record's ``openlineage``), else ``(<engine>://<target name>, table)``."""
    from dop_core.contract.registry import get_registry

    named = get_registry().named("engine", target.engine).load("openlineage")
    return named(target, table) if named is not None else (f"{target.engine}://{target.name}", table)


def operator_lineage(op: Any) -> Any:
    """The OpenLineage facets of one of DOP's SQL operators (after rendering: its SQL is the one run)."""
    from airflow.providers.common.compat.openlineage.facet import Dataset, SQLJobFacet
    from airflow.providers.openlineage.extractors import OperatorLineage

    from dop_core.contract.registry import get_registry
    from dop_core.contract.runtime import target_secrets
    from dop_core.secrets import redact
    from dop_core.sql.references import table_references

    kind = get_registry().kind(op.kind)
    sql = op.sql if isinstance(op.sql, str) and not op.sql.endswith(".sql") else ""  # "": not rendered yet
    inputs = []
    if kind.sql == "query" and sql:
        seen = set()
        for table, _ in table_references(sql, op.dialect):
            namespace, name = dataset(op.target, table)
            if name.lower() not in seen:
                seen.add(name.lower())
                inputs.append(Dataset(namespace=namespace, name=name))
    outputs = []
    if kind.writes and op.relation is not None:
        namespace, name = dataset(op.target, str(op.relation))
        outputs.append(Dataset(namespace=namespace, name=name))
    facets = {"sql": SQLJobFacet(query=redact(sql, *target_secrets(op.target)))} if sql.strip() else {}
    return OperatorLineage(inputs=inputs, outputs=outputs, job_facets=facets)
