"""Rules for BigQuery's JSON functions on DuckDB: JSONPaths with any member name, ``TO_JSON``'s type, the
mutators (``JSON_SET``, ``JSON_REMOVE``, ``JSON_ARRAY_INSERT``/``APPEND``, ``JSON_STRIP_NULLS``), ``JSON_KEYS``
and ``lax`` JSONPaths, the last ones as calls of DOP's function library (``library/json_mutators.py``)."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dop_core.sql import UnsupportedSqlError, library
from dop_core.sql.inference import is_type, type_of
from dop_core.sql.library import BigQueryError
from dop_core.sql.library.json_paths import Key, Step, duckdb_path, modifiers, steps
from dop_core.sql.rules import rewrite, rule

_EXTRACTIONS = (exp.JSONExtract, exp.JSONExtractScalar, exp.JSONExtractArray, exp.JSONValueArray)


def _steps_of(path: Any) -> list[Step] | None:
    """The steps of a path sqlglot read (``exp.JSONPath``), None if it has other parts (wildcards...)."""
    out: list[Step] = []
    for part in path.expressions:
        if isinstance(part, exp.JSONPathKey) and isinstance(part.this, str):
            out.append(Key(part.this))
        elif isinstance(part, exp.JSONPathSubscript) and isinstance(part.this, int):
            out.append(part.this)
        elif not isinstance(part, exp.JSONPathRoot):
            return None
    return out


def _needs_quoting(name: str) -> bool:
    return not name or '"' in name or "\\" in name


def _path_literal(path: list[Step]) -> Any:
    return exp.Literal.string(duckdb_path(path))


@rule("duckdb")
def json_paths_name_any_member(tree: Any, target: str) -> Any:
    """A JSONPath reaches members of any name: ``$."a.b"``, JSON_EXTRACT's ``$['a.b']`` and ``$[a]``, names
    with quotes, backslashes or nothing (``json['']``), also as ``json.`name``` and ``json['name']``.
    DuckDB could not read the path (an error); it is rewritten in DuckDB's syntax, every name quoted."""

    def fix(node: Any) -> Any:
        if isinstance(node, _EXTRACTIONS):
            path = node.expression
            if isinstance(path, exp.Literal) and path.is_string and path.this.lstrip().startswith("$"):
                node.set("expression", _path_literal(_read(path.this)))
            elif isinstance(path, exp.JSONPath):
                found = _steps_of(path)
                if found is not None and any(isinstance(s, Key) and _needs_quoting(s) for s in found):
                    node.set("expression", _path_literal(found))
            return node
        if isinstance(node, exp.Bracket) and len(node.expressions) == 1 and is_type(node.this, "JSON"):
            key = node.expressions[0]
            if isinstance(key, exp.Literal) and key.is_string and _needs_quoting(key.this):
                return exp.JSONExtract(this=node.this, expression=_path_literal([Key(key.this)]))
        if isinstance(node, exp.Dot) and isinstance(node.expression, exp.Identifier):
            base, names = _json_fields(node)
            if base is not None and any(_needs_quoting(name) for name in names):
                return exp.JSONExtract(this=base, expression=_path_literal([Key(n) for n in names]))
        return node

    return rewrite(tree, fix)


def _read(path: str) -> list[Step]:
    try:
        return steps(path.strip())
    except BigQueryError as exc:
        raise UnsupportedSqlError(f"{exc}: {path}", construct="JSON") from None


def _json_fields(node: Any) -> tuple[Any, list[str]]:
    """(the JSON value, the member names) of ``json.a.b``; (None, []) when no JSON value is under it."""
    names: list[str] = []
    while isinstance(node, exp.Dot) and isinstance(node.expression, exp.Identifier):
        names.insert(0, node.expression.this)
        node = node.this
        if is_type(node, "JSON") or isinstance(node, exp.ParseJSON) or (
                isinstance(node, exp.Paren) and isinstance(node.this, exp.ParseJSON)):
            return node, names
    return None, []


@rule("duckdb")
def to_json_returns_json(tree: Any, target: str) -> Any:
    """``TO_JSON(value)`` is a JSON value (sqlglot cast it to text, as for ``TO_JSON_STRING``).
    ``TO_JSON_STRING(value, pretty_print)`` (DuckDB's ``to_json`` takes one argument) is the library's
    ``json_text`` of the JSON text."""

    def fix(node: Any) -> Any:
        if not isinstance(node, exp.JSONFormat):
            return node
        options = node.args.get("options")
        if node.args.get("to_json") and not options:
            return exp.Anonymous(this="to_json", expressions=[node.this])
        if not node.args.get("to_json") and options is not None and not isinstance(options, exp.Kwarg):
            return library.call(target, "json_text", _cast(_to_json(node.this), "VARCHAR"), options)
        return node

    return rewrite(tree, fix)


#: a mutator -> (the library function, its named argument, that argument's default)
_MUTATORS: dict[type, tuple[str, str, bool]] = {
    exp.JSONSet: ("json_set", "create_if_missing", True),
    exp.JSONArrayInsert: ("json_array_insert", "insert_each_element", True),
    exp.JSONArrayAppend: ("json_array_append", "append_each_element", True),
}


def _named(arguments: list[Any]) -> tuple[list[Any], dict[str, Any]]:
    """(the positional arguments, the named ones by lowercase name)."""
    first_named = next((i for i, a in enumerate(arguments) if isinstance(a, exp.Kwarg)), len(arguments))
    positional = [a for a in arguments if not isinstance(a, exp.Kwarg)]
    if len(positional) > first_named:
        raise UnsupportedSqlError("named arguments must be specified last in the argument list; a positional "
                                  "argument follows one", construct=arguments[first_named].this.name)
    named = {a.this.name.lower(): a.expression for a in arguments if isinstance(a, exp.Kwarg)}
    return positional, named


def _array(items: list[Any], of: str) -> Any:
    return exp.Cast(this=exp.Array(expressions=items), to=exp.DataType.build(f"{of}[]", dialect="duckdb"))


def _is_array(node: Any) -> bool:
    typ = node.to if isinstance(node, exp.Cast) else type_of(node)
    return isinstance(node, exp.Array) or (typ is not None and typ.is_type(exp.DataType.Type.ARRAY))


def _cast(value: Any, to: str) -> Any:
    return exp.Cast(this=value, to=exp.DataType.build(to, dialect="duckdb"))


def _to_json(value: Any) -> Any:
    return exp.Anonymous(this="to_json", expressions=[value])


@rule("duckdb")
def json_mutators_from_the_library(tree: Any, target: str) -> Any:
    """``JSON_SET`` (several paths, ``create_if_missing``), ``JSON_REMOVE`` (several paths),
    ``JSON_ARRAY_INSERT``/``JSON_ARRAY_APPEND`` (``insert_each_element``/``append_each_element``),
    ``JSON_STRIP_NULLS`` (a path, ``include_arrays``, ``remove_empty``) and ``JSON_KEYS`` (``max_depth``,
    ``mode``) as the library's functions (DuckDB has none, or one of other semantics: its ``json_set``
    parsed a string value as JSON text); each value converted as ``TO_JSON`` does."""

    def fix(node: Any) -> Any:
        if type(node) in _MUTATORS:
            name, option, default = _MUTATORS[type(node)]
            pairs, named = _named(node.expressions)
            if len(pairs) % 2 or not pairs:
                raise UnsupportedSqlError(f"{name.upper()} takes JSONPath and value pairs", construct=name.upper())
            flag = named.get(option, exp.Boolean(this=default))
            paths, values = _array(pairs[0::2], "VARCHAR"), _array([_to_json(v) for v in pairs[1::2]], "JSON")
            if isinstance(node, exp.JSONSet):
                return library.call(target, name, node.this, paths, values, flag)
            spread = [exp.and_(flag.copy(), exp.func("ends_with", exp.func("typeof", v.copy()),
                                                     exp.Literal.string("]")))
                      for v in pairs[1::2]]
            return library.call(target, name, node.this, paths, values, _array(spread, "BOOLEAN"))
        if isinstance(node, exp.JSONRemove):
            return library.call(target, "json_remove", node.this, _array(node.expressions, "VARCHAR"))
        if isinstance(node, exp.JSONStripNulls):
            path = node.expression or exp.Literal.string("$")
            options = {key: node.args[key].expression if isinstance(node.args.get(key), exp.Kwarg)
                       else node.args.get(key) for key in ("include_arrays", "remove_empty")}
            return library.call(target, "json_strip_nulls", node.this, path,
                                options["include_arrays"] or exp.true(), options["remove_empty"] or exp.false())
        if isinstance(node, exp.JSONKeysAtDepth):
            depth, named = _named([a for a in (node.expression, node.args.get("mode")) if a is not None])
            return library.call(target, "json_keys", node.this,
                                exp.Cast(this=depth[0] if depth else exp.null(), to=exp.DataType.build("BIGINT")),
                                named.get("mode") or exp.Literal.string("strict"))
        return node

    return rewrite(tree, fix)


@rule("duckdb")
def json_query_lax_paths_from_the_library(tree: Any, target: str) -> Any:
    """``JSON_QUERY(json, 'lax $.a.b')`` returns every match as a JSON array, looking into arrays along the
    path (nested arrays too with ``lax recursive``); DuckDB has no lax mode: the library's
    ``json_query_lax``."""

    def fix(node: Any) -> Any:
        path = node.expression if isinstance(node, exp.JSONExtract) else None
        if not (isinstance(path, exp.Literal) and path.is_string) or "$" not in path.this or \
                not path.this.split("$", 1)[0].strip():
            return node
        modifiers(path.this)  # checked by json_path_modifiers_are_checked
        value = node.this
        if not is_type(value, "JSON") and not isinstance(value, exp.ParseJSON):
            value = exp.Cast(this=value, to=exp.DataType.build("JSON"))
        return library.call(target, "json_query_lax", value, path)

    return rewrite(tree, fix)


@rule("duckdb")
def json_value_arrays_need_an_array_of_scalars(tree: Any, target: str) -> Any:
    """``JSON_VALUE_ARRAY``/``JSON_EXTRACT_STRING_ARRAY`` return NULL where the value at the path is not an
    array or holds an object or an array (DuckDB's cast to ``VARCHAR[]`` was an error, or a nested array's
    text)."""

    def fix(node: Any) -> Any:
        if not isinstance(node, exp.JSONValueArray) or node.meta.get("dop_checked"):
            return node
        node.meta["dop_checked"] = True
        at_path = exp.JSONExtract(this=node.this.copy(), expression=node.expression.copy())
        element = exp.to_identifier("_dop_element")
        kinds = exp.Anonymous(this="list_transform", expressions=[
            exp.Cast(this=at_path.copy(), to=exp.DataType.build("JSON[]", dialect="duckdb")),
            exp.Lambda(this=exp.func("json_type", exp.column(element)), expressions=[element])])
        nested = exp.func("list_has_any", kinds, exp.Array(expressions=[
            exp.Literal.string("OBJECT"), exp.Literal.string("ARRAY")]))
        is_array = exp.EQ(this=exp.func("json_type", at_path), expression=exp.Literal.string("ARRAY"))
        scalars = exp.Case(ifs=[exp.If(this=exp.not_(nested), true=node)])
        return exp.Case(ifs=[exp.If(this=is_array, true=scalars)])  # a CASE: the cast only of an array

    return rewrite(tree, fix)


@rule("duckdb")
def json_object_keeps_the_first_of_a_repeated_key(tree: Any, target: str) -> Any:
    """``JSON_OBJECT('c', 1, 'a', 2, 'c', 3)`` is ``{"a":2,"c":1}``: a repeated key keeps its first value and
    the members are in key order (DuckDB kept both ``c`` and the written order), where every key is a
    string literal. ``JSON_OBJECT(keys_array, values_array)`` is the library's ``json_object_of_arrays``
    (with BigQuery's errors for a NULL array or key and for arrays of different lengths)."""

    def fix(node: Any) -> Any:
        if isinstance(node, exp.JSONObject) and len(node.expressions) == 1 and _is_array(node.expressions[0].this):
            pair = node.expressions[0]
            element = exp.to_identifier("_dop_element")
            values = exp.Anonymous(this="list_transform", expressions=[pair.expression, exp.Lambda(
                this=_to_json(exp.column(element)), expressions=[element])])
            return library.call(target, "json_object_of_arrays", _cast(pair.this, "VARCHAR[]"),
                                _cast(values, "JSON[]"))
        if not isinstance(node, exp.JSONObject) or not all(
                isinstance(pair, exp.JSONKeyValue) and isinstance(pair.this, exp.Literal) and pair.this.is_string
                for pair in node.expressions):
            return node
        first: dict[str, Any] = {}
        for pair in node.expressions:
            first.setdefault(pair.this.this, pair)
        node.set("expressions", [first[key] for key in sorted(first)])
        return node

    return rewrite(tree, fix)
