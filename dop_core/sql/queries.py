"""Rules for the shape of BigQuery queries: FROM items."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dop_core.sql import UnsupportedSqlError
from dop_core.sql.inference import columns_of
from dop_core.sql.rules import rule


@rule("postgres")
def from_subqueries_get_an_alias(tree: Any, target: str) -> Any:
    """BigQuery lets a subquery in FROM go without an alias (``FROM (SELECT ...)``); PostgreSQL before
    version 16 refuses it ("subquery in FROM must have an alias"). Each one gets a fresh alias."""
    count = 0
    for node in list(tree.find_all(exp.Subquery)):
        if isinstance(node.parent, exp.From | exp.Join) and not node.alias:
            count += 1
            node.set("alias", exp.TableAlias(this=exp.to_identifier(f"_dop_from_{count}")))
    return tree


@rule("duckdb", "postgres")
def value_table_results_are_columns(tree: Any, target: str) -> Any:
    """A value table of structs (``SELECT AS STRUCT a, b``) read as a table has the struct's fields as its
    columns on BigQuery: the statement's result (a table written from it has columns ``a`` and ``b``), a
    CTE or a subquery in FROM (``SELECT *`` gives ``a`` and ``b``; the alias alone is the row's struct,
    as on the engines); the engines returned one struct column. There ``SELECT AS STRUCT`` becomes a
    plain ``SELECT`` (also in each branch of a set operation); as an expression (``(SELECT AS STRUCT
    ...)``, ``ARRAY(SELECT AS STRUCT ...)``) it stays a struct value."""
    for query in _queries_read_as_tables(tree):
        for select in _outermost_selects(query):
            if (select.args.get("kind") or "").upper() == "STRUCT":
                select.set("kind", None)
    return tree


@rule("duckdb", "postgres")
def null_columns_are_int64(tree: Any, target: str) -> Any:
    """A column that is NULL in every branch (``SELECT NULL AS x``, ``COALESCE(NULL)``, a column
    ``CORRESPONDING`` pads with NULL on every side) of the statement's result, a CTE or a FROM subquery
    is an INT64 column on BigQuery (its NULL literal's type). PostgreSQL made it TEXT and DuckDB INTEGER
    (in a table written from it): the first branch's NULL is cast to BIGINT. A column with a value of
    another type in some branch takes that type, as on BigQuery."""
    for query in _queries_read_as_tables(tree):
        selects = _outermost_selects(query)
        if not selects or any(isinstance(e, exp.Star) for s in selects for e in s.expressions) or \
                len({len(s.expressions) for s in selects}) != 1:
            continue
        for index in range(len(selects[0].expressions)):
            values = [s.expressions[index].unalias() for s in selects]
            if all(_is_null(value) for value in values):
                values[0].replace(exp.Cast(this=values[0].copy(), to=exp.DataType.build("BIGINT")))
    return tree


def _is_null(value: Any) -> bool:
    return isinstance(value, exp.Null) or (isinstance(value, exp.Coalesce) and all(
        isinstance(v, exp.Null) for v in [value.this, *value.expressions]))


def _queries_read_as_tables(tree: Any) -> list[Any]:
    """The statement's query, its CTEs' and its FROM subqueries' (the queries whose columns are a table's)."""
    queries = [tree.expression if isinstance(tree, exp.Create | exp.Insert) else tree]
    queries += [cte.this for cte in tree.find_all(exp.CTE)]
    return queries + [s for s in tree.find_all(exp.Subquery) if isinstance(s.parent, exp.From | exp.Join)]


def _outermost_selects(query: Any) -> list[Any]:
    while isinstance(query, exp.Subquery):
        query = query.this
    if isinstance(query, exp.SetOperation):
        return _outermost_selects(query.this) + _outermost_selects(query.expression)
    return [query] if isinstance(query, exp.Select) else []


@rule("duckdb")
def pivot_values_may_repeat(tree: Any, target: str) -> Any:
    """A PIVOT value may repeat (``FOR y IN (NULL, NULL AS n)``, ``(1 AS a, 1 AS b)``): each gives its own
    columns, computed from the same rows; DuckDB's PIVOT refuses a repeated value (and an aggregate of a
    subquery's value). Such a PIVOT becomes
    what it means: the input grouped by its other columns, each aggregate once per value with ``FILTER
    (WHERE column IS NOT DISTINCT FROM value)`` (a NULL value takes the rows where the column is NULL),
    named as BigQuery names PIVOT's columns. A non-deterministic aggregate is refused there (its copies
    would differ)."""
    for pivot in list(tree.find_all(exp.Pivot)):
        if pivot.args.get("unpivot") or not pivot.args.get("fields"):
            continue
        field = pivot.args["fields"][0]
        written = [(v.this if isinstance(v, exp.PivotAlias) else v).sql("bigquery") for v in field.expressions]
        subquery = any(a.find(exp.Query) for a in pivot.expressions)
        if (subquery or len(set(written)) < len(written)) and isinstance(pivot.parent, exp.Subquery | exp.Table):
            _pivot_as_filtered_aggregates(pivot, field)
    return tree


@rule("postgres")
def pivot_as_filtered_aggregates(tree: Any, target: str) -> Any:
    """PostgreSQL has no PIVOT: ``FROM src PIVOT(agg(x) [AS a] FOR col IN (v1 [AS n1], ...))`` becomes what
    it means, ``(SELECT <src's other columns>, agg(x) FILTER (WHERE col IS NOT DISTINCT FROM v1) AS
    <BigQuery's column name>, ... FROM src GROUP BY <the other columns>)`` (one row when there are none).
    The input's columns must be known (a subquery's, a CTE's or a table's whose columns DOP was told);
    otherwise, and for a non-deterministic aggregate, the PIVOT is refused."""
    for pivot in list(tree.find_all(exp.Pivot)):
        if pivot.args.get("unpivot") or not pivot.args.get("fields"):
            continue
        if not isinstance(pivot.parent, exp.Subquery | exp.Table):
            raise UnsupportedSqlError("PIVOT unsupported on postgres", construct="PIVOT")
        _pivot_as_filtered_aggregates(pivot, pivot.args["fields"][0], target)
    return tree


def _source_columns(source: Any) -> list[str]:
    names = columns_of(source)
    if names is None and isinstance(source, exp.Table) and not source.db:
        for cte in source.root().find_all(exp.CTE):
            if cte.alias_or_name.lower() == source.name.lower():
                names = columns_of(cte.this)
    if names is None:
        raise UnsupportedSqlError("PIVOT of an input whose columns are not known (a table DOP was not told "
                                  "the columns of) cannot be expressed on postgres", construct="PIVOT")
    return names


def _pivot_as_filtered_aggregates(pivot: Any, field: Any, target: str = "duckdb") -> None:
    aggregates = list(pivot.expressions)
    if any(a.find(exp.Rand, exp.Uuid) for a in aggregates):  # each copy would draw its own values
        raise UnsupportedSqlError("PIVOT with a repeated value and a non-deterministic aggregate (RAND, "
                                  f"GENERATE_UUID) cannot be expressed on {target}", construct="PIVOT")
    source = pivot.parent
    used = {c.name.lower(): c.name for a in [*aggregates, field.this]
            for c in a.walk(prune=lambda n: isinstance(n, exp.Query)) if isinstance(c, exp.Column)}
    keys: list[Any] = []
    if target == "duckdb":
        columns: list[Any] = [exp.Star(except_=[exp.column(name) for name in used.values()])]
    else:  # the input's other columns, listed
        keys = [exp.column(name) for name in _source_columns(source) if name.lower() not in used]
        columns = [key.copy() for key in keys]
    pivot.pop()
    for value in field.expressions:
        name = _pivot_value_name(value, target)
        part = name if isinstance(value, exp.PivotAlias) else value.sql("bigquery").strip("'")
        matches = exp.NullSafeEQ(this=field.this.copy(),
                                 expression=(value.this if isinstance(value, exp.PivotAlias) else value).copy())
        for aggregate in aggregates:
            computed = aggregate.unalias().copy()
            for node in list(computed.find_all(exp.AggFunc)):
                filtered = exp.Filter(this=node.copy(), expression=exp.Where(this=matches.copy()))
                if node is computed:
                    computed = filtered
                else:
                    node.replace(filtered)
            column = f"{aggregate.alias}_{part}" if isinstance(aggregate, exp.Alias) else name
            columns.append(exp.alias_(computed, column, quoted=True))
    select = exp.select(*columns).from_(source.copy())
    if target == "duckdb" or keys:
        select = select.group_by(*keys) if keys else select.group_by("ALL")
    alias = pivot.args.get("alias")
    if alias is None and target == "postgres":  # (PostgreSQL 15 needs one)
        alias = exp.TableAlias(this=exp.to_identifier("_dop_pivot"))
    source.replace(exp.Subquery(this=select, alias=alias.copy() if alias else None))


@rule("duckdb")
def pivot_column_names(tree: Any, target: str) -> Any:
    """BigQuery names PIVOT's output columns after the pivot values: an integer ``100`` gives ``_100``,
    a string its text, ``NULL`` gives ``NULL``, ``true`` gives ``true``, an alias itself; with aliased
    aggregates each column is ``<aggregate alias>_<value as written or its alias>`` (``s_100``). DuckDB
    names them ``100`` and
    ``<value>_<alias>``. The values get BigQuery's names as aliases; aliased aggregates' columns are
    renamed in the enclosing SELECT (``* RENAME (...)``, or the columns it names)."""
    for pivot in list(tree.find_all(exp.Pivot)):
        if pivot.args.get("unpivot") or not pivot.args.get("fields"):
            continue
        field = pivot.args["fields"][0]
        names = []  # (the value's column name alone, its part in an aliased aggregate's column name)
        for value in list(field.expressions):
            name = _pivot_value_name(value)
            names.append((name, name if isinstance(value, exp.PivotAlias) else value.sql("bigquery").strip("'")))
            if not isinstance(value, exp.PivotAlias):
                value.replace(exp.PivotAlias(this=value.copy(), alias=exp.to_identifier(name, quoted=True)))
        aliases = [a.alias for a in pivot.expressions if isinstance(a, exp.Alias)]
        if aliases:
            _rename_pivot_columns(pivot, {f"{a}_{part}": f"{n}_{a}" for a in aliases for n, part in names})
    return tree


def _pivot_value_name(value: Any, target: str = "duckdb") -> str:
    if isinstance(value, exp.PivotAlias):
        return str(value.alias)
    if isinstance(value, exp.Literal) and not value.is_string:
        return f"_{value.this}".replace("-", "minus_").replace(".", "_")
    if isinstance(value, exp.Literal):
        return str(value.this)
    if isinstance(value, exp.Null):
        return "NULL"
    if isinstance(value, exp.Boolean):
        return "true" if value.this else "false"
    raise UnsupportedSqlError(f"PIVOT value {value.sql('bigquery')} needs an alias (AS name) on {target}",
                              construct="PIVOT")


def _rename_pivot_columns(pivot: Any, bigquery_to_duckdb: dict[str, str]) -> None:
    select = pivot.find_ancestor(exp.Select)
    if select is None:
        return
    lower = {k.lower(): v for k, v in bigquery_to_duckdb.items()}
    for i, projection in enumerate(select.expressions):
        if isinstance(projection, exp.Star):
            projection.set("rename", [exp.alias_(exp.column(d, quoted=True), b, quoted=True)
                                      for b, d in bigquery_to_duckdb.items()])
        elif isinstance(projection, exp.Column) and projection.name.lower() in lower:
            select.expressions[i] = exp.alias_(exp.column(lower[projection.name.lower()], quoted=True),
                                               projection.name, quoted=True)
    for column in select.find_all(exp.Column):
        if column.name.lower() in lower and not isinstance(column.parent, exp.Alias):
            column.set("this", exp.to_identifier(lower[column.name.lower()], quoted=True))
