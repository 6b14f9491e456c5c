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


@rule("duckdb", "postgres")
def pipe_steps_in_a_recursive_cte_are_inlined(tree: Any, target: str) -> Any:
    """A recursive CTE written with pipes (``WITH RECURSIVE t AS ((SELECT 1 AS n) |> UNION ALL (SELECT n + 1
    FROM t ...))``) reads itself from the pipe's steps, which sqlglot wrote as CTEs of its own inside it:
    the engines cannot recurse through a nested WITH (an error). The steps are put back as subqueries."""
    for with_ in list(tree.find_all(exp.With)):
        if not with_.args.get("recursive"):
            continue
        for cte in with_.expressions:
            inlined = _inlined(cte.this)
            if inlined is not None:
                cte.set("this", inlined)
    return tree


def _inlined(query: Any) -> Any:
    """``WITH s1 AS (...), s2 AS (...) SELECT * FROM s2`` as ``s2``'s query with each step's name replaced
    by its query; None when ``query`` is not of that shape."""
    steps_with = query.args.get("with_") if isinstance(query, exp.Select) else None
    source = query.args["from_"].this if steps_with and query.args.get("from_") else None
    steps = {cte.alias_or_name: cte.this for cte in steps_with.expressions} if steps_with else {}
    if not isinstance(source, exp.Table) or source.name not in steps or len(query.selects) != 1 or \
            not isinstance(query.selects[0], exp.Star) or any(query.args.get(k) for k in ("where", "joins", "group")):
        return None
    body = steps[source.name].copy()
    while True:
        reads = [t for t in body.find_all(exp.Table) if not t.db and t.name in steps]
        if not reads:
            return body
        for table in reads:
            alias = exp.TableAlias(this=exp.to_identifier(table.alias_or_name))
            table.replace(exp.Subquery(this=steps[table.name].copy(), alias=alias))
