"""Rules for BigQuery's function-call forms: the ``SAFE.`` prefix."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dop_core.sql import UnsupportedSqlError
from dop_core.sql.rules import rule


@rule("duckdb", "postgres")
def safe_prefix(tree: Any, target: str) -> Any:
    """``SAFE.f(...)`` returns NULL where ``f(...)`` would raise an error. sqlglot passed ``SAFE.`` through
    (an unknown column "SAFE" on DuckDB); DuckDB's ``TRY(f(...))`` has exactly this meaning. PostgreSQL
    has no expression-level error catching, so there it is an error naming ``SAFE.``."""

    def fix(node: Any) -> Any:
        if isinstance(node, exp.SafeFunc):
            if target != "duckdb":
                raise UnsupportedSqlError(f"SAFE.{node.this.sql('bigquery').split('(')[0]} (returning NULL on "
                                          f"error) cannot be expressed on {target}", construct="SAFE")
            return exp.func("TRY", node.this.copy())
        return node

    return tree.transform(fix)
