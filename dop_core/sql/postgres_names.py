"""Rules for names on PostgreSQL: its reserved words, and its case-sensitive quoted names."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dop_core.sql.inference import column_spellings, columns_of
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
def select_aliases_in_having_and_grouping_sets(tree: Any, target: str) -> Any:
    """``HAVING`` and ``GROUPING SETS``/``ROLLUP``/``CUBE`` may name a SELECT item by its alias
    (``SELECT SUM(x) AS s ... HAVING s > 1``, ``GROUP BY ROLLUP(x)`` for ``a + d AS x``); PostgreSQL reads
    only the FROM clause's columns there. A name that is an alias and not a column of the FROM clause
    (whose columns must be known) is replaced by the aliased expression."""
    for select in tree.find_all(exp.Select):
        having, group = select.args.get("having"), select.args.get("group")
        if having is None and group is None:
            continue
        aliases = {item.alias.lower(): item.this for item in select.expressions
                   if isinstance(item, exp.Alias) and item.alias}
        inputs = _from_columns(select)
        if not aliases or inputs is None:
            continue
        places = [having] if having is not None else []
        if group is not None:
            places += [g for key in ("grouping_sets", "rollup", "cube") for g in group.args.get(key) or []]
            places += [g for g in group.expressions if isinstance(g, exp.GroupingSets | exp.Rollup | exp.Cube)]
        for place in places:
            for column in list(place.find_all(exp.Column)):
                name = column.name.lower()
                if not column.table and name in aliases and name not in inputs and \
                        column.find_ancestor(exp.Select) is select:
                    value = aliases[name].copy()
                    column.replace(value if isinstance(value, exp.Column | exp.Literal) else exp.Paren(this=value))
    return tree


def _from_columns(select: Any) -> set[str] | None:
    """The lower-case column names of the FROM clause's tables and subqueries, or None when one is unknown."""
    sources = [select.args["from"].this] if select.args.get("from") else []
    sources += [join.this for join in select.args.get("joins") or []]
    names: set[str] = set()
    for source in sources:
        columns = columns_of(source)
        if columns is None:
            return None
        names.update(c.lower() for c in columns)
    return names


@rule("postgres")
def reserved_words_are_quoted(tree: Any, target: str) -> Any:
    """A name BigQuery accepts unquoted that PostgreSQL reserves (``offset`` of ``WITH OFFSET``, a column
    named ``user`` or ``table``) is quoted, in lower case, as PostgreSQL folds an unquoted name."""
    for identifier in tree.find_all(exp.Identifier):
        if not identifier.quoted and identifier.name.lower() in _POSTGRES_RESERVED:
            identifier.set("this", identifier.name.lower())
            identifier.set("quoted", True)
    return tree
