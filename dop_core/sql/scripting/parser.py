"""Parse a script: BigQuery's procedural language, with the SQL statements in it parsed by sqlglot.

sqlglot parses SQL statements but not the procedural layer around them (DECLARE, IF ... END IF, LOOP,
BEGIN ... EXCEPTION ...). This parser walks sqlglot's tokens (so strings, quoted names and comments are
read exactly as sqlglot reads them), builds :mod:`~dop_core.sql.scripting.nodes` for the procedural
statements, and hands each SQL statement and expression, as written, to sqlglot. It also checks what
BigQuery checks before running a script: DECLAREs first in their block, no variable declared twice, SET
of a declared variable, BREAK/CONTINUE inside a loop, labels that exist and match, RAISE without a
message only in an exception handler. Every error is a ``SqlError`` with the line and column in the
script's text.

A script in another dialect (a DuckDB or PostgreSQL project) has no procedural language: it is parsed
as SQL statements and ``CALL``s only (``procedural=False``).
"""

from __future__ import annotations

import bisect
import contextlib
import logging
import re
from collections.abc import Iterator, Sequence
from typing import Any

import attrs

from dop_core.sql.dialects import SqlError, parse_type
from dop_core.sql.scripting import nodes as n

#: the words that end a list of statements (a block's, a branch's, a loop's)
_ENDS = {"END", "ELSE", "ELSEIF", "EXCEPTION", "UNTIL", "WHEN"}
#: the procedural statements' first words
_LOOPS = {"LOOP", "WHILE", "REPEAT", "FOR"}
#: sqlglot's token types of a `quoted name` and of string literals
_QUOTED = {"IDENTIFIER"}
_STRINGS = {"STRING", "RAW_STRING", "NATIONAL_STRING", "BYTE_STRING", "HEX_STRING", "BIT_STRING",
            "UNICODE_STRING", "HEREDOC_STRING"}
_WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9]*( [A-Za-z_][A-Za-z_0-9]*)*\Z")  # sqlglot reads BEGIN TRANSACTION as one


def parse_script(text: str, dialect: str = "bigquery", arguments: Sequence[str] = ()) -> n.Script:
    """The statements of ``text``; ``arguments`` are the variables a procedure's body starts with.

    The procedural language is BigQuery's: in another ``dialect`` the script is SQL statements and CALLs.
    """
    parser = _Parser(text, dialect, procedural=dialect == "bigquery")
    context = _Context(scopes=[{a.lower() for a in arguments}])
    statements = parser.statements(context, set(), declarations=True)
    return n.Script(statements, text, dialect)


@attrs.define
class _Context:
    """What the statement being parsed is inside of, for BigQuery's static checks."""

    scopes: list[set[str]]
    labels: list[tuple[str, bool]] = attrs.field(factory=list)  # (label, is a loop), outermost first
    loops: int = 0
    handler: bool = False

    def declared(self, name: str) -> bool:
        return any(name in scope for scope in self.scopes)

    @contextlib.contextmanager
    def inside(self, label: str | None, loop: bool, scope: set[str] | None = None,
               handler: bool | None = None) -> Iterator[None]:
        """While parsing a block or loop: its label, its variables, whether it is a handler."""
        if label is not None:
            self.labels.append((label, loop))
        self.loops += loop
        if scope is not None:
            self.scopes.append(scope)
        outer_handler = self.handler
        if handler is not None:
            self.handler = handler
        try:
            yield
        finally:
            self.handler = outer_handler
            if scope is not None:
                self.scopes.pop()
            self.loops -= loop
            if label is not None:
                self.labels.pop()


class _Parser:
    def __init__(self, text: str, dialect: str, procedural: bool):
        from sqlglot.errors import TokenError

        self.text = text
        self.dialect = dialect
        self.procedural = procedural
        self._lines = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
        try:
            self.tokens = _tokenizer(dialect).tokenize(text)
        except TokenError:
            offset = _unclosed(text)
            raise SqlError("a quoted string, quoted name or comment starts here and is never closed",
                           *self.position(offset)) from None
        self.i = 0
        self.open: list[tuple[n.Place, str]] = []  # the compound statements being parsed, innermost last

    @contextlib.contextmanager
    def opened(self, at: n.Place, what: str, end: str) -> Iterator[None]:
        self.open.append((at, f"this {what} has no {end}: the script ends before it"))
        try:
            yield
        finally:
            self.open.pop()

    # -- tokens -------------------------------------------------------------------------------------
    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._lines, offset)
        return line, offset - self._lines[line - 1] + 1

    def place(self, index: int | None = None) -> n.Place:
        index = self.i if index is None else index
        if index >= len(self.tokens):
            end = len(self.text.rstrip())
            return n.Place(*self.position(end), end, end)
        start = self.tokens[index].start
        return n.Place(*self.position(start), start, start)

    def error(self, message: str, index: int | None = None) -> SqlError:
        at = self.place(index)
        return SqlError(message, at.line, at.column)

    def word(self, ahead: int = 0) -> str:
        """The upper-cased word at the cursor (+ahead), or "" for a string, quoted name, symbol or the end."""
        index = self.i + ahead
        if index >= len(self.tokens):
            return ""
        token = self.tokens[index]
        kind = token.token_type.name
        text = " ".join(str(token.text).split())
        if kind in _QUOTED or kind in _STRINGS or not _WORD.match(text):
            return ""
        return text.upper()

    def kind(self, ahead: int = 0) -> str:
        index = self.i + ahead
        return self.tokens[index].token_type.name if index < len(self.tokens) else "EOF"

    def at_end(self) -> bool:
        return self.i >= len(self.tokens)

    def expect(self, *words: str) -> None:
        for word in words:
            if self.word() != word:
                found = self.shown()
                raise self.error(f"expected {word}, found {found}")
            self.i += 1

    def accept(self, word: str) -> bool:
        if self.word() == word:
            self.i += 1
            return True
        return False

    def shown(self, index: int | None = None) -> str:
        index = self.i if index is None else index
        if index >= len(self.tokens):
            return "the end of the script"
        token = self.tokens[index]
        return repr(self.text[token.start:token.end + 1])

    def name(self, what: str) -> str:
        """An identifier (plain or `quoted`), lower-cased: variable and label names are case-insensitive."""
        kind = self.kind()
        if self.at_end() or not (kind in _QUOTED or (self.word() and kind not in _STRINGS)):
            raise self.error(f"expected {what}, found {self.shown()}")
        token = self.tokens[self.i]
        self.i += 1
        return str(token.text).lower()

    def span(self, start: int, end: int) -> str:
        if end <= start:
            return ""
        return self.text[self.tokens[start].start:self.tokens[end - 1].end + 1]

    def scan(self, stops: set[str], what: str, kinds: frozenset[str] = frozenset()) -> tuple[int, int]:
        """The tokens of an expression: up to a word of ``stops`` (or a token of ``kinds``) outside
        parentheses and CASE ... END, or a semicolon. Returns ``(start, end)`` token indexes."""
        start = self.i
        depth = cases = 0
        while not self.at_end():
            kind, word = self.kind(), self.word()
            if kind == "SEMICOLON":
                break
            if depth == 0 and cases == 0 and (word in stops or word in _ENDS or kind in kinds):
                break  # END, ELSE, WHEN... outside a CASE expression end the expression (a missing ;)
            if kind in ("L_PAREN", "L_BRACKET"):
                depth += 1
            elif kind in ("R_PAREN", "R_BRACKET"):
                depth -= 1
            elif word == "CASE":
                cases += 1
            elif word == "END" and cases:
                cases -= 1
            self.i += 1
        if self.i == start:
            raise self.error(f"expected {what}, found {self.shown()}")
        return start, self.i

    # -- statement lists ----------------------------------------------------------------------------
    def statements(self, ctx: _Context, ends: set[str], declarations: bool) -> list[Any]:
        out: list[Any] = []
        while True:
            while self.kind() == "SEMICOLON":
                self.i += 1
            if self.at_end():
                if ends and self.open:
                    at, message = self.open[-1]
                    raise SqlError(message, at.line, at.column)
                if ends:
                    raise self.error(f"expected {' or '.join(sorted(ends))}")
                return out
            if self.procedural and self.word() in ends:
                return out
            if self.procedural and self.word() in _ENDS:
                raise self.error(f"{self.word()} has no statement it belongs to here")
            if self.word() == "DECLARE" and self.procedural:
                if not declarations:
                    raise self.error("DECLARE must come before the other statements, at the start of the script "
                                     "or of a BEGIN block (BigQuery refuses it here)")
                out.append(self.declare(ctx))
            else:
                declarations = False
                out.append(self.statement(ctx))
            out[-1] = attrs.evolve(out[-1], at=attrs.evolve(out[-1].at, end=self.tokens[self.i - 1].end + 1))
            if self.kind() == "SEMICOLON":
                self.i += 1
            elif not self.at_end():
                raise self.error(f"expected ; after the statement, found {self.shown()}")

    def statement(self, ctx: _Context) -> Any:
        if not self.procedural:
            return self.call() if self.word() == "CALL" else self.sql()
        at = self.place()
        label = None
        if self.kind(1) == "COLON" and self.word(2) in {"BEGIN", *_LOOPS} and (self.word() or self.kind() in _QUOTED):
            label = self.name("a label")
            self.i += 1
            if any(label == outer for outer, _ in ctx.labels):
                raise self.error(f"label {label} is already used by a block or loop this one is inside of", self.i - 2)
        word = self.word()
        if word == "BEGIN" and not self.transaction_begins():
            return self.block(ctx, label, at)
        if word in _LOOPS:
            return self.loop(ctx, label, word, at)
        if label is not None:
            raise self.error(f"a label belongs before BEGIN, LOOP, WHILE, FOR or REPEAT, not {word or self.shown()}")
        handler = _STATEMENTS.get(word)
        if handler is not None:
            return handler(self, ctx)
        if word == "CREATE" and self.creates_procedure():
            return self.create_procedure()
        return self.sql()

    def transaction_begins(self) -> bool:
        """``BEGIN;`` and ``BEGIN TRANSACTION`` begin a transaction; any other BEGIN a block."""
        return self.kind(1) in ("SEMICOLON", "EOF") or self.word(1) == "TRANSACTION"

    # -- procedural statements ----------------------------------------------------------------------
    def declare(self, ctx: _Context) -> n.Declare:
        at, first = self.place(), self.i
        self.expect("DECLARE")
        names = [self.variable_name(ctx)]
        while self.kind() == "COMMA":
            self.i += 1
            names.append(self.variable_name(ctx))
        type_ = None
        if self.word() != "DEFAULT" and self.kind() != "SEMICOLON" and not self.at_end():
            start, end = self.scan({"DEFAULT"}, "a type")
            type_ = self.type_at(start, end)
        default = None
        if self.accept("DEFAULT"):
            default = self.expr(set(), "the DEFAULT value")
        if type_ is None and default is None:
            raise self.error(f"DECLARE {', '.join(names)} needs a type or a DEFAULT value", first)
        ctx.scopes[-1].update(names)
        return n.Declare(names, type_, default, at)

    def variable_name(self, ctx: _Context) -> str:
        index = self.i
        name = self.name("a variable name")
        if ctx.declared(name):
            raise self.error(f"variable {name} is already declared in this block or a block it is inside of", index)
        return name

    def type_at(self, start: int, end: int) -> Any:
        text = self.span(start, end)
        try:
            return parse_type(text, self.dialect)
        except SqlError as exc:
            raise self.error(exc.reason, start) from None

    def assign(self, ctx: _Context) -> n.Assign:
        at = self.place()
        self.expect("SET")
        if self.kind() == "L_PAREN":
            self.i += 1
            names = [self.target(ctx)]
            while self.kind() == "COMMA":
                self.i += 1
                names.append(self.target(ctx))
            if self.kind() != "R_PAREN":
                raise self.error(f"expected ) after the variables of SET, found {self.shown()}")
            self.i += 1
        else:
            names = [self.target(ctx)]
        if self.kind() != "EQ":
            raise self.error(f"expected = after SET {', '.join(names)}, found {self.shown()}")
        self.i += 1
        return n.Assign(names, self.expr(set(), "a value"), at)

    def target(self, ctx: _Context) -> str:
        """A variable to assign: a declared one, or a system variable (``@@name``)."""
        index = self.i
        if self.kind() == "PARAMETER" and self.kind(1) == "PARAMETER":
            self.i += 2
            parts = [self.name("a system variable")]
            while self.kind() == "DOT":
                self.i += 1
                parts.append(self.name("a system variable"))
            return "@@" + ".".join(parts)
        name = self.name("a variable name")
        if not ctx.declared(name):
            raise self.error(f"variable {name} is not declared (DECLARE {name} <type> at the start of the script "
                             "or of its BEGIN block)", index)
        return name

    def branches(self, ctx: _Context, first: str) -> n.If:
        """``IF`` (first="IF") or ``CASE`` (first="CASE")."""
        at = self.place()
        self.expect(first)
        subject = None
        if first == "CASE" and self.word() != "WHEN":
            subject = self.expr({"WHEN"}, "the CASE value")
        ends = {"ELSEIF", "ELSE", "END"} if first == "IF" else {"WHEN", "ELSE", "END"}
        with self.opened(at, first, f"END {first}"):
            branches, otherwise = self.branch_list(ctx, first, ends)
        self.expect("END", first)
        return n.If(branches, otherwise, at, subject)

    def branch_list(self, ctx: _Context, first: str, ends: set[str]) -> tuple[list[n.Branch], list[Any] | None]:
        branches: list[n.Branch] = []
        otherwise = None
        while True:
            if first == "CASE":
                self.expect("WHEN")
            condition = self.expr({"THEN"}, "a condition")
            self.expect("THEN")
            branches.append(n.Branch(condition, self.statements(ctx, ends, declarations=False)))
            if first == "IF" and self.accept("ELSEIF"):
                continue
            if first == "CASE" and self.word() == "WHEN":
                continue
            break
        if self.accept("ELSE"):
            otherwise = self.statements(ctx, {"END"}, declarations=False)
        return branches, otherwise

    def loop(self, ctx: _Context, label: str | None, word: str, at: n.Place) -> Any:
        self.i += 1
        condition = until = None
        variable = query = None
        if word == "WHILE":
            condition = self.expr({"DO"}, "a condition")
            self.expect("DO")
        elif word == "FOR":
            variable = self.variable_name(ctx)
            self.expect("IN")
            query = self.expr({"DO"}, "a query in parentheses")
            self.expect("DO")
        closing = "UNTIL ... END REPEAT" if word == "REPEAT" else f"END {word}"
        with ctx.inside(label, loop=True, scope={variable} if variable else None), self.opened(at, word, closing):
            body = self.statements(ctx, {"UNTIL"} if word == "REPEAT" else {"END"}, declarations=False)
            if word == "REPEAT":
                self.expect("UNTIL")
                until = self.expr({"END"}, "a condition")
            self.expect("END", word)
        self.end_label(label)
        if word == "FOR":
            assert variable is not None and query is not None
            return n.ForIn(label, variable, query, body, at)
        return n.Loop(label, body, at, condition, until)

    def block(self, ctx: _Context, label: str | None, at: n.Place) -> n.Block:
        self.expect("BEGIN")
        handler = None
        with ctx.inside(label, loop=False), self.opened(at, "BEGIN", "END"):
            with ctx.inside(None, loop=False, scope=set()):
                body = self.statements(ctx, {"EXCEPTION", "END"}, declarations=True)
            if self.accept("EXCEPTION"):
                self.expect("WHEN", "ERROR", "THEN")
                with ctx.inside(None, loop=False, handler=True):
                    handler = self.statements(ctx, {"END"}, declarations=False)
            self.expect("END")
        self.end_label(label)
        return n.Block(label, body, handler, at)

    def end_label(self, label: str | None) -> None:
        """The optional label after END (it must repeat the label at the start)."""
        if not (self.kind() in _QUOTED or (self.word() and self.word() not in _ENDS)):
            return
        index = self.i
        found = self.name("a label")
        if label is None:
            raise self.error(f"END {found}: the block or loop has no label {found} at its start", index)
        if found != label:
            raise self.error(f"END {found} does not match the label {label} at the block's or loop's start", index)

    def jump(self, ctx: _Context) -> n.Jump:
        at, first = self.place(), self.i
        word = self.word()
        self.i += 1
        leave = word in ("BREAK", "LEAVE")
        label = None
        if self.kind() not in ("SEMICOLON", "EOF") and self.word() not in _ENDS:
            index = self.i
            label = self.name("a label")
            found = [is_loop for name, is_loop in ctx.labels if name == label]
            if not found:
                raise self.error(f"{word} {label}: no block or loop labelled {label} contains this statement", index)
            if not leave and not found[-1]:
                raise self.error(f"{word} {label}: {label} labels a block, and {word} only continues a loop", index)
        elif ctx.loops == 0:
            raise self.error(f"{word} is only allowed inside a loop (LOOP, WHILE, REPEAT, FOR)", first)
        return n.Jump(leave, label, at)

    def return_(self, ctx: _Context) -> n.Return:
        at = self.place()
        self.expect("RETURN")
        return n.Return(at)

    def raise_(self, ctx: _Context) -> n.Raise:
        at = self.place()
        self.expect("RAISE")
        if self.accept("USING"):
            self.expect("MESSAGE")
            if self.kind() != "EQ":
                raise self.error(f"expected = after RAISE USING MESSAGE, found {self.shown()}")
            self.i += 1
            return n.Raise(self.expr(set(), "a message"), at)
        if not ctx.handler:
            raise self.error("RAISE without USING MESSAGE re-raises the error being handled: it is only allowed in an "
                             "EXCEPTION WHEN ERROR THEN handler", self.i - 1)
        return n.Raise(None, at)

    def assert_(self, ctx: _Context) -> n.Assert:
        at = self.place()
        self.expect("ASSERT")
        condition = self.expr({"AS"}, "a condition")
        description = None
        if self.accept("AS"):
            if self.kind() not in _STRINGS:
                raise self.error(f"expected the description of ASSERT (a string), found {self.shown()}")
            description = str(self.tokens[self.i].text)
            self.i += 1
        return n.Assert(condition, description, at)

    def transaction(self, ctx: _Context) -> n.Transaction:
        at = self.place()
        verb = self.word().split()[0]
        self.i += 1
        self.accept("TRANSACTION")
        return n.Transaction(verb, at)

    def execute_immediate(self, ctx: _Context) -> n.ExecuteImmediate:
        at, first = self.place(), self.i
        self.expect("EXECUTE", "IMMEDIATE")
        sql = self.expr({"INTO", "USING"}, "the SQL to run (a string)")
        into: list[str] = []
        using: list[tuple[n.Expr, str | None]] = []
        if self.accept("INTO"):
            into.append(self.target(ctx))
            while self.kind() == "COMMA":
                self.i += 1
                into.append(self.target(ctx))
        if self.accept("USING"):
            while True:
                value = self.expr({"AS"}, "a value", kinds=frozenset({"COMMA"}))
                alias = self.name("a parameter name") if self.accept("AS") else None
                using.append((value, alias))
                if self.kind() != "COMMA":
                    break
                self.i += 1
        return n.ExecuteImmediate(sql, into, using, self.span(first, self.i), at)

    def call(self, ctx: _Context | None = None) -> n.Call:
        at, first = self.place(), self.i
        self.expect("CALL")
        start, end = self.scan(set(), "a procedure name", kinds=frozenset({"L_PAREN"}))
        procedure = self.procedure_name(start, end)
        if self.kind() != "L_PAREN":
            raise self.error(f"expected ( after CALL {self.span(start, end)} (write CALL schema.procedure(arguments))")
        close = self.closing(self.i)
        arguments = []
        if close > self.i + 1:
            tree = self.parse_sql(f"SELECT {self.span(self.i + 1, close)}", self.i + 1, len("SELECT "))
            for expression in tree.expressions:
                arguments.append(n.Expr(expression.sql(dialect=self.dialect), expression, self.place(self.i + 1)))
        self.i = close + 1
        return n.Call(procedure, arguments, self.span(first, self.i), at)

    def closing(self, index: int) -> int:
        depth = 0
        for j in range(index, len(self.tokens)):
            kind = self.tokens[j].token_type.name
            depth += kind == "L_PAREN"
            depth -= kind == "R_PAREN"
            if depth == 0:
                return j
        raise self.error("this ( is never closed", index)

    def procedure_name(self, start: int, end: int) -> tuple[str, str]:
        from sqlglot import exp

        text = self.span(start, end)
        try:
            table = exp.to_table(text, dialect=self.dialect)
        except Exception:
            table = None
        if table is None or not table.name or not table.db:
            raise self.error(f"{text!r} is not a procedure name: write schema.procedure (a dataset and a name)", start)
        return table.db, table.name

    def creates_procedure(self) -> bool:
        words = [self.word(k) for k in range(1, 5)]
        while words and words[0] in ("OR", "REPLACE", "TEMP", "TEMPORARY"):
            words.pop(0)
        return bool(words) and words[0] == "PROCEDURE"

    def create_procedure(self) -> n.CreateProcedure:
        at = self.place()
        self.expect("CREATE")
        replace = self.accept("OR")
        if replace:
            self.expect("REPLACE")
        if self.word() in ("TEMP", "TEMPORARY"):
            raise self.error("temporary procedures are not supported: create the procedure in a dataset")
        self.expect("PROCEDURE")
        if_not_exists = self.accept("IF")
        if if_not_exists:
            self.expect("NOT", "EXISTS")
        start, end = self.scan(set(), "a procedure name", kinds=frozenset({"L_PAREN"}))
        procedure = self.procedure_name(start, end)
        close = self.closing(self.i)
        parameters = self.parameters(self.i + 1, close)
        self.i = close + 1
        if self.accept("OPTIONS"):
            self.i = self.closing(self.i) + 1
        if self.word() != "BEGIN":
            raise self.error(f"expected BEGIN (the procedure's body), found {self.shown()}")
        first = self.i
        body_context = _Context(scopes=[{p.name for p in parameters}])
        self.block(body_context, None, self.place())
        return n.CreateProcedure(procedure, parameters, self.span(first, self.i), replace, if_not_exists, at)

    def parameters(self, start: int, end: int) -> list[n.Parameter]:
        out: list[n.Parameter] = []
        self.i = start
        while self.i < end:
            mode = "IN"
            if self.word() in ("IN", "OUT", "INOUT") and self.i + 1 < end and self.kind(1) != "COMMA":
                mode = self.word()
                self.i += 1
            name = self.name("an argument name")
            first = self.i
            depth = 0
            while self.i < end and not (depth == 0 and self.kind() == "COMMA"):
                depth += self.kind() in ("L_PAREN", "LT")
                depth -= self.kind() in ("R_PAREN", "GT")
                self.i += 1
            if self.i == first:
                raise self.error(f"argument {name} has no type")
            self.type_at(first, self.i)
            out.append(n.Parameter(name, self.span(first, self.i), mode))
            if self.i < end:
                self.i += 1
        return out

    # -- SQL and expressions --------------------------------------------------------------------------
    def sql(self) -> n.Sql:
        at = self.place()
        start = self.i
        while not self.at_end() and self.kind() != "SEMICOLON":
            self.i += 1
        text = self.span(start, self.i)
        return n.Sql(text, self.parse_sql(text, start), at)

    def expr(self, stops: set[str], what: str, kinds: frozenset[str] = frozenset()) -> n.Expr:
        start, end = self.scan(stops, what, kinds)
        text = self.span(start, end)
        tree = self.parse_sql(f"SELECT {text}", start, len("SELECT "))
        from sqlglot import exp

        if not isinstance(tree, exp.Select) or len(tree.expressions) != 1 or tree.args.get("from_"):
            raise self.error(f"expected {what} (one expression), found {text!r}", start)
        return n.Expr(text, tree.expressions[0], self.place(start))

    def parse_sql(self, text: str, first: int, prefix: int = 0) -> Any:
        """``text`` (the tokens from index ``first``, after ``prefix`` characters DOP added) parsed by sqlglot:
        exactly one statement, or a SqlError located in the script."""
        import sqlglot
        from sqlglot.errors import ParseError, TokenError

        from dop_core.sql.parsing import install

        install()  # DOP's reading of BigQuery (CAST ... FORMAT as written)
        try:
            with _quiet_sqlglot():
                trees = [t for t in sqlglot.parse(text, read=self.dialect) if t is not None]
        except ParseError as exc:
            detail = exc.errors[0] if exc.errors else {}
            offset = _error_offset(text, detail) - prefix
            base = self.tokens[first].start
            line, column = self.position(base + max(offset, 0))
            highlight = detail.get("highlight")
            near = f" (at {highlight!r})" if highlight else ""
            raise SqlError(f"the SQL does not parse as {self.dialect}: "
                           f"{_readable(str(detail.get('description') or exc))}{near}", line, column) from None
        except TokenError:
            raise self.error(f"the SQL cannot be read as {self.dialect}", first) from None
        if len(trees) != 1:
            raise self.error("expected one statement", first)
        return trees[0]


_STATEMENTS: dict[str, Any] = {
    "SET": _Parser.assign,
    "IF": lambda p, ctx: p.branches(ctx, "IF"),
    "CASE": lambda p, ctx: p.branches(ctx, "CASE"),
    "BREAK": _Parser.jump,
    "LEAVE": _Parser.jump,
    "CONTINUE": _Parser.jump,
    "ITERATE": _Parser.jump,
    "RETURN": _Parser.return_,
    "RAISE": _Parser.raise_,
    "ASSERT": _Parser.assert_,
    "CALL": _Parser.call,
    "EXECUTE": _Parser.execute_immediate,
    "BEGIN": _Parser.transaction,
    "BEGIN TRANSACTION": _Parser.transaction,
    "COMMIT": _Parser.transaction,
    "ROLLBACK": _Parser.transaction,
}


def _tokenizer(dialect: str) -> Any:
    """The dialect's sqlglot tokenizer, except that no keyword swallows the rest of its statement as text
    (sqlglot reads e.g. ``WHILE``, ``LOOP`` and ``CALL`` as commands; here they start statements to parse)."""
    from sqlglot.dialects.dialect import Dialect

    base = Dialect.get_or_raise(dialect).tokenizer_class
    return type("ScriptTokenizer", (base,), {"COMMANDS": set()})(dialect=dialect)


@contextlib.contextmanager
def _quiet_sqlglot() -> Iterator[None]:
    """sqlglot logs a warning when it falls back to parsing a statement as a command: not the user's concern."""
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _error_offset(text: str, detail: dict[str, Any]) -> int:
    """The offset in ``text`` where sqlglot's error starts (its column is the offending token's last one)."""
    lines = text.split("\n")
    line = min(max(int(detail.get("line") or 1), 1), len(lines))
    end = sum(len(x) + 1 for x in lines[:line - 1]) + max(int(detail.get("col") or 1), 1) - 1
    highlight = str(detail.get("highlight") or "")
    if highlight and "\n" not in highlight:
        return max(end - len(highlight) + 1, 0)
    return end


_CLASS = re.compile(r"<class '(?:[\w.]+\.)?(\w+)'>")


def _readable(message: str) -> str:
    """sqlglot's message without terminal escape codes or Python class reprs."""
    message = re.sub(r"\x1b\[[0-9;]*m", "", message)
    return _CLASS.sub(lambda m: m.group(1).upper(), message)


def _unclosed(text: str) -> int:
    """The offset of the quote (or comment) that is never closed; the end of the text if none is found."""
    i, size = 0, len(text)
    while i < size:
        if text.startswith(("--", "#"), i):
            end = text.find("\n", i)
            i = size if end < 0 else end + 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                return i
            i = end + 2
        elif text[i] in "'\"`":
            quote = text[i] * 3 if text.startswith(text[i] * 3, i) else text[i]
            j = i + len(quote)
            while j < size and not text.startswith(quote, j):
                j += 2 if text[j] == "\\" else 1
            if j >= size:
                return i
            i = j + len(quote)
        else:
            i += 1
    return max(size - 1, 0)
