"""Names that are reserved words of the engine but plain names in BigQuery."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dop_core.sql.rules import rule

#: PostgreSQL's reserved key words (its documentation's appendix "SQL Key Words", column "reserved")
#: that BigQuery lets a query use as a column or table name unquoted
_POSTGRES_RESERVED = frozenset("""
    analyse analyze asymmetric both check column constraint current_catalog current_role current_user
    deferrable do fetch foreign grant initially leading localtime localtimestamp offset only placing primary
    references returning session_user symmetric table trailing user variadic authorization binary collation
    concurrently freeze ilike isnull notnull overlaps similar verbose
""".split())


@rule("postgres")
def reserved_words_are_quoted(tree: Any, target: str) -> Any:
    """A name BigQuery accepts unquoted that PostgreSQL reserves (``offset`` of ``WITH OFFSET``, a column
    named ``user`` or ``table``) is quoted, in lower case, as PostgreSQL folds an unquoted name."""
    for identifier in tree.find_all(exp.Identifier):
        if not identifier.quoted and identifier.name.lower() in _POSTGRES_RESERVED:
            identifier.set("this", identifier.name.lower())
            identifier.set("quoted", True)
    return tree
