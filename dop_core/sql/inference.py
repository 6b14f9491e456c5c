"""BigQuery's types of the expressions of one statement, for rules whose translation depends on them.

``UPPER(b'abc')`` is BYTES and ``SUM(int64_column)`` INT64 on BigQuery; DuckDB and PostgreSQL need other
spellings for these than for STRING or FLOAT64. :func:`annotate` runs sqlglot's type inference (its
``qualify`` and ``annotate_types`` optimizer passes, BigQuery dialect) on a copy of the statement, with the
column types of the tables the statement reads when they are known (``schema``), and records each
expression's BigQuery type on the original tree: the tree itself is not rewritten, so the SQL sent to the
engine keeps the user's names and shape. :func:`type_of` reads the recorded type; an expression whose type
could not be inferred has none, and rules then keep sqlglot's translation.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

#: meta key holding the inferred BigQuery type (an ``exp.DataType``) of an expression
TYPE = "dop_bigquery_type"
#: meta key holding the column names of a query or table (its stars expanded), when known
COLUMNS = "dop_columns"
#: meta key (on the statement) holding :func:`column_spellings`
SPELLINGS = "dop_column_spellings"
_INDEX = "dop_node_index"

#: ``{table: {column: BigQuery type}}`` (a table may be ``dataset.table``), or the same as
#: ``((table, ((column, type), ...)), ...)`` (hashable: :func:`frozen`)
Schema = Mapping[str, Mapping[str, str]] | tuple[tuple[str, tuple[tuple[str, str], ...]], ...]


def frozen(schema: Mapping[str, Mapping[str, str]]) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """``schema`` in its hashable form (for a cached translation)."""
    return tuple(sorted((table, tuple(columns.items())) for table, columns in schema.items()))


def annotate(tree: Any, schema: Schema | None = None) -> None:
    """Record the BigQuery type of each expression of ``tree`` (a statement parsed as BigQuery) whose type
    sqlglot can infer. Never fails: what cannot be inferred is left without a type."""
    from sqlglot import exp
    from sqlglot.optimizer.annotate_types import annotate_types
    from sqlglot.optimizer.qualify import qualify

    nodes = list(tree.walk())
    for index, node in enumerate(nodes):
        node.meta[_INDEX] = index
    try:
        copy = tree.copy()
    finally:
        for node in nodes:
            node.meta.pop(_INDEX, None)
    tables = _nested(schema)
    _record_columns(tree, schema)
    tree.meta[SPELLINGS] = _spellings(schema)
    for expand_stars in (True, False):  # SQL sqlglot cannot qualify is typed without column types
        with contextlib.suppress(Exception):
            copy = qualify(copy.copy(), dialect="bigquery", schema=tables, validate_qualify_columns=False,
                           quote_identifiers=False, identify=False, expand_stars=expand_stars)
            break
    try:
        copy = annotate_types(copy, schema=tables, dialect="bigquery")
        for unnest in list(copy.find_all(exp.Unnest)):  # sqlglot's scopes skip a query in UNNEST(ARRAY(...))
            for query in unnest.walk(prune=lambda n: isinstance(n, exp.Query)):
                if isinstance(query, exp.Query):
                    annotate_types(query, schema=tables, dialect="bigquery")
    except Exception:
        return
    for node in copy.walk():
        index = node.meta.get(_INDEX)
        typ = node.type
        if index is not None and typ is not None and not typ.is_type(exp.DataType.Type.UNKNOWN):
            nodes[index].meta[TYPE] = _bigquery(typ)
        if index is not None and isinstance(node, exp.Query | exp.Table):
            names = _column_names(node, tables)
            if names:
                nodes[index].meta[COLUMNS] = names


def _spellings(schema: Schema | None) -> dict[str, str]:
    """``{lower case: spelling}`` of the column names of ``schema`` not spelt in lower case."""
    if not schema:
        return {}
    items = schema if isinstance(schema, tuple) else tuple(schema.items())
    return {name.lower(): name for _, columns in items
            for name in (columns if isinstance(columns, Mapping) else dict(columns)) if name != name.lower()}


def column_spellings(tree: Any) -> dict[str, str]:
    """``{lower case: spelling}`` of the known tables' column names that are not in lower case."""
    return dict(tree.meta.get(SPELLINGS) or {})


def _column_names(node: Any, tables: dict[str, Any] | None) -> list[str] | None:
    """The columns of a query (its stars expanded) or of a table of ``tables``, when known."""
    from sqlglot import exp
    from sqlglot.schema import MappingSchema

    if isinstance(node, exp.Table):
        with contextlib.suppress(Exception):
            return list(MappingSchema(tables, dialect="bigquery").column_names(node)) if tables else None
        return None
    selects = node.selects if isinstance(node, exp.Query) else []
    if not selects or any(isinstance(s, exp.Star) or (isinstance(s, exp.Column) and s.is_star) for s in selects):
        return None
    return list(node.named_selects)


def columns_of(node: Any) -> list[str] | None:
    """The column names of a query or table inferred for ``node`` (stars expanded), or None."""
    return node.meta.get(COLUMNS) if node is not None else None


def _record_columns(tree: Any, schema: Schema | None) -> None:
    """Record on each table ``tree`` reads that ``schema`` knows its column names, as the schema has them."""
    from sqlglot import exp

    if not schema:
        return
    known = {name.lower(): [column for column, _ in (columns.items() if isinstance(columns, Mapping) else columns)]
             for name, columns in (schema.items() if isinstance(schema, Mapping) else schema)}
    for table in tree.find_all(exp.Table):
        columns = known.get(".".join(part for part in (table.db, table.name) if part).lower())
        if columns:
            table.meta[COLUMNS] = columns


def _bigquery(typ: Any) -> Any:
    """sqlglot's type as BigQuery has it: every integer type is INT64 (sqlglot types a literal as INT)."""
    from sqlglot import exp

    if typ.this in (exp.DataType.Type.INT, exp.DataType.Type.SMALLINT, exp.DataType.Type.TINYINT):
        return exp.DataType.build("BIGINT")
    return typ


def _nested(schema: Schema | None) -> dict[str, Any] | None:
    """``{"ds.t": {...}}`` as sqlglot's nested schema ``{"ds": {"t": {...}}}``: the deepest names only."""
    if not schema:
        return None
    if isinstance(schema, tuple):
        schema = {table: dict(columns) for table, columns in schema}
    depth = max(name.count(".") for name in schema)
    out: dict[str, Any] = {}
    for name, columns in schema.items():
        parts = name.split(".")
        if len(parts) != depth + 1:
            continue  # sqlglot's schema has every table at one depth
        level = out
        for part in parts[:-1]:
            level = level.setdefault(part.lower(), {})
        level[parts[-1].lower()] = {name.lower(): typ for name, typ in columns.items()}  # as qualify normalizes
    return out


def type_of(node: Any) -> Any:
    """The BigQuery type (``exp.DataType``) inferred for ``node``, or None."""
    return node.meta.get(TYPE) if node is not None else None


def is_type(node: Any, *names: str) -> bool:
    """Whether ``node``'s inferred BigQuery type is one of ``names`` (sqlglot type names: BINARY, TEXT...)."""
    typ = type_of(node)
    return typ is not None and typ.this.name in names


def table_types(sql: str, columns: Any, dialect: str) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...] | None:
    """The BigQuery column types of the ``dataset.table`` tables ``sql`` (BigQuery) reads, as
    :func:`frozen`, from ``columns(Relation)`` (an engine's ``(name, type)`` list, types in ``dialect``);
    None when nothing is known. Tables the engine does not have are left out."""
    import sqlglot
    from sqlglot import exp

    from dop_core.config.identifiers import Relation
    from dop_core.sql.grammar import reader

    try:
        tables = {(t.db, t.name) for tree in sqlglot.parse(sql, read=reader("bigquery")) if tree is not None
                  for t in tree.find_all(exp.Table) if t.db and t.name}
    except Exception:
        return None
    out: dict[str, dict[str, str]] = {}
    for dataset, name in sorted(tables):
        try:
            found = columns(Relation(dataset, name))
        except Exception:
            continue
        types = {}
        for column, typ in found:
            try:
                types[column] = exp.DataType.build(str(typ), dialect=dialect).sql("bigquery")
            except Exception:
                continue
        if types:
            out[f"{dataset}.{name}"] = types
    return frozen(out) if out else None
