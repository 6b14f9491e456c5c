"""Rules for the column types of BigQuery's set operations."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dop_core.sql.inference import type_of
from dop_core.sql.rules import rule

#: types a STRING literal is coerced to where a set operation's other input has them
_LITERAL_TARGETS = ("DATE", "DATETIME", "TIME", "TIMESTAMP", "TIMESTAMPTZ")


def _branches(node: Any) -> list[Any]:
    """The SELECTs a chain of set operations combines, in order (None for an input that is not one)."""
    while isinstance(node, exp.Subquery):
        node = node.this
    if isinstance(node, exp.SetOperation):
        return _branches(node.this) + _branches(node.expression)
    return [node if isinstance(node, exp.Select) else None]


def _value(item: Any) -> Any:
    return item.this if isinstance(item, exp.Alias) else item


@rule("duckdb")
def set_operations_coerce_string_literals(tree: Any, target: str) -> Any:
    """``SELECT date_col FROM t UNION ALL SELECT '2015-01-17'`` is a DATE column: BigQuery coerces a STRING
    literal to the DATE, DATETIME, TIME or TIMESTAMP of the column it is combined with (DuckDB made the
    column a string; PostgreSQL resolves the literal as BigQuery does). The literal is cast to the other
    input's type where that type is known."""
    for node in tree.find_all(exp.SetOperation):
        if isinstance(node.parent, exp.SetOperation) and node.arg_key == "this":
            continue  # the outermost operation of a chain sees every input
        branches = _branches(node)
        if any(b is None for b in branches) or len({len(b.expressions) for b in branches}) != 1:
            continue
        for column in zip(*(b.expressions for b in branches), strict=True):
            typ = next((type_of(_value(i)) for i in column if type_of(_value(i)) is not None and
                        type_of(_value(i)).this.name in _LITERAL_TARGETS), None)
            if typ is None:
                continue
            for item in column:
                value = _value(item)
                if isinstance(value, exp.Literal) and value.is_string:
                    value.replace(exp.Cast(this=value.copy(), to=typ.copy()))
    return tree
