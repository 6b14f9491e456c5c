"""Rules for BigQuery's pipe syntax (``FROM t |> WHERE ... |> UNION ALL (...)``), which sqlglot (with DOP's
grammar additions, ``dop_core/sql/grammar.py``) reads into plain queries over CTEs."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dop_core.sql.rules import rule


@rule("duckdb", "postgres")
def pipe_set_operands_keep_their_parentheses(tree: Any, target: str) -> Any:
    """``... |> INTERSECT DISTINCT (SELECT ... UNION ALL SELECT ...)`` combines the pipe's input with the
    whole parenthesized query. sqlglot read the operand without its parentheses and wrote
    ``... INTERSECT SELECT ... UNION ALL SELECT ...`` (another grouping, another result): a set operation
    that is the right operand of another is put back in parentheses."""
    for node in list(tree.find_all(exp.SetOperation)):
        operand = node.expression
        if isinstance(operand, exp.SetOperation):
            node.set("expression", exp.Subquery(this=operand))
    return tree
