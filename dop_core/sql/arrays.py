"""Rules for BigQuery's arrays: element access by OFFSET/ORDINAL, UNNEST ... WITH OFFSET, ARRAY_AGG."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dop_core.sql import UnsupportedSqlError, library
from dop_core.sql.inference import TYPE, is_type, type_of
from dop_core.sql.library.json_paths import Key, duckdb_path
from dop_core.sql.rules import rewrite, rule


def _int(value: int) -> Any:
    return exp.Literal.number(value)


@rule("duckdb")
def array_paths_of_outer_tables_are_unnested(tree: Any, target: str) -> Any:
    """In a subquery, ``FROM t.arr [AS a]`` where ``t`` names a table of an enclosing query reads the array
    column ``arr`` of the outer row, element by element (``UNNEST(t.arr) AS a``); the engines looked for a
    table ``arr`` in a schema ``t``. (sqlglot already reads the path beside ``t`` in the same FROM.)"""
    for table in list(tree.find_all(exp.Table)):
        owner = table.args.get("db")
        if not isinstance(table.parent, exp.From | exp.Join) or owner is None or table.args.get("catalog") \
                or not isinstance(table.this, exp.Identifier):
            continue
        if owner.name.lower() not in _outer_sources(table):
            continue
        alias = table.alias or table.name
        table.replace(exp.Unnest(expressions=[exp.column(table.name, table=owner.name)],
                                 alias=exp.TableAlias(columns=[exp.to_identifier(alias)])))
    return tree


def _outer_sources(node: Any) -> set[str]:
    """The names (aliases) of the tables and subqueries the queries enclosing ``node``'s query read."""
    names: set[str] = set()
    query = node.find_ancestor(exp.Select)
    outer = query.find_ancestor(exp.Select) if query is not None else None
    while outer is not None:
        sources = [outer.args.get("from_"), *(outer.args.get("joins") or ())]
        for source in sources:
            item = source.this if source is not None else None
            if isinstance(item, exp.Table | exp.Subquery | exp.Unnest) and item.alias_or_name:
                names.add(item.alias_or_name.lower())
        outer = outer.find_ancestor(exp.Select)
    return names


@rule("duckdb", "postgres")
def arrays_of_arrays_are_errors(tree: Any, target: str) -> Any:
    """An array literal whose elements are arrays (``[[1], [2]]``) is BigQuery's error ("nested arrays are not
    supported"); the engines built a nested list. Where an element is an array literal or known to be an
    array."""
    for array in tree.find_all(exp.Array):
        element = next((e for e in array.expressions if isinstance(e, exp.Array) or is_type(e, "ARRAY")), None)
        if element is not None:
            raise UnsupportedSqlError("Cannot construct array with element type ARRAY because nested arrays are "
                                      "not supported", construct="ARRAY" if "ARRAY" in array.sql("bigquery")
                                      else None)
    return tree


@rule("duckdb")
def structs_in_an_array_take_the_first_names(tree: Any, target: str) -> Any:
    """In an array literal of structs, an element's unnamed fields take the names of the first element's
    fields at the same positions, also in nested structs (BigQuery coerces them by position:
    ``[STRUCT(STRUCT(5 AS y) AS x), STRUCT(STRUCT(6))]`` is ``[{x: {y: 5}}, {x: {y: 6}}]``). DuckDB
    matched the nested fields by name, which made them NULL."""
    for array in tree.find_all(exp.Array):
        elements = [e for e in array.expressions if isinstance(e, exp.Struct)]
        for element in elements[1:]:
            _name_like(element, elements[0])
    return tree


def _name_like(struct: Any, template: Any) -> None:
    for field, model in zip(list(struct.expressions), template.expressions, strict=False):
        value = field.expression if isinstance(field, exp.PropertyEQ) else field
        model_value = model.expression if isinstance(model, exp.PropertyEQ) else model
        _name_nested(value, model_value)
        if isinstance(model, exp.PropertyEQ) and not isinstance(field, exp.PropertyEQ | exp.Alias):
            field.replace(exp.PropertyEQ(this=model.this.copy(), expression=value.copy()))


def _name_nested(value: Any, model: Any) -> None:
    """A struct value like the model struct; the structs of an array like the first struct of the model's."""
    if isinstance(value, exp.Struct) and isinstance(model, exp.Struct):
        _name_like(value, model)
    elif isinstance(value, exp.Array) and isinstance(model, exp.Array):
        first = next((e for e in model.expressions if isinstance(e, exp.Struct)), None)
        for element in value.expressions if first is not None else []:
            _name_nested(element, first)


@rule("duckdb")
def array_path_subscripts_index_each_element(tree: Any, target: str) -> Any:
    """In ``FLATTEN(array_of_structs.field[OFFSET(i)])`` the subscript indexes each element's ``field`` (the
    path's step), not the path's flattened array: ``FLATTEN([STRUCT([1, 2] AS a), STRUCT([3, 4] AS
    a)].a[OFFSET(1)])`` is ``[2, 4]``. Where the array's type is known, the step becomes
    ``list_transform`` of the subscript of each element's field (its bounds checked as any subscript)."""

    def change(node: Any) -> Any:
        dot = node.this if isinstance(node, exp.Bracket) and node.args.get("offset") is not None else None
        if not isinstance(dot, exp.Dot) or not isinstance(dot.expression, exp.Identifier) or \
                node.find_ancestor(exp.Flatten) is None:
            return node
        field = _element_field(type_of(dot.this), dot.expression.name)
        if field is None or not field.is_type(exp.DataType.Type.ARRAY) or not field.expressions:
            return node
        element = exp.to_identifier("_dop_element")
        indexed = node.copy()
        indexed.set("this", exp.Dot(this=exp.column(element), expression=dot.expression.copy()))
        out = exp.Anonymous(this="list_transform", expressions=[dot.this, exp.Lambda(
            this=indexed, expressions=[element])])
        out.meta[TYPE] = exp.DataType(this=exp.DataType.Type.ARRAY, expressions=[field.expressions[0]],
                                      nested=True)
        out.meta[_PATH] = True
        return out

    return rewrite(tree, change)


@rule("duckdb", "postgres")
def array_subscripts(tree: Any, target: str) -> Any:
    """``arr[OFFSET(i)]`` counts from 0 and ``arr[ORDINAL(i)]`` from 1; an index out of bounds is an error
    ("Array index ... is out of bounds"), and the ``SAFE_`` forms return NULL instead. DuckDB and
    PostgreSQL count from 1, return NULL out of bounds, and DuckDB reads a negative index from the end.
    The index is shifted for any expression (not only a literal) and checked against the length; a
    NULL array gives NULL whatever the index."""

    def fix(node: Any) -> Any:
        base = node.args.get("offset")
        if not isinstance(node, exp.Bracket) or base is None or len(node.expressions) != 1:
            return node
        array, index = node.this, node.expressions[0]
        one_based = exp.Add(this=exp.Paren(this=index.copy()), expression=_int(1 - int(base))) if base == 0 \
            else index.copy()
        access = exp.Bracket(this=array.copy(), expressions=[one_based], offset=1)
        low = exp.LT(this=index.copy(), expression=_int(base))
        high = exp.GTE(this=index.copy(), expression=exp.Add(this=exp.func("ARRAY_LENGTH", array.copy()),
                                                             expression=_int(base)))
        out_of_bounds = exp.Or(this=low, expression=high)
        null_array = exp.If(this=exp.Is(this=array.copy(), expression=exp.Null()), true=exp.Null())
        if node.args.get("safe") or target != "duckdb":
            return exp.Case(ifs=[null_array, exp.If(this=out_of_bounds, true=exp.Null())], default=access)
        return exp.Case(ifs=[null_array, exp.If(this=out_of_bounds, true=library.call(
            target, "error", exp.Literal.string("Array index is out of bounds")))], default=access)

    return tree.transform(fix)


@rule("duckdb")
def array_field_access_flattens(tree: Any, target: str) -> Any:
    """``array_of_structs.field`` (BigQuery's array elements field access operator) is the array of each
    element's ``field``, in order: a NULL element gives a NULL, a field that is itself an array is
    flattened into the result (a NULL array adds nothing), and a NULL array gives an empty result
    (``UNNEST`` of it has no row). Paths go on through several arrays (``a.x.y``); ``FLATTEN(path)`` is the
    path's array, ``FLATTEN`` of an array that is no path the array itself. DuckDB cannot read a field
    of a list: each step becomes ``list_transform`` (and ``flatten`` when the field is an array). Applies
    where the array's type is known."""

    def change(node: Any) -> Any:
        if isinstance(node, exp.Flatten) and (node.this.meta.get(_PATH) or _flat(type_of(node.this))):
            return node.this  # FLATTEN(path): the path's array is flat already; FLATTEN(array): the array
        if not isinstance(node, exp.Dot) or not isinstance(node.expression, exp.Identifier):
            return node
        array_type = _array_type(node.this)
        field = _element_field(array_type, node.expression.name)
        element = exp.to_identifier("_dop_element")
        step: Any = exp.Dot(this=exp.column(element), expression=node.expression.copy())
        if field is None and _of_json(array_type):  # a JSON element's member (NULL where it has none)
            field = exp.DataType.build("JSON")
            step = exp.JSONExtract(this=exp.column(element),
                                   expression=exp.Literal.string(duckdb_path([Key(node.expression.name)])))
        if field is None:
            return node
        out: Any = exp.Anonymous(this="list_transform", expressions=[node.this, exp.Lambda(
            this=step, expressions=[element])])
        if field.is_type(exp.DataType.Type.ARRAY):
            out = exp.Anonymous(this="flatten", expressions=[out])
            out.meta[TYPE] = field
        else:
            out.meta[TYPE] = exp.DataType(this=exp.DataType.Type.ARRAY, expressions=[field], nested=True)
        out.meta[_PATH] = True
        return out

    return rewrite(tree, change)


#: meta key marking the translation of an array path (``FLATTEN`` of it is the same array)
_PATH = "dop_array_path"


def _array_type(node: Any) -> Any:
    """The type of an array: inferred, or for an array literal (of structs written partly as tuples, which
    sqlglot does not type) an array of its first element's type, for ``ARRAY_CONCAT`` its first array's."""
    typ = type_of(node)
    if typ is None and isinstance(node, exp.Array) and node.expressions and type_of(node.expressions[0]):
        typ = exp.DataType(this=exp.DataType.Type.ARRAY, expressions=[type_of(node.expressions[0])], nested=True)
    if typ is None and isinstance(node, exp.ArrayConcat):
        typ = _array_type(node.this)
    return typ


def _of_json(typ: Any) -> bool:
    return typ is not None and typ.is_type(exp.DataType.Type.ARRAY) and bool(typ.expressions) and \
        typ.expressions[0].is_type(exp.DataType.Type.JSON)


def _flat(typ: Any) -> bool:
    """Whether ``typ`` is an array of other values than arrays (``FLATTEN`` of it is itself)."""
    return typ is not None and typ.is_type(exp.DataType.Type.ARRAY) and bool(typ.expressions) and \
        not typ.expressions[0].is_type(exp.DataType.Type.ARRAY)


def _element_field(typ: Any, name: str) -> Any:
    """The type of field ``name`` of the elements of ``typ`` when it is an array of structs, else None."""
    if typ is None or not typ.is_type(exp.DataType.Type.ARRAY) or not typ.expressions:
        return None
    element = typ.expressions[0]
    if not element.is_type(exp.DataType.Type.STRUCT):
        return None
    for field in element.expressions:
        if isinstance(field, exp.ColumnDef) and field.name.lower() == name.lower() and field.args.get("kind"):
            return field.args["kind"]
    return None


@rule("duckdb")
def unnest_of_structs_has_field_columns(tree: Any, target: str) -> Any:
    """``FROM UNNEST(array_of_structs)`` has a column per struct field (``SELECT x FROM UNNEST([STRUCT(1 AS
    x)])``, or of a table's ``ARRAY<STRUCT>`` column). sqlglot expands the fields on DuckDB only where it
    typed the array while parsing (a literal of STRUCTs); the array's inferred type (a table's column, a
    tuple ``(1, 2)`` among structs) now decides too, for an UNNEST without an alias (with one, the alias is
    the struct: ``s.x``, and NULL where a LEFT JOIN finds no element). A tuple in an array of structs is a
    struct with the array's field names (DuckDB read it as an unnamed row)."""
    for array in tree.find_all(exp.Array):
        if any(isinstance(e, exp.Struct) for e in array.expressions):
            for element in array.expressions:
                if isinstance(element, exp.Tuple):
                    element.replace(exp.Struct(expressions=list(element.expressions)))
    for unnest in tree.find_all(exp.Unnest):
        if unnest.args.get("explode_array") or len(unnest.expressions) != 1 or unnest.args.get("alias") \
                or not isinstance(unnest.parent, exp.From | exp.Join):
            continue
        value = unnest.expressions[0]
        typ = type_of(value)
        of_structs = typ is not None and typ.is_type(exp.DataType.Type.ARRAY) and bool(typ.expressions) \
            and typ.expressions[0].is_type(exp.DataType.Type.STRUCT)
        if of_structs or (isinstance(value, exp.Array) and any(isinstance(e, exp.Struct) for e in value.expressions)):
            unnest.set("explode_array", True)
    return tree


@rule("duckdb", "postgres")
def unnest_with_offset_counts_from_zero(tree: Any, target: str) -> Any:
    """``UNNEST(arr) WITH OFFSET AS o`` numbers the elements from 0. sqlglot writes it as the engines'
    ``WITH ORDINALITY``, which counts from 1; the UNNEST becomes a subquery that subtracts 1 (and selects
    the fields of an array of structs as columns). On PostgreSQL the subquery is ``LATERAL`` (it may read
    the columns of the tables before it, as the UNNEST could) and the columns are quoted (``offset`` is a
    reserved word there)."""
    for number, unnest in enumerate(list(tree.find_all(exp.Unnest))):
        offset = unnest.args.get("offset")
        if not offset or not isinstance(unnest.parent, exp.From | exp.Join):
            continue
        if len(unnest.expressions) != 1:
            raise UnsupportedSqlError("UNNEST of several arrays WITH OFFSET", construct="UNNEST")
        alias = unnest.args.get("alias")
        columns = alias.columns if alias is not None else []
        value = columns[0].name if columns else "_dop_value"
        position = offset.name if isinstance(offset, exp.Identifier) else "offset"
        inner = unnest.copy()
        # (the generator appends the offset's name to the alias's columns)
        inner.set("alias", exp.TableAlias(this=exp.to_identifier("_dop_u"),
                                          columns=[exp.to_identifier(value, quoted=True)]))
        inner.set("offset", exp.to_identifier(position, quoted=True))
        # an array of structs: a column per field (and the element itself when it is named)
        explode = bool(inner.args.get("explode_array"))
        inner.set("explode_array", False)
        values = [exp.column(value, quoted=True)] if columns or not explode else []
        if explode:
            values.append(exp.Column(this=exp.Star(), table=exp.to_identifier(value, quoted=True)))
        select = exp.select(*values, exp.alias_(
            exp.Sub(this=exp.column(position, quoted=True), expression=_int(1)), position, quoted=True)).from_(inner)
        table_alias = exp.TableAlias(this=exp.to_identifier(alias.name if alias is not None and alias.name
                                                            else f"_dop_unnest{number}"))
        if target == "postgres":
            unnest.replace(exp.Lateral(this=exp.Subquery(this=select), alias=table_alias))
        else:
            unnest.replace(exp.Subquery(this=select, alias=table_alias))
    return tree


@rule("duckdb", "postgres")
def array_agg_modifiers(tree: Any, target: str) -> Any:
    """``ARRAY_AGG(x [DISTINCT] [IGNORE NULLS | RESPECT NULLS] [ORDER BY ...] [LIMIT n])``: IGNORE NULLS
    leaves NULL elements out, RESPECT NULLS (the default) keeps them, LIMIT keeps the first n after the
    ordering; no element left is NULL. On DuckDB: ``list_slice(array_agg(x ORDER BY ...) FILTER (WHERE x IS
    NOT NULL), 1, n)`` (sqlglot dropped the modifier or put the LIMIT inside the filter); on PostgreSQL
    (which refused both) ``(array_agg(...) FILTER (...))[1:n]``."""

    def fix(node: Any) -> Any:
        wrapper = node if isinstance(node, exp.IgnoreNulls | exp.RespectNulls) else None
        agg = node.this if wrapper is not None else node
        if not isinstance(agg, exp.ArrayAgg) or isinstance(node.parent, exp.IgnoreNulls | exp.RespectNulls):
            return node
        if wrapper is None and not isinstance(agg.this, exp.Limit):
            return node
        body, limit = agg.this, None
        if isinstance(body, exp.Limit):
            body, limit = body.this, body.expression
        value = body.this if isinstance(body, exp.Order) else body
        value = value.expressions[0] if isinstance(value, exp.Distinct) else value
        out: Any = exp.ArrayAgg(this=body.copy())
        if isinstance(wrapper, exp.IgnoreNulls):
            out = exp.Filter(this=out, expression=exp.Where(this=exp.Not(this=exp.Is(this=value.copy(),
                                                                                         expression=exp.Null()))))
        if limit is not None:  # no element left (LIMIT 0) is NULL, as over no rows (one aggregate: PIVOT)
            empty = exp.Literal.string("{}") if target == "postgres" else exp.Array()  # (of the array's type)
            out = exp.Nullif(this=_first(out, limit, target), expression=empty)
        return out

    return tree.transform(fix)


@rule("duckdb")
def generated_arrays_refuse_a_zero_step(tree: Any, target: str) -> Any:
    """``GENERATE_ARRAY(start, end, 0)``, ``GENERATE_DATE_ARRAY(start, end, INTERVAL 0 DAY)`` and
    ``GENERATE_TIMESTAMP_ARRAY(start, end, INTERVAL 0 DAY)`` are errors
    ("Sequence step cannot be 0."); DuckDB's ``generate_series`` returns a result. The step is checked."""

    def checked(step: Any) -> Any:
        zero = exp.EQ(this=exp.Cast(this=step.copy(), to=exp.DataType.build("DOUBLE")), expression=_int(0))
        return exp.Case(ifs=[exp.If(this=zero, true=library.call(
            target, "error", exp.Literal.string("Sequence step cannot be 0.")))], default=step)

    def fix(node: Any) -> Any:
        step = node.args.get("step") if isinstance(
            node, exp.GenerateSeries | exp.GenerateDateArray | exp.GenerateTimestampArray) else None
        if step is None:
            return node
        if isinstance(step, exp.Interval):
            step.set("this", exp.Paren(this=checked(step.this)))
        elif not (isinstance(step, exp.Literal) and float(step.this) != 0):
            node.set("step", checked(step))
        return node

    return rewrite(tree, fix)


def _first(array: Any, count: Any, target: str) -> Any:
    """The first ``count`` elements of ``array`` (an aggregate): ``list_slice`` on DuckDB, ``(a)[1:n]`` on
    PostgreSQL."""
    if target == "postgres":
        return exp.Bracket(this=exp.Paren(this=array), expressions=[exp.Slice(this=_int(1), expression=count.copy())])
    return exp.func("list_slice", array, _int(1), count.copy())


@rule("duckdb", "postgres")
def string_agg_limit(tree: Any, target: str) -> Any:
    """``STRING_AGG(x [, separator] [ORDER BY ...] LIMIT n)`` joins the first n non-NULL values (after the
    ordering; NULLs are left out before the limit), NULL when none is left. The engines have no LIMIT in
    an aggregate: ``list_slice(array_agg(x ORDER BY ...) FILTER (WHERE x IS NOT NULL), 1, n)`` (PostgreSQL:
    ``(...)[1:n]``) joined with the separator (',' by default). BYTES values are left to the string rules."""

    def fix(node: Any) -> Any:
        if not isinstance(node, exp.GroupConcat) or not isinstance(node.this, exp.Limit):
            return node
        body, limit = node.this.this, node.this.expression
        value = body.this if isinstance(body, exp.Order) else body
        value = value.expressions[0] if isinstance(value, exp.Distinct) else value
        if is_type(value, "BINARY", "VARBINARY", "BLOB"):
            raise UnsupportedSqlError(f"STRING_AGG of BYTES with LIMIT cannot be expressed on {target}",
                                      construct="STRING_AGG")
        kept = exp.Filter(this=exp.ArrayAgg(this=body.copy()), expression=exp.Where(
            this=exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null()))))
        values = _first(kept, limit, target)
        separator = node.args.get("separator") or exp.Literal.string(",")
        joined = exp.Anonymous(this="array_to_string", expressions=[values.copy(), separator])
        length = exp.Anonymous(this="cardinality" if target == "postgres" else "len", expressions=[values])
        empty = exp.EQ(this=exp.func("COALESCE", length, _int(0)), expression=_int(0))
        return exp.Case(ifs=[exp.If(this=empty, true=exp.Null())], default=joined)

    return tree.transform(fix)


@rule("postgres")
def array_literal_of_a_scalar_subquery(tree: Any, target: str) -> Any:
    """``[(SELECT 'a'), 'b']`` is an array of two elements, the first the subquery's value (NULL when it
    has no row). sqlglot wrote ``ARRAY((SELECT 'a'))`` on PostgreSQL: the other elements were dropped and
    a subquery without a row gave an empty array. The subquery is parenthesised, which keeps it an element."""
    for array in tree.find_all(exp.Array):
        first = array.expressions[0] if array.expressions else None
        if isinstance(first, exp.Subquery):
            first.replace(exp.Paren(this=first.copy()))
    return tree


@rule("postgres")
def empty_array_literals_have_a_type(tree: Any, target: str) -> Any:
    """An empty array literal ``[]`` takes its type from where it is used (``ARRAY_CONCAT(['a'], [])``,
    ``IF(c, [], ['x'])``) and is ``ARRAY<INT64>`` alone (``UNNEST([])``, ``SELECT []``). PostgreSQL cannot
    type ``ARRAY[]``: beside other arguments it is ``'{}'`` (which takes their type), alone a
    ``BIGINT[]``."""
    for array in list(tree.find_all(exp.Array)):
        parent = array.parent
        if array.expressions or isinstance(parent, exp.Cast | exp.DataType):
            continue
        siblings = [v for k, v in (parent.args.items() if parent is not None else [])
                    if v is not None and v is not array and k not in ("alias", "offset")]
        if siblings and not isinstance(parent, exp.Unnest | exp.Alias | exp.Select):
            array.replace(exp.Literal.string("{}"))
        else:
            array.replace(exp.Cast(this=array.copy(), to=exp.DataType.build("ARRAY<BIGINT>")))
    return tree


@rule("postgres")
def array_equality_with_null_elements(tree: Any, target: str) -> Any:
    """``a = b`` (and ``!=``) of two arrays is FALSE when their lengths or a pair of elements differ, else
    NULL when a pair holds a NULL (``[1, NULL] = [1, NULL]`` is NULL); PostgreSQL's array equality takes
    NULL elements as equal. The pairs are compared in a subquery over ``unnest(a, b)``."""

    def is_array(node: Any) -> bool:
        typ = type_of(node)
        return isinstance(node, exp.Array) or (typ is not None and typ.is_type(exp.DataType.Type.ARRAY))

    def fix(node: Any) -> Any:
        if not isinstance(node, exp.EQ | exp.NEQ) or not (is_array(node.this) and is_array(node.expression)):
            return node
        left, right = node.this, node.expression
        x, y = exp.column("_dop_x"), exp.column("_dop_y")
        pairs = exp.Unnest(expressions=[left.copy(), right.copy()], alias=exp.TableAlias(
            this=exp.to_identifier("_dop_pairs"), columns=[exp.to_identifier("_dop_x"), exp.to_identifier("_dop_y")]))
        differ = exp.func("bool_or", exp.NEQ(this=x.copy(), expression=y.copy()))
        unknown = exp.func("bool_or", exp.Is(this=exp.Paren(this=exp.EQ(this=x, expression=y)), expression=exp.Null()))
        verdict = exp.Case(ifs=[exp.If(this=differ, true=exp.false()), exp.If(this=unknown, true=exp.null())],
                           default=exp.true())
        equal = exp.Case(ifs=[
            exp.If(this=exp.Or(this=exp.Is(this=left.copy(), expression=exp.Null()),
                               expression=exp.Is(this=right.copy(), expression=exp.Null())), true=exp.null()),
            exp.If(this=exp.NEQ(this=exp.func("cardinality", left.copy()),
                                expression=exp.func("cardinality", right.copy())), true=exp.false())],
            default=exp.Subquery(this=exp.select(verdict).from_(pairs)))
        return exp.Not(this=exp.Paren(this=equal)) if isinstance(node, exp.NEQ) else exp.Paren(this=equal)

    return rewrite(tree, fix)
