"""SQL text helpers: translation between dialects (sqlglot) that keeps types, and statement checks."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from dop_core.errors import DopError


class SqlError(DopError):
    """The task's SQL cannot be used as written (not a query, several statements, cannot translate).

    ``line`` and ``column`` (from 1, in the SQL given) say where, when known; ``reason`` is the message
    without them (for an error that shows the location its own way).
    """

    def __init__(self, reason: str, line: int | None = None, column: int | None = None):
        super().__init__(reason if line is None else f"line {line}, column {column}: {reason}")
        self.reason = reason
        self.line = line
        self.column = column


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
    """The statements of ``sql``, freshly parsed (the caller may change them); SqlError when it does not parse."""
    from sqlglot.errors import ParseError, TokenError

    try:
        return [s for s in _parse(sql, dialect) if s is not None]
    except (ParseError, TokenError) as exc:
        raise SqlError(f"cannot parse the SQL as {dialect}: {exc}") from None


def _parse(sql: str, dialect: str) -> list[Any]:
    import sqlglot

    from dop_core.sql.grammar import reader

    return sqlglot.parse(sql, read=reader(dialect))


@lru_cache(maxsize=32)
def parsed(sql: str, dialect: str) -> tuple[Any, ...]:
    """The statements of ``sql``, parsed once for the checks that only read them (``dop validate`` checks a
    template's syntax, then that it is one read-only query): never change these trees. sqlglot's ParseError or
    TokenError when it does not parse."""
    return tuple(s for s in _parse(sql, dialect) if s is not None)


@lru_cache(maxsize=256)
def translate(sql: str, source: str, target: str, single_catalog: bool = False, schema: Any = None) -> str:
    """``sql`` written in dialect ``source`` as dialect ``target`` speaks it (unchanged if they match).

    From BigQuery, DOP's translation rules (``dop_core.sql``) keep BigQuery's semantics; a construct the
    target cannot express raises ``UnsupportedSqlError`` with its line in ``sql``. ``schema`` gives the
    BigQuery column types of tables the SQL reads (``dop_core.sql.inference.frozen``), for rules that
    depend on types."""
    if source == target:
        return sql
    statements = parse_statements(sql, source)
    return ";\n".join(_translate_one(tree, sql, source, target, single_catalog, schema=schema)
                       for tree in statements)


def translate_expression(sql: str, source: str, target: str, single_catalog: bool = False) -> str:
    """One SQL expression (a UDF body) written in ``source`` as ``target`` spells it. SqlError unless it is
    one expression that only reads (it is pasted into ``CREATE FUNCTION ... AS (...)``)."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError

    from dop_core.sql.grammar import reader

    try:
        tree = sqlglot.parse_one(sql, read=reader(source))
    except (ParseError, TokenError) as exc:
        raise SqlError(f"cannot parse the expression as {source}: {exc}") from None
    writes = next((node for node in tree.walk() if isinstance(node, (exp.Block, *_not_read_only()))), None)
    if writes is not None:
        what = "a second statement" if isinstance(writes, exp.Block) else _keyword(writes)
        raise SqlError(f"a function's body is one expression that only reads; {what} has no place in it")
    if source == target:
        return sql
    return _translate_one(tree, sql, source, target, single_catalog, pretty=False)


def _translate_one(tree: Any, sql: str, source: str, target: str, single_catalog: bool, pretty: bool = True,
                   schema: Any = None) -> str:
    from dop_core.sql import UnsupportedSqlError
    from dop_core.sql.translate import locate, translate_statement

    if single_catalog:
        tree = _drop_catalogs(tree)
    try:
        return translate_statement(tree, source, target, pretty=pretty, schema=schema)
    except UnsupportedSqlError as exc:
        if exc.line is None:
            exc.line, exc.column = locate(sql, exc.construct) or (None, None)
        raise


#: BigQuery's templated argument of a SQL function (``x ANY TYPE``): each engine maps it (or ignores it)
ANY_TYPE = "ANY TYPE"
TYPE_EXPECTED = "one SQL type in the project's dialect, e.g. STRING, INT64, NUMERIC(10, 2), ARRAY<STRING>"


def parse_type(type_sql: str, dialect: str, templated: bool = False) -> Any:
    """``type_sql`` parsed by sqlglot as one data type of ``dialect`` (an ``exp.DataType``), or SqlError.

    The whole text must be the type: a comment, a second statement, a column constraint (NOT NULL,
    DEFAULT, OPTIONS...), an expression as a parameter or a struct field that is not a plain name are
    refused, so that what DOP writes into SQL is sqlglot's own rendering of a type and nothing else.
    With ``templated``, BigQuery's ``ANY TYPE`` (a SQL function's templated argument) is allowed.
    """
    import sqlglot
    from sqlglot import exp
    from sqlglot.dialects.dialect import Dialect
    from sqlglot.errors import ParseError, TokenError

    from dop_core.config.identifiers import IDENTIFIER

    text = " ".join(type_sql.split()) if isinstance(type_sql, str) else ""
    if not text:
        raise SqlError(f"{type_sql!r} is not a SQL type")
    if templated and text.upper() == ANY_TYPE:
        return exp.DataType.build(ANY_TYPE, dialect="bigquery")
    try:
        if any(token.comments for token in Dialect.get_or_raise(dialect).tokenize(text)):
            raise SqlError(f"{type_sql!r} is not a SQL type: it holds a comment (-- or /* */)")
        tree = sqlglot.parse_one(text, read=dialect, into=exp.DataType)
    except (ParseError, TokenError):
        raise SqlError(f"{type_sql!r} is not a {dialect} type (nothing but one type may be written)") from None
    if tree.sql(dialect="bigquery") == ANY_TYPE:
        raise SqlError(f"{type_sql!r}: ANY TYPE is for the arguments of a SQL function (udf) only")
    for node in tree.walk():
        plain = isinstance(node, exp.DataType | exp.DataTypeParam | exp.Literal | exp.Interval) or (
            isinstance(node, exp.ColumnDef) and not node.args.get("constraints")) or (
            isinstance(node, exp.Identifier) and IDENTIFIER.fullmatch(node.name) is not None) or (
            isinstance(node, exp.Var) and isinstance(node.parent, exp.Interval))
        if not plain:
            raise SqlError(f"{type_sql!r} is not a plain {dialect} type: {node.sql(dialect=dialect)!r} has no "
                           "place in one")
    return tree


def translate_type(type_sql: str, source: str, target: str, templated: bool = False) -> str:
    """A column type written in ``source`` (e.g. BigQuery's INT64) as ``target`` spells it (BIGINT).

    Always parsed (:func:`parse_type`), also when the dialects match: the text returned is sqlglot's
    rendering of one type, never the text as written. ``ANY TYPE`` stays ``ANY TYPE`` (``templated``).
    """
    tree = parse_type(type_sql, source, templated)
    if templated and tree.sql(dialect="bigquery") == ANY_TYPE:
        return ANY_TYPE
    if source == "bigquery" and target != source:
        from dop_core.sql.types import numeric_types_keep_their_precision

        tree = numeric_types_keep_their_precision(tree, target)
    return str(tree.sql(dialect=target))


#: sqlglot's nodes that are not part of a read-only query: statements (DDL, DML, COPY, ATTACH, PRAGMA,
#: SET, INSTALL...), SQL sqlglot could not parse (Command: CALL, LOAD, EXECUTE IMMEDIATE...), SELECT ... INTO
#: and locking reads. Looked up by name: older sqlglot versions lack some.
_NOT_READ_ONLY = ("DDL", "DML", "Create", "Insert", "Update", "Delete", "Merge", "Copy", "Returning", "Drop", "Alter",
                  "TruncateTable", "Command", "Into", "Lock", "Pragma", "Set", "Use", "Attach", "Detach", "Install",
                  "LoadData", "Transaction", "Commit", "Rollback", "Export", "Grant", "Revoke", "Analyze", "Kill",
                  "Refresh", "Cache", "Uncache", "Declare", "Execute", "Describe", "Show", "Summarize", "Comment")
#: how the first word of a node is written, where sqlglot's name for the node differs
_KEYWORDS = {"into": "INTO", "lock": "FOR", "truncatetable": "TRUNCATE", "loaddata": "LOAD", "transaction": "BEGIN"}
_SHOWN = {"INTO": "SELECT ... INTO", "FOR": "a locking read (FOR UPDATE/SHARE)"}
READ_ONLY_EXPECTED = "exactly one read-only query (SELECT, WITH ... SELECT, UNION ...)"
_ONLY_A_QUERY = (f"the SQL must be {READ_ONLY_EXPECTED}; statements that change data belong in an invocation "
                 "task (stored procedure)")


@lru_cache(maxsize=1)
def _not_read_only() -> tuple[type, ...]:
    from sqlglot import exp

    return tuple(getattr(exp, name) for name in _NOT_READ_ONLY if isinstance(getattr(exp, name, None), type))


def check_query(sql: str, dialect: str) -> None:
    """Raise SqlError unless ``sql`` is exactly one read-only query (SELECT/WITH/UNION...), with no DDL or
    DML anywhere in it (a CTE's ``DELETE ... RETURNING`` included), no ``SELECT ... INTO``, no command
    sqlglot cannot parse. A table's or view's SQL is only the query: DOP writes the table, so the SQL
    cannot write anything else; an assertion or a SQL condition only reads. The error names the line
    and column (in ``sql``) of the offending statement or clause."""
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError

    try:
        statements = parsed(sql, dialect)
    except (ParseError, TokenError) as exc:
        raise SqlError(f"cannot parse the SQL as {dialect}: {exc}") from None
    if not statements:
        raise SqlError(f"no statement: {_ONLY_A_QUERY}")
    if len(statements) > 1:
        line, column = _position(sql, dialect, None, 1)
        raise SqlError(f"a second statement: {_ONLY_A_QUERY} (found "
                       f"{len(statements)} statements)", line, column)
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        line, column = _position(sql, dialect, None, 0)
        found = _first_word(sql, dialect)
        raise SqlError(f"{found} is not a query: {_ONLY_A_QUERY}", line, column)
    offending = next((node for node in tree.walk() if isinstance(node, _not_read_only())), None)
    if offending is None:
        return
    keyword = _keyword(offending)
    line, column = _position(sql, dialect, offending, 0, keyword)
    raise SqlError(f"{_SHOWN.get(keyword, keyword)} inside the query is not "
                   f"allowed: {_ONLY_A_QUERY}", line, column)


def _keyword(node: Any) -> str:
    """The word that starts ``node`` in SQL (DELETE, INTO, CALL...)."""
    if node.key == "command":
        return str(node.this).upper()
    return _KEYWORDS.get(node.key) or node.key.upper()


def _first_word(sql: str, dialect: str) -> str:
    from sqlglot.dialects.dialect import Dialect

    tokens = Dialect.get_or_raise(dialect).tokenize(sql)
    return tokens[0].text.upper() if tokens else "nothing"


def _position(sql: str, dialect: str, node: Any, statement: int, keyword: str | None = None) -> tuple[int, int]:
    """Line and column of ``keyword`` (the offending node's first word) in ``sql``, else of the node's first
    token sqlglot located, else of the start of statement number ``statement`` (from 0)."""
    from sqlglot.dialects.dialect import Dialect
    from sqlglot.tokens import TokenType

    tokens = Dialect.get_or_raise(dialect).tokenize(sql)
    bounds = [0] + [i + 1 for i, tok in enumerate(tokens) if tok.token_type == TokenType.SEMICOLON]
    first = bounds[min(statement, len(bounds) - 1)]
    in_statement = tokens[first:] or tokens
    starts = [n.meta["start"] for n in (node.walk() if node is not None else ()) if "start" in n.meta]
    anchor = min(starts) if starts else None
    offset = in_statement[0].start if in_statement else 0
    if keyword is not None:
        before = [tok for tok in in_statement if (anchor is None or tok.start <= anchor)
                  and tok.text.upper() == keyword]
        if before:
            offset = before[-1].start if anchor is not None else before[0].start
        elif anchor is not None:
            offset = anchor
    line = sql.count("\n", 0, offset) + 1
    return line, offset - (sql.rfind("\n", 0, offset) + 1) + 1
