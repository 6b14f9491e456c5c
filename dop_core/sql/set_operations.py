"""Rules for BigQuery's set operations matched by column name (CORRESPONDING, BY NAME)."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dop_core.sql import UnsupportedSqlError
from dop_core.sql.inference import COLUMNS
from dop_core.sql.rules import rule


@rule("duckdb", "postgres")
def corresponding_by_name(tree: Any, target: str) -> Any:
    """BigQuery matches the columns of ``UNION/INTERSECT/EXCEPT ... CORRESPONDING`` (or ``BY NAME``) by
    name, not position: ``[INNER] CORRESPONDING`` keeps the columns both sides have, ``FULL [OUTER]``
    all of them and ``LEFT [OUTER]`` the left's (a missing one is NULL), ``STRICT CORRESPONDING`` and
    ``BY NAME`` need the same names on both sides; ``BY (a, b)`` / ``ON (a, b)`` names them. The output
    has the left's column order (or the list's). Names compare case-insensitively.

    Each side becomes ``SELECT <the columns, NULL for a missing one> FROM (side)``, a positional set
    operation every engine runs. ``SELECT *`` of a subquery or a CTE (the pipe syntax's steps) has that
    query's columns; a side whose columns are not known from the SQL (``SELECT *`` of a table) is an
    error naming it."""
    operations = [node for node in tree.find_all(exp.SetOperation) if node.args.get("by_name")]
    for node in reversed(operations):  # innermost first: an inner one's columns are then known
        _rewrite(node)
    return tree


def _rewrite(node: Any) -> None:
    left, right = node.this, node.expression
    left_names, right_names = _names(left), _names(right)
    side, kind = (node.args.get("side") or "").upper(), (node.args.get("kind") or "").upper()
    listed = [c.name for c in node.args.get("on") or []]
    lower_left = {n.lower(): n for n in reversed(left_names)}
    lower_right = {n.lower(): n for n in reversed(right_names)}
    if listed:
        columns = listed
        pool = lower_left.keys() & lower_right.keys() if kind == "INNER" or not side else \
            lower_left.keys() | lower_right.keys() if side == "FULL" else lower_left.keys()
        missing = [c for c in columns if c.lower() not in pool]
        if missing:
            raise _error(f"column {missing[0]} of the CORRESPONDING BY list is not in the inputs")
    elif side == "FULL":
        columns = _unique(left_names + [n for n in right_names if n.lower() not in lower_left])
    elif side == "LEFT":
        columns = _unique(left_names)
    elif kind == "INNER":
        columns = _unique([n for n in left_names if n.lower() in lower_right])
    else:  # STRICT CORRESPONDING / BY NAME
        if set(lower_left) != set(lower_right):
            raise _error("STRICT CORRESPONDING (BY NAME) needs the same column names on both sides")
        columns = _unique(left_names)
    if not columns:
        raise _error("CORRESPONDING finds no column name the inputs share")
    node.set("this", _project(left, columns, lower_left))
    node.set("expression", _project(right, columns, lower_right))
    for arg in ("by_name", "side", "kind", "on"):
        node.set(arg, None)


def _names(query: Any) -> list[str]:
    while isinstance(query, exp.Subquery):
        query = query.this
    names = list(query.named_selects)
    selects = query.selects if isinstance(query, exp.Select) else []
    if any(isinstance(s, exp.Star) or (isinstance(s, exp.Column) and s.is_star) for s in selects):
        source = _star_source(query)
        if source is None:
            raise _error("CORRESPONDING over SELECT * needs the input's column names: list the columns")
        names = [n for s in selects for n in (_names(source) if isinstance(s, exp.Star) else [s.alias_or_name])]
        selects = [s for s in selects if not isinstance(s, exp.Star)]
    if not all(names) or any(not s.alias_or_name for s in selects):
        raise _error("CORRESPONDING needs every input column to have a name")
    return names


def _star_source(query: Any) -> Any:
    """The query a ``SELECT *[, more] FROM x`` reads when its columns are known: ``x`` a subquery, a CTE of
    an enclosing WITH (as the pipe syntax's steps are) or a table of known columns (as a query of its
    columns); None otherwise (a qualified or modified star, a join)."""
    stars = [s for s in query.selects if isinstance(s, exp.Star) or (isinstance(s, exp.Column) and s.is_star)]
    if len(stars) != 1 or not isinstance(stars[0], exp.Star) or any(stars[0].args.values()) or \
            query.args.get("joins") or query.args.get("group") or not query.args.get("from_"):
        return None
    source = query.args["from_"].this
    if isinstance(source, exp.Subquery):
        return source.this
    if not isinstance(source, exp.Table):
        return None
    scope = query if not source.db else None
    while scope is not None:
        with_ = scope.args.get("with_") if isinstance(scope, exp.Query) else None
        for cte in with_.expressions if with_ else []:
            if cte.alias_or_name.lower() == source.name.lower() and cte.this is not query:
                return cte.this
        scope = scope.parent
    columns = source.meta.get(COLUMNS)  # a table whose columns the warehouse told
    return exp.select(*[exp.column(c, quoted=True) for c in columns]) if columns else None


def _unique(columns: list[str]) -> list[str]:
    """The chosen columns; BigQuery refuses one an input has twice (unchosen duplicates are fine)."""
    if len({c.lower() for c in columns}) != len(columns):
        raise _error("CORRESPONDING needs distinct names among the matched columns of each input")
    return columns


def _project(query: Any, columns: list[str], available: dict[str, str]) -> Any:
    picks = [exp.alias_(exp.column(available[c.lower()], quoted=True), c, quoted=True)
             if c.lower() in available else exp.alias_(exp.Null(), c, quoted=True) for c in columns]
    inner = query.this if isinstance(query, exp.Subquery) else query
    return exp.select(*picks).from_(exp.Subquery(this=inner.copy(), alias=exp.TableAlias(
        this=exp.to_identifier("_dop_side"))))


def _error(message: str) -> UnsupportedSqlError:
    return UnsupportedSqlError(message, construct="CORRESPONDING")
