"""One BigQuery statement as an engine's SQL: DOP's rules, then sqlglot's generator, strictly."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from dop_core.sql import UnsupportedSqlError

if TYPE_CHECKING:
    from dop_core.sql.inference import Schema


def translate_statement(tree: Any, source: str, target: str, pretty: bool = True, schema: Schema | None = None
                        ) -> str:
    """``tree`` (one statement parsed in ``source``) as ``target`` SQL.

    From BigQuery, DOP's rules run first (``schema``: the BigQuery column types of the tables it reads,
    when known, for the rules that depend on types). sqlglot's generator runs with unsupported constructs as errors:
    what it would drop or change silently (a modifier, an argument) raises ``UnsupportedSqlError``.
    """
    from sqlglot.errors import ErrorLevel, UnsupportedError

    from dop_core.sql.rules import apply_rules

    if source == "bigquery":
        tree = apply_rules(tree, target, schema)
    try:
        return str(tree.sql(dialect=target, pretty=pretty, unsupported_level=ErrorLevel.RAISE))
    except UnsupportedError as exc:
        message = str(exc).strip().splitlines()[0].rstrip(". ")
        raise UnsupportedSqlError(f"{message} on {target}", construct=_construct(message)) from None


def _construct(message: str) -> str | None:
    """The SQL word an unsupported-construct message names (to find its line), if any."""
    found = re.findall(r"\b[A-Z][A-Z0-9_]{2,}(?: [A-Z]{2,})*\b", message)
    return found[0] if found else None


def locate(sql: str, construct: str | None) -> tuple[int, int] | None:
    """(line, column) of the first ``construct`` (a word, any case) in ``sql``, counting from 1."""
    if not construct:
        return None
    pattern = r"\s+".join(re.escape(word) for word in construct.split())
    match = re.search(rf"(?<![\w.]){pattern}(?!\w)", sql, flags=re.I)
    if not match:
        return None
    line = sql.count("\n", 0, match.start()) + 1
    return line, match.start() - (sql.rfind("\n", 0, match.start()) + 1) + 1
