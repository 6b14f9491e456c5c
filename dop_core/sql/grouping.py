"""Rules for BigQuery's GROUPING SETS, ROLLUP and CUBE: which select expressions are grouping keys."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dop_core.sql.rules import rule

_MULTI = (exp.GroupingSets, exp.Rollup, exp.Cube)


@rule("duckdb")
def grouping_sets_match_keys_as_bigquery(tree: Any, target: str) -> Any:
    """With ``GROUPING SETS``/``ROLLUP``/``CUBE`` a grouping key is NULL in the rows of the sets that
    leave it out, so which select expressions *are* keys changes the result. BigQuery (GoogleSQL):

    - a select expression made only of grouped columns is computed from them: with
      ``GROUPING SETS(a, a + 1)``, ``SELECT a + 1`` is 11 in the rows of set ``a`` and NULL in those of
      set ``a + 1`` (the engines took it for the key ``a + 1``: the other way round);
    - a key given by a select position or alias (``GROUPING SETS(1, x)``) makes that select item the
      key itself (NULL where its set is left out), also a constant (``SELECT 1 ... GROUPING SETS(2)``);
    - any other select, HAVING or ORDER BY expression equal to a key is that key.

    A key that is not a plain column is grouped as ``CASE WHEN TRUE THEN <key> END`` (the same value),
    which DuckDB matches only where BigQuery takes the expression for the key: there the expression is
    written the same way. (PostgreSQL's planner folds the CASE away and matches the expression to the
    key again, so the rule is not applied there.)"""
    for select in tree.find_all(exp.Select):
        group = select.args.get("group")
        if group is not None and any(isinstance(item, _MULTI) for item in group.expressions):
            _expand_nested(group)
            _match_keys(select, group)
        if group is not None:
            _grouping_of_aliases(select)
    return tree


def _expand_nested(group: Any) -> None:
    """``ROLLUP``/``CUBE`` inside ``GROUPING SETS`` as the sets they stand for (the engines lack them);
    a parenthesised single key ``(a)`` as ``a``."""
    for sets in group.find_all(exp.GroupingSets):
        members = []
        for member in sets.expressions:
            if isinstance(member, exp.Rollup):
                items = member.expressions
                members += [_set(items[:size]) for size in range(len(items), -1, -1)]
            elif isinstance(member, exp.Cube):
                items = member.expressions
                members += [_set([item for bit, item in enumerate(items) if mask >> bit & 1])
                            for mask in range(2 ** len(items) - 1, -1, -1)]
            else:
                members.append(member)
        sets.set("expressions", members)
    for paren in [leaf for leaf in _leaves(group) if isinstance(leaf, exp.Paren)]:
        paren.replace(paren.unnest())


def _set(items: list[Any]) -> Any:
    """One grouping set of ``items`` (each a key or a tuple of keys)."""
    keys = [key.copy() for item in items for key in (item.expressions if isinstance(item, exp.Tuple) else [item])]
    return exp.Tuple(expressions=keys)


def _grouping_of_aliases(select: Any) -> None:
    """``GROUPING(x)`` of a select alias ``x`` is ``GROUPING`` of the aliased expression."""
    aliases = {item.alias.lower(): item.unalias() for item in select.expressions if isinstance(item, exp.Alias)}
    for grouping in [g for g in select.find_all(exp.Grouping) if g.find_ancestor(exp.Select) is select]:
        for argument in list(grouping.expressions):
            if isinstance(argument, exp.Column) and not argument.table and argument.name.lower() in aliases:
                argument.replace(aliases[argument.name.lower()].copy())


def _as_key(expression: Any) -> Any:
    return exp.Case(ifs=[exp.If(this=exp.true(), true=expression.copy())])


def _leaves(group: Any) -> list[Any]:
    """The grouping keys as written (a ROLLUP's tuple counts its members)."""
    leaves = []
    for item in group.expressions:
        for member in item.expressions if isinstance(item, _MULTI) else [item]:
            leaves += member.expressions if isinstance(member, exp.Tuple) else [member]
    return leaves


def _select_item(leaf: Any, select: Any) -> int | None:
    """The index of the select item a key names by position or alias, if it does."""
    items = select.expressions
    if isinstance(leaf, exp.Literal) and not leaf.is_string and leaf.this.isdigit() \
            and 1 <= int(leaf.this) <= len(items):
        return int(leaf.this) - 1
    if isinstance(leaf, exp.Column) and not leaf.table:
        for index, item in enumerate(items):
            if isinstance(item, exp.Alias) and item.alias.lower() == leaf.name.lower():
                return index
    return None


def _match_keys(select: Any, group: Any) -> None:
    keys: list[Any] = []  # expression keys (not plain columns), as written
    named: set[int] = set()  # select items that are keys themselves
    for leaf in _leaves(group):
        index = _select_item(leaf, select)
        expression = select.expressions[index].unalias() if index is not None else leaf
        if index is not None:
            named.add(index)
        if isinstance(expression, exp.Column):
            if index is not None:
                leaf.replace(expression.copy())
            continue
        keys.append(expression.copy())
        leaf.replace(_as_key(expression))
    grouped = {leaf.name.lower() for leaf in _leaves(group) if isinstance(leaf, exp.Column)}
    for index in named:
        item = select.expressions[index]
        value = item.unalias()
        if not isinstance(value, exp.Column) and not _is_key(value):
            value.replace(_as_key(value))
    for index, item in enumerate(select.expressions):
        if index not in named:
            _refer_to_keys(item, keys, grouped)
    for clause in ("having", "order", "qualify"):
        if select.args.get(clause) is not None:
            _refer_to_keys(select.args[clause], keys, grouped)


def _is_key(node: Any) -> bool:
    return isinstance(node, exp.Case) and len(node.args.get("ifs") or []) == 1 and \
        node.args["ifs"][0].this == exp.true() and node.args.get("default") is None


def _refer_to_keys(node: Any, keys: list[Any], grouped: set[str]) -> None:
    """Write each expression equal to a key as the key, unless BigQuery computes it from grouped columns."""
    if isinstance(node, exp.Select | exp.Subquery) or (isinstance(node, exp.AggFunc) and
                                                       not isinstance(node, exp.Grouping)):
        return
    if not isinstance(node, exp.Column) and node in keys:
        columns = {c.name.lower() for c in node.find_all(exp.Column)}
        if not columns or not columns <= grouped:
            node.replace(_as_key(node))
            return
    for child in list(node.iter_expressions()):
        _refer_to_keys(child, keys, grouped)
