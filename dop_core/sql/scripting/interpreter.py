"""Run a parsed script statement by statement on an engine, with BigQuery's semantics.

DOP keeps the variables; every expression (a DEFAULT, a SET, an IF or WHILE condition) is evaluated by
the engine as ``SELECT <expression>`` with the variables bound as typed literals, and every SQL statement
is bound the same way, translated to the engine's dialect and run. What BigQuery documents holds:

- variables are scoped to their BEGIN block (a FOR loop's to its body); a procedure sees only its
  arguments; OUT and INOUT arguments are copied back to the caller's variables when it returns;
- a condition that is NULL is not true (IF, ELSEIF, WHILE, UNTIL, CASE);
- a statement that fails inside ``BEGIN ... EXCEPTION WHEN ERROR THEN`` skips the rest of the block and
  runs the handler, where ``@@error.message``, ``@@error.statement_text``, ``@@error.stack_trace`` and
  ``@@error.formatted_stack_trace`` describe it; the failed statement has no effect, the ones before it
  keep theirs; an error in a handler goes to the handler of an enclosing block, else ends the script;
- ``RETURN`` ends the script (in a procedure: the procedure); ``BREAK``/``LEAVE`` and
  ``CONTINUE``/``ITERATE`` act on the innermost loop or on the block or loop of their label;
- ``BEGIN TRANSACTION`` / ``COMMIT`` / ``ROLLBACK`` delimit a part of the script that takes effect or not
  (a transaction still open when the script ends is rolled back).

The whole run is one transaction of the engine (:func:`run_script`): if the script fails, no table it
wrote is changed. An error DOP cannot run locally (SQL that does not translate, a construct that is not
supported) is never caught by a handler: a different result is worse than an error.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from dop_core.errors import DopError, EngineError
from dop_core.sql.dialects import SqlError, parse_type
from dop_core.sql.scripting import nodes as n
from dop_core.sql.scripting.binding import Bindings, Value, bind
from dop_core.sql.scripting.system import ScriptFailure, system_variable
from dop_core.sql.scripting.values import literal, type_of

log = logging.getLogger(__name__)

#: BigQuery's limit on nested procedure calls
MAX_CALL_DEPTH = 50


class _Leave(Exception):
    def __init__(self, label: str | None):
        self.label = label


class _Continue(_Leave):
    pass


class _Return(Exception):
    pass


@attrs.frozen
class StoredProcedure:
    """A procedure's arguments, body (a script) and the dialect it is written in."""

    arguments: list[n.Parameter]
    body: str
    dialect: str


@attrs.define
class _Frame:
    """One running script: the invocation's, or a procedure's body."""

    script: n.Script
    name: str | None  # the procedure, None for the script being run
    scopes: list[dict[str, Value]]
    at: n.Place = attrs.field(factory=lambda: n.Place(1, 1))

    def find(self, name: str) -> dict[str, Value] | None:
        """The scope holding variable ``name``."""
        return next((scope for scope in reversed(self.scopes) if name in scope), None)

    def visible(self) -> dict[str, Value]:
        out: dict[str, Value] = {}
        for scope in self.scopes:
            out.update(scope)
        return out


class Interpreter:
    """Runs scripts on one engine; ``procedures`` finds a stored procedure by (schema, name)."""

    def __init__(self, engine: Any, procedures: Callable[[str, str], StoredProcedure | None],
                 store: Callable[[n.CreateProcedure, str], None]):
        self.engine = engine
        self.procedures = procedures
        self.store = store
        self.frames: list[_Frame] = []
        self.guarded = 0  # how many BEGIN sections with a handler are running: failed statements are undone
        self.errors: list[ScriptFailure] = []  # the errors being handled (innermost last)
        self.transaction: Any = None  # the savepoint of the script's BEGIN TRANSACTION
        self.row_count: int | None = None
        self.temp_tables: list[tuple[str, str]] = []  # DROP TABLE of each temporary table, in its dialect
        self.temp_names: set[str] = set()
        self.job = f"dop_script_{uuid.uuid4().hex[:12]}"
        self.created = dt.datetime.now(dt.UTC)
        self.children = 0
        self._parsed: dict[tuple[str, str, tuple[str, ...]], n.Script] = {}

    # -- running ----------------------------------------------------------------------------------
    def run(self, script: n.Script) -> None:
        """Run ``script`` to its end or its RETURN (its temporary tables are dropped at the end)."""
        try:
            self.frame(script, {}, None)
        except ScriptFailure as failure:
            raise EngineError(f"{failure.message} ({failure.where()})") from None
        if self.transaction is not None:  # BigQuery rolls back a transaction the script left open
            self.engine.rollback_to(self.transaction)
            self.transaction = None
        for drop, dialect in reversed(self.temp_tables):
            self.engine.execute(self.engine.translate(drop, dialect))

    def frame(self, script: n.Script, arguments: dict[str, Value], name: str | None) -> dict[str, Value]:
        if len(self.frames) >= MAX_CALL_DEPTH:
            raise self.failure(f"procedure calls are nested more than {MAX_CALL_DEPTH} deep")
        frame = _Frame(script, name, [dict(arguments)])
        self.frames.append(frame)
        try:
            self.statements(script.statements)
        except _Return:
            pass
        finally:
            self.frames.pop()
        return frame.scopes[0]

    @property
    def current(self) -> _Frame:
        return self.frames[-1]

    def statements(self, statements: Sequence[Any]) -> None:
        for statement in statements:
            self.current.at = statement.at
            try:
                _RUN[type(statement)](self, statement)
            except SqlError as exc:
                if exc.line is not None or isinstance(exc, _Located):
                    raise
                raise _Located(f"{exc.reason} ({self.where()})") from None

    def where(self) -> str:
        return ScriptFailure("", "", self.stack()).where()

    def stack(self) -> list[tuple[str | None, int, int]]:
        return [(f.name, f.at.line, f.at.column) for f in reversed(self.frames)]

    def failure(self, message: str) -> ScriptFailure:
        frame = self.current
        text = frame.script.text[frame.at.start:frame.at.end] if frame.at.end else ""
        return ScriptFailure(message, text.strip(), self.stack())

    # -- statements -------------------------------------------------------------------------------
    def declare(self, node: n.Declare) -> None:
        value = self.evaluate(node.default, node.type) if node.default is not None else None
        type_ = node.type if node.type is not None else type_of(value)
        for name in node.names:
            self.current.scopes[-1][name] = Value(value, type_)

    def assign(self, node: n.Assign) -> None:
        targets = [self.variable(name) for name in node.names]  # each one declared, before anything runs
        if len(node.names) == 1:
            self.assign_variable(node.names[0], self.evaluate(node.value, targets[0].type))
            return
        values = self.row_of(node.value)
        if len(values) != len(node.names):
            raise SqlError(f"SET ({', '.join(node.names)}) needs {len(node.names)} values; the expression gives "
                           f"{len(values)}")
        for name, value in zip(node.names, values, strict=True):
            self.assign_variable(name, value)

    def variable(self, name: str) -> Value:
        return self.scope_of(name)[name]

    def assign_variable(self, name: str, value: Any) -> None:
        scope = self.scope_of(name)
        scope[name] = Value(value, scope[name].type)

    def scope_of(self, name: str) -> dict[str, Value]:
        """The scope of the current frame holding variable ``name``."""
        if name.startswith("@@"):
            raise SqlError(f"SET {name}: DOP does not run scripts that change BigQuery's system variables locally "
                           "(set @@ variables only in scripts for BigQuery)")
        scope = self.current.find(name)
        if scope is None:
            raise SqlError(f"variable {name} is not declared")
        return scope

    def row_of(self, value: n.Expr) -> list[Any]:
        """The values of ``(a, b)``, of ``(SELECT AS STRUCT a, b ...)`` (no row: NULLs) or of a STRUCT."""
        from sqlglot import exp

        tree = value.tree
        if isinstance(tree, exp.Subquery) and isinstance(tree.this, exp.Select) and tree.this.args.get("kind"):
            query = tree.this.copy()
            query.set("kind", None)
            result = self.query(query)
            if len(result.rows) > 1:
                raise self.failure("the SELECT AS STRUCT of SET returned more than one row")
            return list(result.rows[0]) if result.rows else [None] * len(result.columns)
        if isinstance(tree, exp.Tuple):
            return list(self.query(exp.select(*tree.expressions)).rows[0])
        found = self.evaluate(value)
        if isinstance(found, dict):
            return list(found.values())
        raise SqlError(f"SET (...) = {value.text}: expected a tuple (a, b), a STRUCT or (SELECT AS STRUCT ...)")

    def branch(self, node: n.If) -> None:
        subject = self.evaluate(node.subject) if node.subject is not None else None
        for branch in node.branches:
            condition = branch.condition
            if node.subject is not None:
                from sqlglot import exp

                condition = n.Expr(branch.condition.text,
                                   exp.EQ(this=literal(subject), expression=branch.condition.tree.copy()),
                                   branch.condition.at)
            if self.true(condition):
                self.statements(branch.body)
                return
        if node.otherwise is not None:
            self.statements(node.otherwise)

    def loop(self, node: n.Loop) -> None:
        while node.condition is None or self.true(node.condition, node.at):
            if not self.iteration(node.body, node.label):
                return
            if node.until is not None and self.true(node.until, node.at):
                return

    def for_in(self, node: n.ForIn) -> None:
        from sqlglot import exp

        tree = node.query.tree
        result = self.query(tree.this if isinstance(tree, exp.Subquery) else tree)
        for row in result.rows:
            self.current.scopes.append({node.variable: Value(dict(zip(result.columns, row, strict=True)))})
            try:
                if not self.iteration(node.body, node.label):
                    return
            finally:
                self.current.scopes.pop()

    def iteration(self, body: Sequence[Any], label: str | None) -> bool:
        """Run a loop's body once; False when a BREAK (or LEAVE) of this loop ends it."""
        try:
            self.statements(body)
        except _Continue as jump:
            if jump.label not in (None, label):
                raise
        except _Leave as jump:
            if jump.label not in (None, label):
                raise
            return False
        return True

    def block(self, node: n.Block) -> None:
        failure = None
        self.current.scopes.append({})
        self.guarded += node.handler is not None
        try:
            self.statements(node.body)
        except ScriptFailure as caught:
            if node.handler is None:
                raise
            failure = caught
        except _Leave as jump:
            if isinstance(jump, _Continue) or jump.label is None or jump.label != node.label:
                raise
            return
        finally:
            self.current.scopes.pop()
            self.guarded -= node.handler is not None
        if failure is None or node.handler is None:
            return
        self.errors.append(failure)
        try:
            self.statements(node.handler)
        except _Leave as jump:
            if isinstance(jump, _Continue) or jump.label is None or jump.label != node.label:
                raise
        finally:
            self.errors.pop()

    def jump(self, node: n.Jump) -> None:
        raise _Leave(node.label) if node.leave else _Continue(node.label)

    def return_(self, node: n.Return) -> None:
        raise _Return()

    def raise_(self, node: n.Raise) -> None:
        if node.message is None:
            raise self.errors[-1]
        message = self.evaluate(node.message)
        raise self.failure("NULL" if message is None else str(message))

    def assert_(self, node: n.Assert) -> None:
        if self.evaluate(node.condition) is not True:  # BigQuery's message is the description
            raise self.failure(node.description or f"Assertion failed: {node.condition.text}")

    def sql(self, node: n.Sql) -> None:
        self.run_sql(node.tree, self.bindings())

    def run_sql(self, tree: Any, bindings: Bindings) -> Any:
        """Run one SQL statement; a query's result is returned (and logged), a DML's row count kept."""
        from sqlglot import exp

        self.children += 1
        if self.transaction is not None and isinstance(tree, exp.Create | exp.Drop | exp.Alter) and not (
                _temporary(tree) or (isinstance(tree, exp.Drop) and self.drops_temporary(tree))):
            raise self.failure("a transaction (BEGIN TRANSACTION) may create or drop temporary tables only, as on "
                               "BigQuery: move this statement out of the transaction")
        sql = self.engine_sql(tree, bindings)
        if isinstance(tree, exp.Insert | exp.Update | exp.Delete | exp.Merge):
            self.row_count = self.protected(self.engine.execute_dml, sql)
            return None
        self.row_count = None
        if isinstance(tree, exp.Query):
            result = self.protected(self.engine.query, sql)
            log.info("a SELECT at %s returned %d row(s)", self.where(), len(result.rows))
            return result
        self.protected(self.engine.execute, sql)
        if isinstance(tree, exp.Create) and tree.kind == "TABLE" and _temporary(tree):
            table = tree.this if isinstance(tree.this, exp.Table) else tree.this.this  # CREATE ... (columns)
            drop = exp.Drop(tables=[table.copy()], kind="TABLE", exists=True)
            self.temp_tables.append((drop.sql(dialect=self.current.script.dialect), self.current.script.dialect))
            self.temp_names.add(table.name.lower())
        return None

    def drops_temporary(self, drop: Any) -> bool:
        """Whether ``drop`` drops temporary tables of the script only."""
        tables = drop.args.get("tables") or [drop.this]
        return drop.kind == "TABLE" and all(t is not None and not t.db and t.name.lower() in self.temp_names
                                            for t in tables)

    def call(self, node: n.Call) -> None:
        schema, name = node.procedure
        stored = self.procedures(schema, name)
        if stored is None:
            raise self.failure(f"procedure {schema}.{name} does not exist (no such procedure: create it with a "
                               "materialization/stored_procedure task first)")
        if len(node.arguments) != len(stored.arguments):
            names = ", ".join(a.name for a in stored.arguments)
            raise self.failure(f"CALL {schema}.{name}: the procedure expects {len(stored.arguments)} argument(s) "
                               f"({names}), got {len(node.arguments)}")
        values: dict[str, Value] = {}
        outputs: dict[str, str] = {}  # OUT and INOUT arguments: the caller's variable each is copied back to
        for parameter, argument in zip(stored.arguments, node.arguments, strict=True):
            type_ = parse_type(parameter.type, stored.dialect)
            if parameter.mode == "IN":
                values[parameter.name] = Value(self.evaluate(argument, type_), type_)
                continue
            target = _variable_name(argument.tree)
            if target is None or self.current.find(target) is None:
                raise SqlError(f"argument {parameter.name} of {schema}.{name} is {parameter.mode}: pass a declared "
                               f"variable, not {argument.text}")
            if target in outputs.values():
                raise SqlError(f"variable {target} is passed to {schema}.{name} twice as an OUT or INOUT argument")
            outputs[parameter.name] = target
            initial = self.variable(target).value if parameter.mode == "INOUT" else None
            values[parameter.name] = Value(initial, type_)
        script = self.parse(stored, [a.name for a in stored.arguments])
        finished = self.frame(script, values, f"{schema}.{name}")
        for argument_name, target in outputs.items():
            self.assign_variable(target, finished[argument_name].value)

    def parse(self, stored: StoredProcedure, arguments: list[str]) -> n.Script:
        from dop_core.sql.scripting.parser import parse_script

        key = (stored.body, stored.dialect, tuple(arguments))
        if key not in self._parsed:
            self._parsed[key] = parse_script(stored.body, stored.dialect, arguments)
        return self._parsed[key]

    def execute_immediate(self, node: n.ExecuteImmediate) -> None:
        from sqlglot import exp

        from dop_core.sql.scripting.parser import parse_script

        text = self.evaluate(node.sql)
        if not isinstance(text, str):
            raise self.failure(f"EXECUTE IMMEDIATE needs a STRING of SQL; {node.sql.text} is {text!r}")
        try:
            statements = parse_script(text, self.current.script.dialect).statements
        except SqlError as exc:
            raise self.failure(f"EXECUTE IMMEDIATE: {exc}") from None
        if len(statements) != 1 or not isinstance(statements[0], n.Sql):
            raise self.failure("EXECUTE IMMEDIATE runs one SQL statement (a query, DML or DDL), not "
                               f"{'several statements' if len(statements) > 1 else 'a scripting statement'}")
        values = [(Value(self.evaluate(value)), alias) for value, alias in node.using]
        bindings = Bindings({}, self.system, self.table_columns, positional=[v for v, a in values if a is None],
                            named={a: v for v, a in values if a is not None})
        result = self.run_sql(statements[0].tree, bindings)
        if not node.into:
            return
        rows = result.rows if result is not None and isinstance(statements[0].tree, exp.Query) else []
        if len(rows) > 1:
            raise self.failure("EXECUTE IMMEDIATE ... INTO: the query returned more than one row")
        row = list(rows[0]) if rows else [None] * len(node.into)
        if len(row) < len(node.into):
            raise self.failure(f"EXECUTE IMMEDIATE ... INTO {', '.join(node.into)}: the query returns {len(row)} "
                               "column(s)")
        for name, value in zip(node.into, row, strict=False):
            self.assign_variable(name, value)

    def transaction_statement(self, node: n.Transaction) -> None:
        if node.verb == "BEGIN":
            if self.transaction is not None:
                raise self.failure("BEGIN TRANSACTION: a transaction is already in progress")
            self.transaction = self.engine.savepoint()
            return
        if self.transaction is None:
            raise self.failure(f"{node.verb} TRANSACTION: no transaction is in progress")
        if node.verb == "COMMIT":
            self.engine.release(self.transaction)
        else:
            self.engine.rollback_to(self.transaction)
        self.transaction = None

    def create_procedure(self, node: n.CreateProcedure) -> None:
        if node.if_not_exists and self.procedures(*node.procedure) is not None:
            return
        if not node.replace and not node.if_not_exists and self.procedures(*node.procedure) is not None:
            raise self.failure(f"procedure {'.'.join(node.procedure)} already exists (CREATE OR REPLACE PROCEDURE "
                               "replaces it)")
        self.store(node, self.current.script.dialect)

    # -- expressions ------------------------------------------------------------------------------
    def evaluate(self, expr: n.Expr, type_: Any = None) -> Any:
        """The value of ``expr``, computed by the engine (cast to ``type_`` when given)."""
        from sqlglot import exp

        tree = expr.tree.copy()
        if type_ is not None:
            tree = exp.Cast(this=tree, to=type_.copy())
        result = self.query(exp.select(tree))
        return result.rows[0][0] if result.rows else None

    def true(self, condition: n.Expr, at: n.Place | None = None) -> bool:
        """Whether ``condition`` is TRUE (NULL is not); ``at``: the loop it belongs to, evaluated after its body."""
        if at is not None:
            self.current.at = at
        value = self.evaluate(condition)
        if value is not None and not isinstance(value, bool):
            raise SqlError(f"the condition {condition.text} is not a BOOL (it is {value!r})")
        return value is True

    def query(self, tree: Any) -> Any:
        return self.protected(self.engine.query, self.engine_sql(tree, self.bindings()))

    def bindings(self) -> Bindings:
        return Bindings(self.current.visible(), self.system, self.table_columns)

    def engine_sql(self, tree: Any, bindings: Bindings) -> str:
        dialect = self.current.script.dialect
        columns: dict[str, set[str] | None] = {}

        def table_columns(table: Any) -> set[str] | None:  # asked once per table and statement
            key = table.sql(dialect=dialect)
            if key not in columns:
                columns[key] = bindings.table_columns(table)
            return columns[key]

        bound = bind(tree, attrs.evolve(bindings, table_columns=table_columns))
        try:
            return str(self.engine.translate(bound.sql(dialect=dialect), dialect))
        except SqlError as exc:  # its place is the statement's in the script, not the line of the SQL DOP generated
            raise SqlError(exc.reason) from None

    def protected(self, run: Callable[[str], Any], sql: str, always: bool = False) -> Any:
        """``run(sql)`` on the engine. Inside a BEGIN section with a handler (or ``always``), a failure undoes
        the statement and leaves the transaction usable; an engine error becomes a ScriptFailure."""
        mark = self.engine.savepoint() if self.guarded or always else None
        try:
            result = run(sql)
        except Exception as exc:
            if mark is not None:
                self.engine.rollback_to(mark)
            if isinstance(exc, DopError):
                raise
            raise self.failure(_message(exc)) from None
        if mark is not None:
            self.engine.release(mark)
        return result

    def table_columns(self, table: Any) -> set[str] | None:
        """The column names of a table the statement reads (None: no such table), asked of the engine with
        ``SELECT * FROM table LIMIT 0``, so that the name resolves as the statement's will (case, temporary
        tables, views)."""
        from sqlglot import exp

        probe = exp.select("*").from_(exp.Table(**{k: v.copy() for k, v in table.args.items()
                                                   if k in ("this", "db", "catalog") and v is not None}))
        dialect = self.current.script.dialect
        sql = self.engine.translate(probe.limit(0).sql(dialect=dialect), dialect)
        with contextlib.suppress(ScriptFailure):
            return {c.lower() for c in self.protected(self.engine.query, sql, always=True).columns}
        return None

    # -- system variables -------------------------------------------------------------------------
    def system(self, name: str) -> Value:
        return system_variable(name, self)


class _Located(SqlError):
    """A SqlError whose message already says where in the script it happened."""


def _temporary(create: Any) -> bool:
    from sqlglot import exp

    properties = create.args.get("properties")
    return isinstance(create, exp.Create) and properties is not None and any(
        isinstance(p, exp.TemporaryProperty) for p in properties.expressions)


def _variable_name(tree: Any) -> str | None:
    from sqlglot import exp

    if isinstance(tree, exp.Column) and not tree.table:
        return str(tree.name).lower()
    return None


def _message(exc: Exception) -> str:
    """An engine error as one readable line (DuckDB and psycopg add context lines after the first)."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


_RUN: dict[type, Callable[[Interpreter, Any], None]] = {
    n.Declare: Interpreter.declare,
    n.Assign: Interpreter.assign,
    n.If: Interpreter.branch,
    n.Loop: Interpreter.loop,
    n.ForIn: Interpreter.for_in,
    n.Block: Interpreter.block,
    n.Jump: Interpreter.jump,
    n.Return: Interpreter.return_,
    n.Raise: Interpreter.raise_,
    n.Assert: Interpreter.assert_,
    n.Sql: Interpreter.sql,
    n.Call: Interpreter.call,
    n.ExecuteImmediate: Interpreter.execute_immediate,
    n.Transaction: Interpreter.transaction_statement,
    n.CreateProcedure: Interpreter.create_procedure,
}
