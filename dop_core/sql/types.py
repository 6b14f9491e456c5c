"""Rules for BigQuery's number types: INT64 literals, FLOAT64 literals, division, JSON conversions."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dop_core.sql import library
from dop_core.sql.inference import is_type
from dop_core.sql.rules import rewrite, rule

#: where an integer literal (anywhere below) is a count, a size or an index, not an INT64 value
_INSIDE = (exp.Limit, exp.Offset, exp.DataType, exp.DataTypeParam, exp.Interval, exp.Bracket, exp.Fetch)
#: where an integer literal (directly) is a column position or a frame bound
_POSITIONAL = (exp.Ordered, exp.Group, exp.WindowSpec)
_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.IntDiv)


def _is_int_literal(node: Any) -> bool:
    return isinstance(node, exp.Literal) and not node.is_string and node.is_int


@rule("duckdb", "postgres")
def integer_literals_are_int64(tree: Any, target: str) -> Any:
    """BigQuery's integer literals are INT64: ``SELECT 2147483647 + 1`` is 2147483648, and a column made
    of a literal is an INT64 column. DuckDB and PostgreSQL type a small literal as a 32-bit INTEGER
    (the sum overflows, the table gets an INTEGER column), so a literal in arithmetic or selected as a
    column (or as a field of a selected struct, ``SELECT (1, 2)``) is cast to BIGINT;
    ``-9223372036854775808`` stays one literal."""

    def fix(node: Any) -> Any:
        if isinstance(node, exp.Neg) and _is_int_literal(node.this):
            value = exp.Literal.number(f"-{node.this.this}")
            return exp.Cast(this=value, to=exp.DataType.build("BIGINT")) if _wants_int64(node) else node
        if _is_int_literal(node) and not isinstance(node.parent, exp.Neg) and _wants_int64(node):
            return exp.Cast(this=node.copy(), to=exp.DataType.build("BIGINT"))
        return node

    return tree.transform(fix)


def _wants_int64(node: Any) -> bool:
    parent = node.parent
    if isinstance(parent, exp.Paren):
        parent = parent.parent
    if isinstance(parent, (exp.Cast, *_POSITIONAL)) or node.find_ancestor(*_INSIDE):
        return False
    if isinstance(parent, _ARITHMETIC):
        return True
    container = node.parent.parent if isinstance(node.parent, exp.PropertyEQ) else node.parent
    if isinstance(container, exp.Tuple | exp.Struct):  # a field of a selected struct is a column's field
        return _wants_int64(container)
    column = node.parent if isinstance(node.parent, exp.Alias) else node  # a selected column, aliased or not
    select = column.parent
    return isinstance(select, exp.Select) and any(e is column for e in select.expressions)


@rule("duckdb", "postgres")
def float_literals_are_float64(tree: Any, target: str) -> Any:
    """BigQuery's literals with a decimal point or an exponent (``1.5``, ``1e3``) are FLOAT64; DuckDB
    and PostgreSQL read ``1.5`` as a DECIMAL/NUMERIC, so sums and averages of them would be decimals.
    The literal is cast to DOUBLE. Where BigQuery coerces the literal to NUMERIC instead (beside a
    NUMERIC in a set operation's column, an array, CASE branches, COALESCE, IN, BETWEEN, a comparison or
    arithmetic), it is cast to NUMERIC."""
    numeric = _numeric_literals(tree)

    def fix(node: Any) -> Any:
        if isinstance(node, exp.Literal) and not node.is_string and not node.is_int \
                and not isinstance(node.parent, exp.Cast | exp.DataTypeParam) and not node.find_ancestor(exp.DataType):
            to = "DECIMAL(38, 9)" if id(node) in numeric else "DOUBLE"
            return exp.Cast(this=node.copy(), to=exp.DataType.build(to))
        return node

    return tree.transform(fix, copy=False)  # in place: ``numeric`` holds ids of this tree's nodes


def _float_literal(node: Any) -> Any:
    """The float literal ``node`` is (under a sign or parentheses), or None."""
    while isinstance(node, exp.Neg | exp.Paren):
        node = node.this
    return node if isinstance(node, exp.Literal) and not node.is_string and not node.is_int else None


def _is_numeric(node: Any) -> bool:
    return _float_literal(node) is None and is_type(node.unalias(), "DECIMAL", "BIGDECIMAL")


def _numeric_literals(tree: Any) -> set[int]:
    """ids of float literals BigQuery coerces to NUMERIC: those beside a NUMERIC value where values are
    coerced to one type."""
    out: set[int] = set()
    groups: list[list[Any]] = []
    for operation in tree.find_all(exp.SetOperation):
        if isinstance(operation.parent, exp.SetOperation):
            continue  # the outermost of a chain covers its inputs
        inputs = [s for s in _set_inputs(operation) if isinstance(s, exp.Select)]
        for position in range(min(len(s.expressions) for s in inputs) if inputs else 0):
            groups.append([s.expressions[position].unalias() for s in inputs])
    for node in tree.find_all(exp.Array, exp.Case, exp.Coalesce, exp.In, exp.Between, exp.Binary):
        if isinstance(node, exp.Array | exp.Coalesce):
            groups.append([node.this, *node.expressions] if node.this is not None else list(node.expressions))
        elif isinstance(node, exp.Case):
            groups.append([i.args.get("true") for i in node.args.get("ifs") or []] + [node.args.get("default")])
        elif isinstance(node, exp.In):
            groups.append([node.this, *node.expressions])
        elif isinstance(node, exp.Between):
            groups.append([node.this, node.args.get("low"), node.args.get("high")])
        elif isinstance(node, exp.Predicate | exp.Add | exp.Sub | exp.Mul | exp.Div) \
                and not isinstance(node, exp.And | exp.Or):
            groups.append([node.this, node.expression])
    for group in groups:
        members = [m for m in group if isinstance(m, exp.Expression)]
        if any(_is_numeric(m) for m in members):
            out.update(id(literal) for literal in map(_float_literal, members) if literal is not None)
    return out


def _set_inputs(node: Any) -> list[Any]:
    while isinstance(node, exp.Subquery):
        node = node.this
    if isinstance(node, exp.SetOperation):
        return _set_inputs(node.this) + _set_inputs(node.expression)
    return [node]


@rule("duckdb")
def division_by_zero_is_an_error(tree: Any, target: str) -> Any:
    """BigQuery's ``x / y`` raises "division by zero" when ``y`` is 0 (``IEEE_DIVIDE`` and
    ``SAFE_DIVIDE`` are the forms that do not); DuckDB returns infinity or NaN. A divisor that is not
    a non-zero literal is checked: ``x / CASE WHEN y = 0 THEN error('division by zero') ELSE y END``."""

    def fix(node: Any) -> Any:
        if isinstance(node, exp.Div) and not node.args.get("safe"):
            divisor = node.expression
            if isinstance(divisor, exp.Literal) and not divisor.is_string and float(divisor.this) != 0:
                return node
            checked = exp.Case(ifs=[exp.If(this=exp.EQ(this=divisor.copy(), expression=exp.Literal.number(0)),
                                           true=library.call(target, "error", exp.Literal.string("division by zero")))],
                               default=divisor.copy())
            node.set("expression", checked)
        return node

    return tree.transform(fix)


@rule("duckdb", "postgres")
def ieee_divide(tree: Any, target: str) -> Any:
    """``IEEE_DIVIDE(x, y)`` divides as IEEE 754 does: ``x / 0`` is +/-inf, ``0 / 0`` NaN, never an error.
    DuckDB's float division does exactly that; PostgreSQL raises, so there it is spelled with CASE."""

    def fix(node: Any) -> Any:
        if isinstance(node, exp.Anonymous) and node.name.upper() == "IEEE_DIVIDE" and len(node.expressions) == 2:
            x, y = (exp.Cast(this=e.copy(), to=exp.DataType.build("DOUBLE")) for e in node.expressions)
            if target == "duckdb":
                return exp.Paren(this=exp.Div(this=x, expression=y))
            nan, inf = (exp.Cast(this=exp.Literal.string(v), to=exp.DataType.build("DOUBLE"))
                        for v in ("NaN", "Infinity"))
            return exp.Case(ifs=[
                exp.If(this=exp.EQ(this=y.copy(), expression=exp.Literal.number(0)), true=exp.Case(ifs=[
                    exp.If(this=exp.GT(this=x.copy(), expression=exp.Literal.number(0)), true=inf.copy()),
                    exp.If(this=exp.LT(this=x.copy(), expression=exp.Literal.number(0)), true=exp.Neg(this=inf)),
                ], default=nan)),
            ], default=exp.Div(this=x, expression=y))
        return node

    return tree.transform(fix)


_JSON_CONVERSIONS = {"FLOAT64": "DOUBLE", "INT64": "BIGINT", "BOOL": "BOOLEAN", "STRING": "VARCHAR"}


@rule("duckdb", "postgres")
def json_conversion_functions(tree: Any, target: str) -> Any:
    """``FLOAT64(json)``, ``INT64(json)``, ``BOOL(json)`` and ``STRING(json)`` convert a JSON number,
    boolean or string to that SQL type and fail on any other JSON value (``INT64`` on a fractional number,
    ``FLOAT64`` with ``wide_number_mode => 'exact'`` on a number it cannot hold); ``JSON_TYPE`` names the
    JSON type. On DuckDB the library's ``json_*`` functions (a cast kept a string's quotes and converted
    between types); on PostgreSQL a cast of the JSON value (``BOOL(json)`` was an unknown function)."""

    def fix(node: Any) -> Any:
        name = node.key.upper() if isinstance(node, exp.Float64 | exp.JSONBool | exp.String | exp.Int64) else \
            node.name.upper() if isinstance(node, exp.Anonymous) else ""
        name = {"JSONBOOL": "BOOL"}.get(name, name)
        arg = node.this if not isinstance(node, exp.Anonymous) else (node.expressions or [None])[0]
        if isinstance(node, exp.JSONType) and target == "duckdb":
            return library.call(target, "json_type", node.this)
        if name not in _JSON_CONVERSIONS or arg is None:
            return node
        if isinstance(node, exp.String | exp.Int64) and not (is_type(arg, "JSON") or isinstance(arg, exp.ParseJSON)):
            return node  # STRING(timestamp, zone), INT64 of a non-JSON value: not a JSON conversion
        if target != "duckdb":
            return exp.Cast(this=arg.copy(), to=exp.DataType.build(_JSON_CONVERSIONS[name]))
        if name == "FLOAT64":
            mode = node.args.get("expression")
            mode = mode.expression if isinstance(mode, exp.Kwarg) else mode
            return library.call(target, "json_float64", arg, mode or exp.Literal.string("round"))
        return library.call(target, f"json_{name.lower()}", arg)

    return tree.transform(fix)


def _decimal(precision: int, scale: int) -> Any:
    return exp.DataType.build(f"DECIMAL({precision}, {scale})")


@rule("duckdb", "postgres")
def numeric_types_keep_their_precision(tree: Any, target: str) -> Any:
    """BigQuery's NUMERIC is a decimal of 38 digits, 9 after the point; BIGNUMERIC has 76 digits, 38
    after the point. sqlglot wrote NUMERIC as a bare DECIMAL, which DuckDB reads as DECIMAL(18,3)
    (rounding to 3 decimals, overflowing past 15 integer digits), and BIGNUMERIC as DuckDB's
    DECIMAL(38,5) or an unknown BIGDECIMAL type on PostgreSQL. NUMERIC becomes DECIMAL(38,9);
    BIGNUMERIC becomes PostgreSQL's unbounded NUMERIC, and on DuckDB (38 digits at most) DECIMAL(38,9):
    larger values are an overflow error there, and digits past the ninth decimal are rounded."""

    def fix(node: Any) -> Any:
        if not isinstance(node, exp.DataType) or node.expressions:
            return node
        if node.this == exp.DataType.Type.DECIMAL:
            return _decimal(38, 9)
        if node.this == exp.DataType.Type.BIGDECIMAL:
            return exp.DataType.build("DECIMAL") if target == "postgres" else _decimal(38, 9)
        return node

    return tree.transform(fix)


@rule("duckdb")
def anonymous_struct_fields_are_named(tree: Any, target: str) -> Any:
    """A STRUCT type may leave its fields unnamed (``STRUCT<INT64, STRING>``); DuckDB's STRUCT type needs a
    name for each. The fields are named by position as sqlglot names the fields of an anonymous struct
    value (``_0``, ``_1``...), so ``CAST((1, 'a') AS STRUCT<INT64, STRING>)`` and arrays of such structs
    keep BigQuery's meaning (fields by position)."""
    for typ in tree.find_all(exp.DataType):
        if not typ.is_type(exp.DataType.Type.STRUCT):
            continue
        fields = typ.expressions
        if any(isinstance(f, exp.DataType) for f in fields):
            typ.set("expressions", [exp.ColumnDef(this=exp.to_identifier(f"_{i}"), kind=f)
                                    if isinstance(f, exp.DataType) else f for i, f in enumerate(fields)])
    return tree


@rule("duckdb")
def json_extracts_of_strings_are_strings(tree: Any, target: str) -> Any:
    """``JSON_EXTRACT``/``JSON_QUERY`` of a STRING holding JSON return a STRING (the extracted JSON's text);
    of a JSON value, JSON. DuckDB's extraction always returns JSON, so a column of STRING became JSON: the
    result is cast to VARCHAR where the input is known to be a STRING."""

    def fix(node: Any) -> Any:
        if isinstance(node, exp.JSONExtract) and (is_type(node.this, "TEXT", "VARCHAR") or (
                isinstance(node.this, exp.Literal) and node.this.is_string)):
            return exp.Cast(this=node, to=exp.DataType.build("VARCHAR"))
        return node

    return rewrite(tree, fix)


@rule("duckdb")
def json_query_array_keeps_json_nulls(tree: Any, target: str) -> Any:
    """``JSON_QUERY_ARRAY``/``JSON_EXTRACT_ARRAY`` return the array's elements as JSON (of a STRING: as
    STRINGs of JSON text), a JSON ``null`` element as JSON ``null`` (the text ``'null'``), and NULL where
    the path is missing or is no array. sqlglot's cast of the extracted array to ``JSON[]`` made a null
    element SQL NULL and a STRING input JSON: the elements are extracted with ``[*]`` where the value
    at the path is an array."""

    def fix(node: Any) -> Any:
        path = node.args.get("expression") if isinstance(node, exp.JSONExtractArray) else None
        if not isinstance(path, exp.JSONPath):
            return node
        value = node.this
        at_path = exp.JSONExtract(this=value.copy(), expression=path.copy())
        elements = path.copy()
        elements.append("expressions", exp.JSONPathSubscript(this=exp.JSONPathWildcard()))
        extracted: Any = exp.JSONExtract(this=value.copy(), expression=elements)
        if is_type(value, "TEXT", "VARCHAR") or (isinstance(value, exp.Literal) and value.is_string):
            extracted = exp.Cast(this=extracted, to=exp.DataType.build("VARCHAR[]", dialect="duckdb"))
        is_array = exp.EQ(this=exp.func("JSON_TYPE", at_path), expression=exp.Literal.string("ARRAY"))
        return exp.Case(ifs=[exp.If(this=is_array, true=extracted)])

    return rewrite(tree, fix)


_ORDERING = (exp.GT, exp.GTE, exp.LT, exp.LTE, exp.EQ)


@rule("duckdb")
def nan_compares_as_ieee(tree: Any, target: str) -> Any:
    """Comparisons with a FLOAT64 NaN are FALSE (``NaN = NaN``, ``NaN > 0``...), except ``!=``, which is
    TRUE; DuckDB orders NaN above every number and equal to itself. A comparison with an operand known to
    be FLOAT64 also checks that operand is no NaN (``!=``: or is one). NULLs keep their meaning."""

    def fix(node: Any) -> Any:
        if not isinstance(node, (*_ORDERING, exp.NEQ)):
            return node
        floats = [side for side in (node.this, node.expression) if is_type(side, "DOUBLE", "FLOAT")]
        if not floats:
            return node
        nans = [exp.Anonymous(this="isnan", expressions=[side.copy()]) for side in floats]
        if isinstance(node, exp.NEQ):
            return exp.Paren(this=exp.or_(node, *nans, copy=False))
        return exp.Paren(this=exp.and_(node, *(exp.Not(this=n) for n in nans), copy=False))

    return rewrite(tree, fix)


@rule("duckdb", "postgres")
def numeric_strings_have_no_trailing_zeros(tree: Any, target: str) -> Any:
    """``CAST(numeric AS STRING)`` is the shortest text of the value (``NUMERIC '1.50'`` is ``'1.5'``,
    ``0`` is ``'0'``); the engines print every decimal of the type (``1.500000000``). The text loses its
    trailing zeros after the point, and the point when nothing is left after it. Also for ``SAFE_CAST``
    and BIGNUMERIC; where the value is known to be one."""

    def fix(node: Any) -> Any:
        if not isinstance(node, exp.Cast) or not node.to.is_type(*exp.DataType.TEXT_TYPES) or \
                not is_type(node.this, "DECIMAL", "BIGDECIMAL"):
            return node
        text = node.copy()
        point, zero = exp.Literal.string("."), exp.Literal.string("0")
        trimmed = exp.func("RTRIM", exp.func("RTRIM", text.copy(), zero), point.copy())
        has_point = exp.GT(this=exp.func("STRPOS", text.copy(), point), expression=exp.Literal.number(0))
        return exp.Case(ifs=[exp.If(this=has_point, true=trimmed)], default=text)

    return rewrite(tree, fix)
