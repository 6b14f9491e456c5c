"""The tables a SQL text reads and the qualified functions it calls, found by sqlglot (imported when called):
what DOP's lineage (:mod:`dop_core.lineage`) and its OpenLineage facets know of a query."""

from __future__ import annotations

import logging
from typing import Any


def references(sql: str, dialect: str) -> list[tuple[str, int, bool]]:
    """Each qualified table name ``sql`` reads and each qualified function it calls (``schema.fn(...)``, a
    ``materialization/udf``'s), as written, with the offset where it starts in ``sql`` and whether it is a
    function; nothing when it does not parse."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError

    from dop_core.sql.grammar import reader

    quiet = logging.getLogger("sqlglot")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        statements = [s for s in sqlglot.parse(sql, read=reader(dialect)) if s is not None]
    except (ParseError, TokenError):
        return []
    finally:
        quiet.setLevel(level)
    found = []
    for statement in statements:
        for node in statement.walk():
            if isinstance(node, exp.Table) and isinstance(node.this, exp.Identifier) and node.db:
                found.append((".".join(part.name for part in node.parts), _start(node.parts), False))
            elif isinstance(node, exp.Dot) and isinstance(node.expression, exp.Anonymous):
                parts = list(node.this.find_all(exp.Identifier))  # schema (or database.schema) of the function
                if parts and all(isinstance(n, exp.Dot | exp.Identifier) for n in node.this.walk()):
                    found.append((".".join([*(p.name for p in parts), node.expression.name]), _start(parts), True))
    # left out: a table function, a CTE's (unqualified) name, an unqualified function (a built-in)
    return sorted(found, key=lambda ref: ref[1])


def table_references(sql: str, dialect: str) -> list[tuple[str, int]]:
    """The tables among :func:`references`."""
    return [(name, start) for name, start, function in references(sql, dialect) if not function]


def _start(parts: list[Any]) -> int:
    starts = [p.meta["start"] for p in parts if isinstance(p.meta.get("start"), int)]
    return min(starts) if starts else 0
