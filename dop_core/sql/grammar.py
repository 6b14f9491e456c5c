"""DOP's additions to sqlglot's BigQuery grammar: BigQuery SQL sqlglot cannot parse.

Where DOP parses SQL it reads with :func:`reader` (``sqlglot.parse(sql, read=reader(dialect))``): for
BigQuery, sqlglot's dialect with these additions; sqlglot's own ``bigquery`` stays as it is. Each addition
parses into the tree sqlglot builds for an equivalent construct it knows, so the translation rules and
sqlglot's generators need nothing new:

- ``x [NOT] LIKE ALL UNNEST(array)`` (sqlglot read ``LIKE ANY UNNEST`` only): an ``exp.All`` as for ANY.
- Pipe operators ``|> SET c = e, ...`` (``SELECT * REPLACE (e AS c, ...)``), ``|> DROP c, ...``
  (``SELECT * EXCEPT (c, ...)``), ``|> RENAME a AS b, ...`` (``SELECT * RENAME (a AS b, ...)``),
  ``|> WINDOW f() OVER (...), ...`` (as ``|> EXTEND``), and ``|> WHERE`` of a window function (a
  ``QUALIFY``: SQL's WHERE cannot hold one), each a step of its own as sqlglot's pipe operators are.
- ``x.array`` (a field named ARRAY, as in ``json.array[0]``): sqlglot read an array constructor and
  dropped ``x``.
- ``JSON_OBJECT(keys_array, values_array)`` whose arrays differ in length or hold a NULL key stays one
  pair of arrays (BigQuery's error; sqlglot paired the elements it could, silently).
- ``CAST(x AS type FORMAT f [AT TIME ZONE z])`` stays a ``Cast`` with its ``format`` (an expression, or
  ``AtTimeZone(format, zone)``), which the ``cast_with_format`` rule translates or refuses. sqlglot read
  only a string literal as ``f`` (a NULL, a parameter, a column or ``'a' || 'b'`` failed to parse), turned
  casts to DATE/DATETIME/TIME/TIMESTAMP into ``StrToTime`` (a TIME came back as a TIMESTAMP) and left the
  time zone out of the SQL it wrote.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp
from sqlglot import parser as sqlglot_parser
from sqlglot.dialects.bigquery import BigQuery as _SqlglotBigQuery
from sqlglot.parsers.bigquery import BigQueryParser
from sqlglot.tokens import TokenType


def reader(dialect: str) -> Any:
    """The dialect to parse ``dialect``'s SQL with: DOP's :class:`DopBigQuery` for ``bigquery``."""
    return DopBigQuery if dialect == "bigquery" else dialect


class _Parser(BigQueryParser):
    PIPE_SYNTAX_TRANSFORM_PARSERS = {
        **BigQueryParser.PIPE_SYNTAX_TRANSFORM_PARSERS,
        "SET": lambda self, query: self._parse_pipe_star(query, "replace", self._parse_pipe_assignment),
        "DROP": lambda self, query: self._parse_pipe_star(query, "except_", self._parse_column),
        "RENAME": lambda self, query: self._parse_pipe_star(query, "rename", self._parse_pipe_rename),
        "WINDOW": lambda self, query: self._parse_pipe_window(query),
        "WHERE": lambda self, query: self._parse_pipe_where(query),
    }

    def _parse_function(self, functions: Any = None, anonymous: bool = False, optional_parens: bool = True,
                        any_token: bool = False) -> Any:
        if self._match_pair(TokenType.ALL, TokenType.UNNEST, advance=False) and self._prev is not None and \
                self._prev.token_type in (TokenType.LIKE, TokenType.ILIKE):
            self._advance()
            return self.expression(exp.All(this=self._parse_bitwise()))
        return super()._parse_function(functions, anonymous, optional_parens, any_token)

    def _parse_cast(self, strict: bool, safe: bool | None = None) -> Any:
        start = self._index
        this = self._parse_assignment()
        to = self._parse_types(with_collation=True) if self._match(TokenType.ALIAS) else None
        if to is None or not self._match(TokenType.FORMAT):
            self._retreat(start)
            return super()._parse_cast(strict, safe)
        fmt = self._parse_bitwise()
        if self._match_text_seq("AT", "TIME", "ZONE"):
            fmt = exp.AtTimeZone(this=fmt, zone=self._parse_bitwise())
        return self.build_cast(strict=strict, this=this, to=to, format=fmt, safe=safe)

    def _parse_bracket(self, this: Any = None) -> Any:
        if not (isinstance(this, exp.Column) and this.table):
            return super()._parse_bracket(this)
        setattr(self, "ARRAY_CONSTRUCTORS", {})  # noqa: B010 - ``x.array[0]`` indexes the field ``array``
        try:
            return super()._parse_bracket(this)
        finally:
            delattr(self, "ARRAY_CONSTRUCTORS")  # the class's constructors again

    def _parse_json_object(self, agg: bool = False) -> Any:
        if agg:
            return super()._parse_json_object(True)
        json_object = sqlglot_parser.Parser._parse_json_object(self, False)  # not BigQuery's pairing
        pair = json_object.expressions[0] if json_object.expressions else None
        if not isinstance(pair, exp.JSONKeyValue) or not isinstance(pair.this, exp.Array) or \
                not isinstance(pair.expression, exp.Array):
            return json_object
        keys, values = pair.this.expressions, pair.expression.expressions
        if len(keys) == len(values) and not any(isinstance(key, exp.Null) for key in keys):
            json_object.set("expressions", [exp.JSONKeyValue(this=key, expression=value)
                                            for key, value in zip(keys, values, strict=True)])
        return json_object

    def _parse_pipe_star(self, query: Any, modifier: str, item: Any) -> Any:
        self._advance()  # the operator's keyword
        star = exp.Star(**{modifier: self._parse_csv(item)})
        return self._build_pipe_cte(query=query.select(star, append=False, copy=False), expressions=[exp.Star()])

    def _parse_pipe_assignment(self) -> Any:
        column = self._parse_column()
        value = self._match(TokenType.EQ) and self._parse_assignment()
        if column is None or not value:
            self.raise_error("Expected `column = expression` after |> SET")
            return None
        return exp.alias_(value, column.name)

    def _parse_pipe_rename(self) -> Any:
        column = self._parse_column()
        name = self._match(TokenType.ALIAS) and self._parse_id_var(any_token=True)
        if column is None or not name:
            self.raise_error("Expected `column AS name` after |> RENAME")
            return None
        return exp.alias_(column, name.name)

    def _parse_pipe_window(self, query: Any) -> Any:
        self._advance()  # WINDOW
        query.select(exp.Star(), *self._parse_expressions(), append=False, copy=False)
        return self._build_pipe_cte(query=query, expressions=[exp.Star()])

    def _parse_pipe_where(self, query: Any) -> Any:
        condition = self._parse_where()
        if condition is None or condition.find(exp.Window) is None:
            return query.where(condition, copy=False)
        return self._build_pipe_cte(query=query.qualify(condition.this, copy=False), expressions=[exp.Star()])


class DopBigQuery(_SqlglotBigQuery):
    """sqlglot's BigQuery dialect with DOP's grammar additions (sqlglot registers it as ``dopbigquery``)."""

    Parser = _Parser
