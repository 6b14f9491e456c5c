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
        if with_.args.get("recursive"):
            with_.set("expressions", _ordered(with_.expressions))
    return tree


def _ordered(ctes: list[Any]) -> list[Any]:
    """``ctes`` with each after the ones it reads (a CTE reading itself is recursion, not an order)."""
    by_name = {cte.alias_or_name.lower(): cte for cte in ctes}
    names = list(by_name)
    reads = {name: {t.name.lower() for t in cte.this.find_all(exp.Table) if not t.db} & by_name.keys() - {name}
             for name, cte in by_name.items()}
    ordered: list[str] = []

    def place(name: str, seen: frozenset[str]) -> None:
        if name in ordered or name in seen:
            return
        for read in sorted(reads[name], key=names.index):
            place(read, seen | {name})
        ordered.append(name)

    for name in names:
        place(name, frozenset())
    return [by_name[name] for name in ordered]
