"""Rules for BigQuery's quantified LIKE: ``x [NOT] LIKE ANY|SOME|ALL (patterns)`` and ``... UNNEST(array)``."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dop_core.sql.rules import rewrite, rule


@rule("duckdb", "postgres")
def quantified_like(tree: Any, target: str) -> Any:
    """``x LIKE ANY (p1, p2)`` is TRUE when one pattern matches, ``LIKE ALL`` when every one does, with
    NULLs as in ``OR``/``AND``; ``NOT LIKE ANY`` is TRUE when one pattern does not match (``NOT LIKE ALL``:
    none matches). Over ``UNNEST(array)`` an empty or NULL array gives FALSE for ANY and TRUE for ALL.
    A list of one scalar subquery, ``LIKE ALL ((SELECT p))``, is one pattern.
    The list is spelled out as ORs/ANDs of LIKEs (so BYTES use the library's LIKE), the array form as
    DuckDB list functions over ``x LIKE p`` (sqlglot wrote ``x LIKE UNNEST(...)``, a row per pattern), on
    PostgreSQL as its ``x [NOT] LIKE ANY|ALL (array)`` (a NULL array gives FALSE for ANY, TRUE for ALL)."""

    def change(node: Any) -> Any:
        if not isinstance(node, exp.Like) or not isinstance(node.expression, exp.Any | exp.All):
            return node
        every = isinstance(node.expression, exp.All)
        patterns = node.expression.this
        if isinstance(patterns, exp.Paren) or (isinstance(patterns, exp.Subquery) and
                                               isinstance(patterns.this, exp.Subquery)):
            patterns = exp.Tuple(expressions=[patterns.this])  # one pattern: ``((SELECT p))`` too
        if isinstance(patterns, exp.Tuple):
            tests = [_like(node, p) for p in patterns.expressions]
            combined = tests[0]
            for test in tests[1:]:
                combined = (exp.And if every else exp.Or)(this=combined, expression=test)
            return exp.Paren(this=combined)
        if isinstance(patterns, exp.Unnest) and len(patterns.expressions) == 1:
            if target == "postgres":
                return _over_postgres_array(node, patterns.expressions[0], every)
            return _over_array(node, patterns.expressions[0], every)
        return node

    return rewrite(tree, change)


def _like(node: Any, pattern: Any) -> Any:
    like = exp.Like(this=node.this.copy(), expression=pattern.copy())
    return exp.Not(this=like) if node.args.get("negate") else like


def _over_array(node: Any, array: Any, every: bool) -> Any:
    """3-valued OR (ANY) or AND (ALL) of ``x LIKE p`` over the array's patterns."""
    name = exp.to_identifier("_dop_pattern")
    tests = exp.Anonymous(this="list_transform", expressions=[
        array, exp.Lambda(this=_like(node, exp.column(name)), expressions=[name])])
    empty = exp.Or(this=exp.Is(this=array.copy(), expression=exp.Null()),
                   expression=exp.EQ(this=exp.Anonymous(this="len", expressions=[array.copy()]),
                                     expression=exp.Literal.number(0)))
    decided: Any = exp.Anonymous(this="list_bool_and" if every else "list_bool_or", expressions=[tests.copy()])
    if every:
        decided = exp.Not(this=decided)
    some_null = exp.LT(this=exp.Anonymous(this="list_count", expressions=[tests.copy()]),
                       expression=exp.Anonymous(this="len", expressions=[tests.copy()]))
    return exp.Case(ifs=[exp.If(this=empty, true=exp.Boolean(this=every)),
                         exp.If(this=decided, true=exp.Boolean(this=not every)),
                         exp.If(this=some_null, true=exp.Null())], default=exp.Boolean(this=every))


def _over_postgres_array(node: Any, array: Any, every: bool) -> Any:
    quantified = (exp.All if every else exp.Any)(this=exp.Paren(this=array.copy()))
    like = exp.Like(this=node.this.copy(), expression=quantified, negate=node.args.get("negate"))
    return exp.Case(ifs=[exp.If(this=exp.Is(this=array.copy(), expression=exp.Null()), true=exp.Boolean(this=every))],
                    default=like)
