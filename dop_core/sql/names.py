"""Rules for the names BigQuery gives to the columns of a query."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dop_core.sql.rules import rule


@rule("duckdb", "postgres")
def field_access_names_its_column(tree: Any, target: str) -> Any:
    """A select-list item that reads a field of an expression (``(SELECT AS STRUCT ...).b``,
    ``arr[OFFSET(0)].value``) is a column named after the field, as a column reference ``t.a`` is named
    ``a``. The engines named it after the whole expression; the item gets the field's name as its alias
    (before other rules rewrite the expression)."""
    for select in tree.find_all(exp.Select):
        for item in select.expressions:
            if isinstance(item, exp.Dot) and isinstance(item.expression, exp.Identifier):
                item.replace(exp.alias_(item.copy(), item.expression.name, quoted=True))
    return tree
