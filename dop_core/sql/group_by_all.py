"""Rules for BigQuery's ``GROUP BY ALL``."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dop_core.sql.rules import rule


def _is_key(item: Any) -> bool:
    """A SELECT item ``GROUP BY ALL`` groups by: no aggregate, no window function, and a column in it."""
    value = item.this if isinstance(item, exp.Alias) else item
    return value.find(exp.AggFunc, exp.Window) is None and value.find(exp.Column) is not None


@rule("duckdb")
def group_by_all_lists_its_keys(tree: Any, target: str) -> Any:
    """``GROUP BY ALL`` groups by the SELECT items that hold no aggregate or window function and are not
    constants; with none, the query is one group (``SELECT 'a' FROM t GROUP BY ALL`` is one row). DuckDB
    returned a row per input row there, and refuses ``QUALIFY`` beside ``GROUP BY ALL``: in these two
    cases the keys are listed (``GROUP BY ()`` for none)."""
    for select in tree.find_all(exp.Select):
        group = select.args.get("group")
        if group is None or not group.args.get("all") or any(
                isinstance(item, exp.Star) or (isinstance(item, exp.Column) and item.is_star)
                for item in select.expressions):
            continue  # the keys of SELECT * are not known from the SQL: DuckDB's GROUP BY ALL as it is
        keys = [(item.this if isinstance(item, exp.Alias) else item).copy()
                for item in select.expressions if _is_key(item)]
        if keys and not select.args.get("qualify"):
            continue
        select.set("group", exp.Group(expressions=keys) if keys else exp.Group(
            grouping_sets=[exp.GroupingSets(expressions=[exp.Tuple(expressions=[])])]))
    return tree
