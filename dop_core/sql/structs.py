"""Rules for BigQuery's STRUCTs: compared field by field, by position, with SQL's NULL logic; built from
``SELECT AS STRUCT *``."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dop_core.sql.inference import type_of
from dop_core.sql.rules import rewrite, rule

#: a struct's shape: one entry per field, the field's own shape (None: not a struct)
Shape = list[Any] | None


def _shape(node: Any) -> Shape:
    """The struct shape of ``node`` from its literal (``(1, (2, 3))``, ``STRUCT(...)``) or its inferred type."""
    if isinstance(node, exp.Paren):
        return _shape(node.this)
    if isinstance(node, exp.Tuple | exp.Struct):
        return [_shape(_value(field)) for field in node.expressions]
    return _type_shape(type_of(node))


def _type_shape(typ: Any) -> Shape:
    if typ is None or not typ.is_type(exp.DataType.Type.STRUCT) or not typ.expressions:
        return None
    return [_type_shape(field.args.get("kind") if isinstance(field, exp.ColumnDef) else field)
            for field in typ.expressions]


def _value(field: Any) -> Any:
    if isinstance(field, exp.PropertyEQ):
        return field.expression
    return field.this if isinstance(field, exp.Alias) else field


def _field(node: Any, index: int) -> Any:
    """Field ``index`` (from 0) of a struct value: the literal's expression, else ``struct_extract_at``."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Tuple | exp.Struct):
        return _value(node.expressions[index]).copy()
    return exp.Anonymous(this="struct_extract_at", expressions=[node.copy(), exp.Literal.number(index + 1)])


def _equal(left: Any, right: Any, shape: Shape) -> Any:
    """``left = right`` with BigQuery's meaning: structs field by field (FALSE when a field differs, else NULL
    when a field or a struct is NULL)."""
    if shape is None:
        return exp.EQ(this=left.copy(), expression=right.copy())
    fields = [_equal(_field(left, i), _field(right, i), sub) for i, sub in enumerate(shape)]
    combined = exp.and_(*fields) if fields else exp.true()
    either_null = exp.or_(exp.Is(this=left.copy(), expression=exp.null()),
                          exp.Is(this=right.copy(), expression=exp.null()))
    return exp.Paren(this=exp.Case(ifs=[exp.If(this=either_null, true=exp.null())], default=combined))


def _any_true(tests: Any) -> Any:
    """3-valued OR of a list of BOOLEANs (FALSE for an empty list): ``x IN`` over them."""
    return exp.Case(ifs=[
        exp.If(this=exp.func("list_bool_or", tests.copy()), true=exp.true()),
        exp.If(this=exp.LT(this=exp.func("list_count", tests.copy()), expression=exp.func("len", tests.copy())),
               true=exp.null())], default=exp.false())


@rule("duckdb")
def struct_comparisons_are_field_by_field(tree: Any, target: str) -> Any:
    """BigQuery compares STRUCTs field by field by position, whatever the field names, with SQL's NULL
    logic: ``(1, NULL) = (1, 2)`` is NULL, ``(1, NULL) = (2, 2)`` FALSE, and ``IN`` is TRUE on a match, else
    NULL when a comparison was NULL. DuckDB compares structs by field name (``STRUCT(1 AS a) = STRUCT(1 AS
    b)`` was FALSE) and a NULL field as a value. ``=``, ``!=``, ``IN`` (a list, ``UNNEST(array)``, a
    subquery), ``CASE s WHEN ...`` and ``NULLIF`` of structs whose fields are known (a literal or a typed
    value) compare each field (``struct_extract_at``)."""

    def fix(node: Any) -> Any:
        if isinstance(node, exp.EQ | exp.NEQ):
            shape = _shape(node.this) or _shape(node.expression)
            if shape is None:
                return node
            equal = _equal(node.this, node.expression, shape)
            return equal if isinstance(node, exp.EQ) else exp.Not(this=equal)
        if isinstance(node, exp.In):
            return _in(node)
        if isinstance(node, exp.Nullif) and (_shape(node.this) or _shape(node.expression)):
            shape = _shape(node.this) or _shape(node.expression)
            return exp.Case(ifs=[exp.If(this=_equal(node.this, node.expression, shape), true=exp.null())],
                            default=node.this.copy())
        if isinstance(node, exp.Case) and node.this is not None:
            shape = _shape(node.this) or next((_shape(i.this) for i in node.args["ifs"] if _shape(i.this)), None)
            if shape is None:
                return node
            return exp.Case(ifs=[exp.If(this=_equal(node.this, i.this, shape), true=i.args["true"].copy())
                                 for i in node.args["ifs"]], default=node.args.get("default"))
        return node

    return rewrite(tree, fix)


def _in(node: Any) -> Any:
    value, listed, unnest, query = (node.this, node.expressions, node.args.get("unnest"),
                                    node.args.get("query"))
    shape = _shape(value) or next((_shape(e) for e in listed if _shape(e)), None)
    if shape is None and unnest is not None and unnest.expressions:
        array_type = type_of(unnest.expressions[0])
        shape = _type_shape(array_type.expressions[0]) if array_type is not None and array_type.expressions \
            else None
    if shape is None:
        return node
    if listed:
        return exp.Paren(this=exp.or_(*[_equal(value, e, shape) for e in listed]))
    element = exp.to_identifier("_dop_element")
    if unnest is not None and len(unnest.expressions) == 1:
        array = unnest.expressions[0]
        tests = exp.Anonymous(this="list_transform", expressions=[array.copy(), exp.Lambda(
            this=_equal(value, exp.column(element), shape), expressions=[element])])
        return exp.Case(ifs=[exp.If(this=exp.Is(this=array.copy(), expression=exp.null()), true=exp.false())],
                        default=_any_true(tests))
    if query is not None:
        inner = query.this if isinstance(query, exp.Subquery) else query
        collected = exp.Subquery(this=exp.select(exp.func("list", _equal(value, exp.column(element), shape))).from_(
            exp.Subquery(this=inner.copy(), alias=exp.TableAlias(this=exp.to_identifier("_dop_in"),
                                                                columns=[element.copy()]))))
        return _any_true(exp.func("coalesce", collected, exp.Array(expressions=[])))
    return node


@rule("duckdb")
def select_as_struct_of_star(tree: Any, target: str) -> Any:
    """``ARRAY(SELECT AS STRUCT * FROM t)`` builds a struct of every column of the row (sqlglot wrote
    ``{'_0': *}``, which DuckDB refuses): ``struct_pack(*COLUMNS(*))``."""
    for select in tree.find_all(exp.Select):
        items = select.expressions
        if (select.args.get("kind") or "").upper() != "STRUCT" or len(items) != 1 or \
                not isinstance(items[0], exp.Star) or any(items[0].args.values()):
            continue
        every_column = exp.Anonymous(this="unpack", expressions=[exp.Anonymous(this="columns",
                                                                                 expressions=[exp.Star()])])
        select.set("expressions", [exp.Anonymous(this="struct_pack", expressions=[every_column])])
        select.set("kind", None)
    return tree


def _positional(node: Any, shape: list[Any]) -> Any:
    """A struct value as an unnamed row of its fields (nested structs too): DuckDB names it like the
    struct it is combined with, by position. A NULL struct stays NULL."""
    row = exp.Anonymous(this="row", expressions=[
        _positional(_field(node, i), sub) if sub is not None else _field(node, i) for i, sub in enumerate(shape)])
    literal = node.this if isinstance(node, exp.Paren) else node
    if isinstance(literal, exp.Tuple | exp.Struct):
        return row
    return exp.Case(ifs=[exp.If(this=exp.Is(this=node.copy(), expression=exp.null()), true=exp.null())], default=row)


def _leftmost(query: Any) -> Any:
    while isinstance(query, exp.SetOperation | exp.Subquery):
        query = query.this
    return query


@rule("duckdb")
def set_operations_combine_structs_by_position(tree: Any, target: str) -> Any:
    """``SELECT STRUCT('abc' AS a, 3 AS b) UNION ALL SELECT STRUCT('def' AS c, 5 AS d)`` is a column of
    ``STRUCT<a STRING, b INT64>``: the inputs' structs are combined by position, named as the first input's.
    DuckDB combined them by name (a struct of four fields, half of them NULL). A later input's struct
    (of known fields) becomes an unnamed row of its fields."""
    for node in tree.find_all(exp.SetOperation):
        first, later = _leftmost(node.this), node.expression
        while isinstance(later, exp.Subquery):
            later = later.this
        if not isinstance(first, exp.Select) or not isinstance(later, exp.Select) or \
                len(first.expressions) != len(later.expressions):
            continue
        for model, item in zip(first.expressions, later.expressions, strict=True):
            shape = _shape(_value_of(model))
            value = _value_of(item)
            if shape is None or _shape(value) is None or len(_shape(value) or []) != len(shape):
                continue
            value.replace(_positional(value, shape))
    return tree


def _value_of(item: Any) -> Any:
    return item.this if isinstance(item, exp.Alias) else item
