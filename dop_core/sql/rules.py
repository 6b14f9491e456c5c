"""The registry of DOP's translation rules, and the pass that applies them to one statement.

A rule is a function ``(tree, target) -> tree`` over a sqlglot tree parsed as BigQuery, registered with
``@rule("duckdb", "postgres")`` for the engines it is for. Its docstring says which BigQuery semantics it
keeps (the docs page lists them), and tests/sql has a test of it on a real engine. Rules run in the
order of ``RULE_MODULES``, then in the order they are defined in their module.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dop_core.sql.inference import Schema

RULE_MODULES = ("checks", "names", "functions", "quantified", "strings", "regexps", "aggregates", "windows",
                "arithmetic", "types", "grouping", "literal_casts", "dates", "intervals", "formats", "arrays",
                "ordering", "text_format", "text_functions", "library_functions", "postgres_functions",
                "set_operations", "queries", "json_functions", "pipes", "with_clauses", "structs", "group_by_all",
                "set_operation_types", "unpivot", "postgres_names")

Transform = Callable[[Any, str], Any]
#: ``over(expression)``: the expression under the window the rewritten aggregate was under (if any)
Over = Callable[[Any], Any]


@dataclass(frozen=True)
class Rule:
    name: str
    targets: frozenset[str]
    function: Transform

    @property
    def doc(self) -> str:
        return (self.function.__doc__ or "").strip()


_RULES: list[Rule] = []


def rule(*targets: str) -> Callable[[Transform], Transform]:
    """Register a translation rule for the given engine dialects."""

    def register(function: Transform) -> Transform:
        _RULES.append(Rule(function.__name__, frozenset(targets), function))
        return function

    return register


def rules() -> list[Rule]:
    """Every rule, in the order they are applied (``RULE_MODULES``' order, whichever was imported first)."""
    for module in RULE_MODULES:
        importlib.import_module(f"dop_core.sql.{module}")
    order = {f"dop_core.sql.{m}": i for i, m in enumerate(RULE_MODULES)}
    return sorted(_RULES, key=lambda r: order.get(r.function.__module__, len(order)))


def apply_rules(tree: Any, target: str, schema: Schema | None = None) -> Any:
    """``tree`` (a statement parsed as BigQuery) with every rule for ``target`` applied. The expressions'
    BigQuery types are inferred first (``schema``: the column types of the tables it reads, if known)."""
    from dop_core.sql.inference import annotate

    annotate(tree, schema)
    for item in rules():
        if target in item.targets:
            tree = item.function(tree, target)
    return tree


def rewrite(tree: Any, change: Callable[[Any], Any]) -> Any:
    """``tree`` with ``change`` applied to every node, children before their parent (a parent sees its
    rewritten children); ``change`` returns the node itself or its replacement (which may contain it)."""
    nodes = list(tree.walk(bfs=False))
    root = tree
    for node in reversed(nodes):
        parent, key, index = node.parent, node.arg_key, node.index  # ``change`` may wrap ``node`` itself
        new = change(node)
        if new is node:
            continue
        if node is root:
            root = new
        elif parent is not None:
            parent.set(key, new, index)
    return root


def rewrite_aggregates(tree: Any, change: Callable[[Any, Over], Any]) -> Any:
    """``tree`` with ``change(aggregate, over)`` applied to every node: an aggregate's replacement may
    combine several aggregates, each put under the original's window with ``over``. An aggregate under
    ``IGNORE NULLS``/``RESPECT NULLS`` is given as that wrapper. An aggregate of a PIVOT is kept when its
    replacement would combine several (PIVOT takes one aggregate per value)."""
    from sqlglot import exp

    def visit(node: Any) -> Any:
        if isinstance(node, exp.Window):
            aggregate = node.this

            def over(inner: Any) -> Any:
                window = node.copy()
                window.set("this", inner)
                return window

            new = change(aggregate, over)
            return node if new is aggregate else new
        if (isinstance(node.parent, exp.Window) and node.arg_key == "this") or \
                isinstance(node.parent, exp.IgnoreNulls | exp.RespectNulls):
            return node  # rewritten with its window or its NULL handling
        parent, key, index = node.parent, node.arg_key, node.index  # ``change`` may wrap ``node``
        owner = parent.parent if isinstance(parent, exp.Alias) else parent
        new = change(node, lambda inner: inner)
        if new is not node and isinstance(owner, exp.Pivot) and \
                sum(isinstance(n, exp.AggFunc) or type(n) is type(node) for n in new.walk()) > 1:
            parent.set(key, node, index)  # a PIVOT's aggregate must stay one aggregate
            return node
        return new

    return rewrite(tree, visit)
