"""Rules for the shape of BigQuery queries: FROM items."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dop_core.sql.rules import rule


@rule("postgres")
def from_subqueries_get_an_alias(tree: Any, target: str) -> Any:
    """BigQuery lets a subquery in FROM go without an alias (``FROM (SELECT ...)``); PostgreSQL before
    version 16 refuses it ("subquery in FROM must have an alias"). Each one gets a fresh alias."""
    count = 0
    for node in list(tree.find_all(exp.Subquery)):
        if isinstance(node.parent, exp.From | exp.Join) and not node.alias:
            count += 1
            node.set("alias", exp.TableAlias(this=exp.to_identifier(f"_dop_from_{count}")))
    return tree
