"""SQL text helpers: translation between dialects (sqlglot) that keeps types, and statement checks."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from dop_core.errors import DopError


class SqlError(DopError):
    """The task's SQL cannot be used as written (not a query, several statements, cannot translate)."""


def _drop_catalogs(tree: Any) -> Any:
    """On a single-database engine, ``project.dataset.table`` means ``dataset.table``."""
    from sqlglot import exp

    for table in tree.find_all(exp.Table):
        if table.args.get("catalog") is not None:
            table.set("catalog", None)
    for column in tree.find_all(exp.Column):
        if column.args.get("catalog") is not None:
            column.set("catalog", None)
    return tree


def parse_statements(sql: str, dialect: str) -> list[Any]:
    import sqlglot
    from sqlglot.errors import ParseError

    try:
        return [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except ParseError as exc:
        raise SqlError(f"cannot parse the SQL as {dialect}: {exc}") from None


@lru_cache(maxsize=256)
def translate(sql: str, source: str, target: str, single_catalog: bool = False) -> str:
    """``sql`` written in dialect ``source`` as dialect ``target`` speaks it (unchanged if they match).

    From BigQuery, DOP's translation rules (``dop_core.sql``) keep BigQuery's semantics; a construct the
    target cannot express raises ``UnsupportedSqlError`` with its line in ``sql``."""
    if source == target:
        return sql
    statements = parse_statements(sql, source)
    return ";\n".join(_translate_one(tree, sql, source, target, single_catalog) for tree in statements)


def translate_expression(sql: str, source: str, target: str, single_catalog: bool = False) -> str:
    """One SQL expression (a UDF body) written in ``source`` as ``target`` spells it."""
    if source == target:
        return sql
    import sqlglot
    from sqlglot.errors import ParseError

    try:
        tree = sqlglot.parse_one(sql, read=source)
    except ParseError as exc:
        raise SqlError(f"cannot parse the expression as {source}: {exc}") from None
    return _translate_one(tree, sql, source, target, single_catalog, pretty=False)


def _translate_one(tree: Any, sql: str, source: str, target: str, single_catalog: bool, pretty: bool = True) -> str:
    from dop_core.sql import UnsupportedSqlError
    from dop_core.sql.translate import locate, translate_statement

    if single_catalog:
        tree = _drop_catalogs(tree)
    try:
        return translate_statement(tree, source, target, pretty=pretty)
    except UnsupportedSqlError as exc:
        if exc.line is None:
            exc.line, exc.column = locate(sql, exc.construct) or (None, None)
        raise


def translate_type(type_sql: str, source: str, target: str) -> str:
    """A column type written in ``source`` (e.g. BigQuery's INT64) as ``target`` spells it (BIGINT)."""
    if source == target:
        return type_sql
    from sqlglot import exp
    from sqlglot.errors import ParseError

    try:
        built = exp.DataType.build(type_sql, dialect=source)
    except (ParseError, ValueError):
        raise SqlError(f"{type_sql!r} is not a {source} column type") from None
    if source == "bigquery":
        from dop_core.sql.types import numeric_types_keep_their_precision

        built = numeric_types_keep_their_precision(built, target)
    return str(built.sql(dialect=target))


def check_query(sql: str, dialect: str) -> None:
    """Raise SqlError unless ``sql`` is exactly one query (SELECT/WITH/UNION...): a materialization's SQL
    must not carry its own DDL or DML, so it cannot write to a table other than the task's."""
    from sqlglot import exp

    statements = parse_statements(sql, dialect)
    if len(statements) != 1:
        raise SqlError(f"expected exactly one SELECT statement, found {len(statements)} statements")
    if not isinstance(statements[0], exp.Query):
        raise SqlError(f"expected a SELECT query, found {statements[0].key.upper()}: "
                       "write only the query; DOP creates or updates the table")
