"""Rules for names on PostgreSQL: its reserved words, and its case-sensitive quoted names."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dop_core.sql.inference import column_spellings
from dop_core.sql.rules import rule

#: PostgreSQL's reserved key words (its documentation's appendix "SQL Key Words", column "reserved")
#: that BigQuery lets a query use as a column or table name unquoted
_POSTGRES_RESERVED = frozenset({
    "analyse", "analyze", "asymmetric", "both", "check", "column", "constraint", "current_catalog", "current_role",
    "current_user", "deferrable", "do", "fetch", "foreign", "grant", "initially", "leading", "localtime",
    "localtimestamp", "offset", "only", "placing", "primary", "references", "returning", "session_user", "symmetric",
    "table", "trailing", "user", "variadic", "authorization", "binary", "collation", "concurrently", "freeze",
    "ilike", "isnull", "notnull", "overlaps", "similar", "verbose",
})


@rule("postgres")
def known_columns_keep_their_spelling(tree: Any, target: str) -> Any:
    """BigQuery's column names are case-insensitive (``distinct_4b`` reads the column ``distinct_4B``);
    PostgreSQL folds an unquoted name to lower case and a column created as ``"distinct_4B"`` (a seed's
    header) is then not found. A name that is, in any case, a column of a table DOP was told about with
    capitals is written quoted with the table's spelling (every use of it, aliases too, so they still
    match)."""
    spellings = column_spellings(tree)
    if not spellings:
        return tree
    for identifier in tree.find_all(exp.Identifier):
        spelling = spellings.get(identifier.name.lower())
        if spelling and not identifier.quoted and not isinstance(identifier.parent, exp.Table):
            identifier.set("this", spelling)
            identifier.set("quoted", True)
    return tree


@rule("postgres")
def reserved_words_are_quoted(tree: Any, target: str) -> Any:
    """A name BigQuery accepts unquoted that PostgreSQL reserves (``offset`` of ``WITH OFFSET``, a column
    named ``user`` or ``table``) is quoted, in lower case, as PostgreSQL folds an unquoted name."""
    for identifier in tree.find_all(exp.Identifier):
        if not identifier.quoted and identifier.name.lower() in _POSTGRES_RESERVED:
            identifier.set("this", identifier.name.lower())
            identifier.set("quoted", True)
    return tree
