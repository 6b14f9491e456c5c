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
from typing import Any

RULE_MODULES = ("functions", "types", "dates", "formats", "arrays", "set_operations", "queries")

Transform = Callable[[Any, str], Any]


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


def apply_rules(tree: Any, target: str) -> Any:
    """``tree`` (a statement parsed as BigQuery) with every rule for ``target`` applied."""
    for item in rules():
        if target in item.targets:
            tree = item.function(tree, target)
    return tree
