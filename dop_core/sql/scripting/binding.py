"""Bind a script's variables into one SQL statement: each reference becomes a typed literal.

BigQuery resolves a name to a column before a variable ("if a variable and column share the same
name, the column takes precedence"), so a name is bound only when no column, table alias or (in
ORDER BY, GROUP BY, HAVING, QUALIFY) select alias of that name is in scope where it is written: the
columns of the query's sources are read from the tree (CTEs, subqueries, UNNEST aliases) or asked of
the engine (tables). ``record.field`` reads a field of a STRUCT variable (a FOR loop's row) when
``record`` names no table in scope. ``@@name`` is a system variable; inside EXECUTE IMMEDIATE, ``?``
and ``@name`` are the values of its USING clause.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from dop_core.sql.dialects import SqlError
from dop_core.sql.scripting.values import literal


@attrs.frozen
class Value:
    """A variable's value and its declared type (a sqlglot DataType, or None: the value's own)."""

    value: Any
    type: Any = None


#: the columns of a table as the engine has it (lower case), or None when it cannot say
TableColumns = Callable[[Any], "set[str] | None"]


@attrs.frozen
class Bindings:
    """What a statement may refer to besides columns."""

    variables: Mapping[str, Value]
    system: Callable[[str], Value]
    table_columns: TableColumns
    positional: Sequence[Value] | None = None  # EXECUTE IMMEDIATE ... USING: ? placeholders
    named: Mapping[str, Value] | None = None  # and @name parameters


def bind(tree: Any, bindings: Bindings) -> Any:
    """A copy of ``tree`` with every variable, system variable and placeholder replaced by its literal."""
    from sqlglot import exp

    tree = tree.copy()
    replacements: list[tuple[Any, Any]] = []
    placeholders = iter(bindings.positional or ())
    for node in tree.walk():
        if any(node is done or _inside(node, done) for done, _ in replacements):
            continue
        new = None
        if isinstance(node, exp.Dot) and _system_name(node.this) and isinstance(node.expression, exp.Identifier):
            new = _value(bindings.system(f"{_system_name(node.this)}.{node.expression.name.lower()}"))
        elif isinstance(node, exp.Parameter) and _system_name(node):
            new = _value(bindings.system(str(_system_name(node))))
        elif isinstance(node, exp.Parameter) and bindings.named is not None:
            new = _value(_named(node, bindings.named))
        elif isinstance(node, exp.Placeholder) and bindings.positional is not None:
            found = next(placeholders, None)
            if found is None:
                raise SqlError(f"the SQL has more ? placeholders than the {len(bindings.positional)} value(s) of USING")
            new = _value(found)
        elif isinstance(node, exp.Column) and not _never_a_variable(node):
            new = _variable(node, bindings)
            if new is not None and isinstance(node.parent, exp.Select) and node.arg_key == "expressions":
                new = exp.alias_(new, node.name, quoted=node.this.quoted)  # SELECT x names its column x
            elif isinstance(new, exp.Literal) and not new.is_string and _positional(node):
                new = exp.Cast(this=new, to=exp.DataType.build("BIGINT"))  # ORDER BY 2 would mean the 2nd column
        if new is not None:
            replacements.append((node, new))
    for node, new in replacements:
        if node is tree:
            return new
        node.replace(new)
    return tree


def _positional(column: Any) -> bool:
    """Whether a number written where ``column`` is would be read as a column's position (ORDER BY, GROUP BY)."""
    from sqlglot import exp

    return isinstance(column.parent, exp.Group) or (
        isinstance(column.parent, exp.Ordered) and isinstance(column.parent.parent, exp.Order))


def _inside(node: Any, ancestor: Any) -> bool:
    parent = node.parent
    while parent is not None:
        if parent is ancestor:
            return True
        parent = parent.parent
    return False


def _value(found: Value) -> Any:
    return literal(found.value, found.type)


def _system_name(node: Any) -> str | None:
    """``@@name`` is sqlglot's Parameter(Parameter(Var name))."""
    from sqlglot import exp

    if isinstance(node, exp.Parameter) and isinstance(node.this, exp.Parameter):
        return "@@" + node.this.name.lower()
    return None


def _named(node: Any, named: Mapping[str, Value]) -> Value:
    name = node.name.lower()
    if name not in named:
        raise SqlError(f"@{name} has no value: add it to USING (... AS {name})")
    return named[name]


def _variable(column: Any, bindings: Bindings) -> Any:
    """The literal a column reference stands for when it names a variable (or a field of one), else None."""
    parts = [p.name.lower() for p in column.parts]
    found = bindings.variables.get(parts[0])
    if found is None or _in_scope(column, parts[0], bindings.table_columns, qualified=len(parts) > 1):
        return None
    value, type_ = found.value, found.type
    for field in parts[1:]:
        if value is None:
            return literal(None)
        if not isinstance(value, dict):
            raise SqlError(f"{'.'.join(parts)}: variable {parts[0]} is not a STRUCT, it has no field {field}")
        fields = {str(k).lower(): v for k, v in value.items()}
        if field not in fields:
            raise SqlError(f"{'.'.join(parts)}: variable {parts[0]} has no field {field} "
                           f"(its fields: {', '.join(fields) or 'none'})")
        value, type_ = fields[field], _field_type(type_, field)
    return literal(value, type_)


def _field_type(type_: Any, field: str) -> Any:
    if type_ is None:
        return None
    return next((f.args.get("kind") for f in type_.expressions if f.name.lower() == field), None)


def _never_a_variable(column: Any) -> bool:
    """Column nodes that name a column of a table being written, or one a star leaves out: SET a = ... of an
    UPDATE, INSERT (a, b) of a MERGE, PARTITION BY / CLUSTER BY of a CREATE, SELECT * EXCEPT (a)."""
    from sqlglot import exp

    parent = column.parent
    if isinstance(parent, exp.EQ) and parent.this is column and isinstance(parent.parent, exp.Update):
        return True
    node: Any = column
    while node.parent is not None:
        if isinstance(node.parent, exp.Star | exp.Properties):
            return True
        if isinstance(node.parent, exp.Insert) and node.arg_key == "this":
            return True
        node = node.parent
    return False


def _in_scope(column: Any, name: str, table_columns: TableColumns, qualified: bool) -> bool:
    """Whether ``name`` names a column (or, ``qualified``, a table or alias) where ``column`` is written."""
    from sqlglot import exp

    child, node = column, column.parent
    while node is not None:
        if isinstance(node, exp.Select | exp.Update | exp.Delete | exp.Merge):
            names = _visible(node, child, column, table_columns, qualified)
            if name in names:
                return True
        child, node = node, node.parent
    return False


def _visible(query: Any, via: Any, column: Any, table_columns: TableColumns, qualified: bool) -> set[str]:
    """The names ``query`` makes visible to an expression reached through its argument ``via``."""
    from sqlglot import exp

    if isinstance(via, exp.From | exp.Join) and _inside(column, via.this) and not _inside_unnest(column, via):
        return set()  # a derived table in FROM sees the outer query, not its siblings (a JOIN's ON sees them all)
    sources = _sources(query)
    names: set[str] = set()
    for source in sources:
        alias = source.alias_or_name.lower() if source.alias_or_name else ""
        if alias:
            names.add(alias)
        if not qualified:
            names |= _source_columns(source, table_columns)
    if isinstance(query, exp.Select) and isinstance(via, exp.Order | exp.Group | exp.Having | exp.Qualify):
        names |= {e.alias.lower() for e in query.expressions if e.alias}
    return names


def _inside_unnest(column: Any, item: Any) -> bool:
    from sqlglot import exp

    node = column.parent
    while node is not None and node is not item:
        if isinstance(node, exp.Unnest):
            return True
        node = node.parent
    return False


def _sources(query: Any) -> list[Any]:
    from sqlglot import exp

    found = []
    if isinstance(query, exp.Update | exp.Merge) and query.this is not None:
        found.append(query.this)
    if isinstance(query, exp.Delete):
        found += [t for t in [query.this, *(query.args.get("tables") or [])] if isinstance(t, exp.Expression)]
    if isinstance(query, exp.Merge) and isinstance(query.args.get("using"), exp.Expression):
        found.append(query.args["using"])
    from_ = query.args.get("from_")
    if from_ is not None:
        found.append(from_.this)
    found += [join.this for join in query.args.get("joins") or []]
    return found


def _source_columns(source: Any, table_columns: TableColumns) -> set[str]:
    from sqlglot import exp

    alias = source.args.get("alias")
    named = {c.name.lower() for c in alias.columns} if isinstance(alias, exp.TableAlias) else set()
    if isinstance(source, exp.Unnest):
        offset = source.args.get("offset")
        if isinstance(offset, exp.Expression):
            named.add(offset.name.lower())
        return named
    if isinstance(source, exp.Subquery):
        return named or _output_names(source.this, table_columns)
    if isinstance(source, exp.Table):
        cte = _cte(source)
        if cte is not None:
            return named or _output_names(cte.this, table_columns)
        return named or (table_columns(source) or set())
    return named


def _cte(table: Any) -> Any:
    """The CTE a table name refers to (from a WITH of the query or of an outer one), or None."""
    from sqlglot import exp

    if table.args.get("db") is not None:
        return None
    node = table.parent
    while node is not None:
        with_ = node.args.get("with_") if isinstance(node, exp.Expression) else None
        if isinstance(with_, exp.With):
            for cte in with_.expressions:
                if cte.alias_or_name.lower() == table.name.lower():
                    return cte
        node = node.parent
    return None


def _output_names(query: Any, table_columns: TableColumns) -> set[str]:
    """The column names a query returns (its sources' for a ``*``)."""
    from sqlglot import exp

    if isinstance(query, exp.SetOperation):
        return _output_names(query.this, table_columns)
    if isinstance(query, exp.Subquery):
        return _output_names(query.this, table_columns)
    if not isinstance(query, exp.Select):
        return set()
    names: set[str] = set()
    for projection in query.expressions:
        if isinstance(projection, exp.Star) or (isinstance(projection, exp.Column) and projection.is_star):
            for source in _sources(query):
                names |= _source_columns(source, table_columns)
        elif projection.alias_or_name:
            names.add(projection.alias_or_name.lower())
    return names
