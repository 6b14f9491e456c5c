"""Rules for BigQuery's WITH clauses."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dop_core.sql.rules import rule


@rule("duckdb", "postgres")
def recursive_ctes_come_after_what_they_read(tree: Any, target: str) -> Any:
    """In ``WITH RECURSIVE`` a CTE may read one defined after it (``R AS (SELECT a FROM S), S AS (...)``);
    DuckDB and PostgreSQL know a CTE only after its definition (an error). The CTEs are put in an order
    where each comes after the ones it reads (otherwise as written), which changes no result."""
    for with_ in tree.find_all(exp.With):
        if not with_.args.get("recursive"):
            continue
        ctes = {cte.alias_or_name.lower(): cte for cte in with_.expressions}
        reads = {name: {t.name.lower() for t in cte.this.find_all(exp.Table) if not t.db} & ctes.keys() - {name}
                 for name, cte in ctes.items()}
        ordered: list[str] = []

        def place(name: str, seen: frozenset[str] = frozenset()) -> None:
            if name in ordered or name in seen:
                return
            for read in sorted(reads[name], key=list(ctes).index):
                place(read, seen | {name})
            ordered.append(name)

        for name in ctes:
            place(name)
        with_.set("expressions", [ctes[name] for name in ordered])
    return tree
