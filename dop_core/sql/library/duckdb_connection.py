"""The library on a DuckDB connection, each function installed when the first statement that needs it runs.

Registering a Python function on a DuckDB connection imports numpy (DuckDB does, for its vectorised
functions): ~0.1 s that a task whose SQL calls no Python function of the library should not pay. So the
macros that call no Python function are installed with the connection (they cost a few milliseconds), and
the Python functions, with the macros that call them, only when something needs them:

- a statement run through the connection names them (``dop_bq_<name>`` in its text: the translation writes
  every library call so);
- a view or a macro of the warehouse calls them (created by an earlier session: its text is in the catalog,
  read when the connection opens), so that reading the view later needs nothing more.

DuckDB's catalog is transactional: a function installed inside a transaction that is rolled back is gone, so
after a ``ROLLBACK`` the connection asks the catalog again what is installed.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from dop_core.sql.library import DUCKDB_PREFIX, Definition, definitions, version

_CALLED = re.compile(rf"\b{DUCKDB_PREFIX}(\w+)", re.IGNORECASE)
_RENAMED = itertools.count(1)
_ROLLBACK = re.compile(r"\b(?:ROLLBACK|ABORT)\b", re.IGNORECASE)
#: the text of the warehouse's views and macros that call the library (written by earlier sessions)
_CALLERS_SQL = (
    f"SELECT sql FROM duckdb_views() WHERE NOT internal AND sql ILIKE '%{DUCKDB_PREFIX}%' "
    f"UNION ALL SELECT macro_definition FROM duckdb_functions() WHERE NOT internal "
    f"AND function_name NOT ILIKE '{DUCKDB_PREFIX}%' AND macro_definition ILIKE '%{DUCKDB_PREFIX}%'")


@dataclass(frozen=True)
class _Plan:
    """The library's DuckDB functions, split: installed with the connection, or when needed."""

    eager: tuple[Definition, ...]
    #: the Python functions and the macros calling one (directly or through another macro), by name
    lazy: dict[str, Definition]
    #: what each lazy function calls of the lazy ones: installed before it
    calls: dict[str, tuple[str, ...]]


@functools.cache
def _plan() -> _Plan:
    items = definitions("duckdb")
    called = {d.name: {n.lower() for n in _CALLED.findall(" ".join(d.sql))} - {d.name} for d in items}
    lazy = {d.name: d for d in items if d.python is not None}
    grown = True
    while grown:  # a macro calling a lazy function is lazy too
        grown = False
        for d in items:
            if d.name not in lazy and called[d.name] & lazy.keys():
                lazy[d.name] = d
                grown = True
    return _Plan(tuple(d for d in items if d.name not in lazy), lazy,
                 {name: tuple(sorted(called[name] & lazy.keys())) for name in lazy})


def _install(con: Any, item: Definition) -> None:
    import duckdb

    name = DUCKDB_PREFIX + item.name
    if item.python is None:
        con.execute(f"CREATE OR REPLACE TEMP MACRO {name}{', '.join(item.sql)}")
        return
    try:
        _register(con, name, item)
    except duckdb.NotImplementedException:
        # registered before in a transaction that was rolled back: the function went with it, but DuckDB keeps
        # its name (and will neither register nor remove it again), so the function gets a new name and
        # ``name`` becomes a macro calling it
        fresh = f"{name}__{next(_RENAMED)}"
        _register(con, fresh, item)
        args = ", ".join(f"a{i}" for i in range(len(item.params)))
        con.execute(f"CREATE OR REPLACE TEMP MACRO {name}({args}) AS {fresh}({args})")


def _register(con: Any, name: str, item: Definition) -> None:
    import duckdb
    from duckdb import PythonExceptionHandling
    from duckdb.func import FunctionNullHandling

    con.complete()  # DuckDB registers no function while the previous statement's result is unread
    con.create_function(name, item.python, [duckdb.type(p) for p in item.params], duckdb.type(item.returns),
                        null_handling=FunctionNullHandling.SPECIAL if item.nulls else FunctionNullHandling.DEFAULT,
                        exception_handling=PythonExceptionHandling.DEFAULT)


class LibraryConnection:
    """A DuckDB connection with DOP's library: statements run through :meth:`execute`, :meth:`executemany`,
    :meth:`sql` or :meth:`query` find the functions they name installed. Any other attribute is the
    connection's own."""

    def __init__(self, con: Any):
        self.raw = con
        #: the lazy functions installed on the connection; None: unknown (after a rollback), ask the catalog
        self._installed: set[str] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)

    def __enter__(self) -> LibraryConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.raw.close()

    def execute(self, query: Any, *args: Any, **kwargs: Any) -> Any:
        return self._run(self.raw.execute, query, *args, **kwargs)

    def executemany(self, query: Any, *args: Any, **kwargs: Any) -> Any:
        return self._run(self.raw.executemany, query, *args, **kwargs)

    def sql(self, query: Any, *args: Any, **kwargs: Any) -> Any:
        return self._run(self.raw.sql, query, *args, **kwargs)

    def query(self, query: Any, *args: Any, **kwargs: Any) -> Any:
        return self._run(self.raw.query, query, *args, **kwargs)

    def rollback(self) -> Any:
        try:
            return self.raw.rollback()
        finally:
            self._installed = None

    def _run(self, run: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(query, str):
            return run(query, *args, **kwargs)
        self.ensure(query)
        try:
            return run(query, *args, **kwargs)
        finally:
            if _ROLLBACK.search(query):
                self._installed = None

    def ensure(self, sql: str) -> None:
        """Install the library's functions that ``sql`` calls (and what they call), unless installed."""
        called = _CALLED.findall(sql)
        if not called:
            return
        plan = _plan()
        wanted = {n.lower() for n in called} & plan.lazy.keys()
        if not wanted:
            return
        installed = self._known()
        for name in _ordered(wanted, plan.calls):
            if name not in installed:
                _install(self.raw, plan.lazy[name])
                installed.add(name)

    def ensure_callers(self) -> None:
        """Install what the warehouse's views and macros call of the library."""
        self.ensure(" ".join(row[0] or "" for row in self.raw.execute(_CALLERS_SQL).fetchall()))

    def _known(self) -> set[str]:
        if self._installed is None:
            names = [DUCKDB_PREFIX + name for name in _plan().lazy]
            rows = self.raw.execute("SELECT DISTINCT function_name FROM duckdb_functions() WHERE function_name IN "
                                    f"({', '.join('?' * len(names))})", names).fetchall()
            self._installed = {row[0][len(DUCKDB_PREFIX):] for row in rows}
        return self._installed


def _ordered(names: Iterable[str], calls: dict[str, tuple[str, ...]]) -> list[str]:
    """``names`` and everything they call, each after what it calls."""
    out: list[str] = []

    def visit(name: str) -> None:
        if name not in out:
            for each in calls[name]:
                visit(each)
            out.append(name)

    for name in sorted(names):
        visit(name)
    return out


def install_duckdb(con: Any, time_zone: str = "UTC") -> LibraryConnection:
    """Install the library on a DuckDB connection and set its default time zone (BigQuery's is UTC); run
    statements through the connection returned, which installs the rest of the library as they need it.

    Macros are temporary (they live with the connection, never in the warehouse file); Python functions
    are registered on the connection. Installing twice is harmless."""
    library = con if isinstance(con, LibraryConnection) else LibraryConnection(con)
    raw = library.raw
    quoted = time_zone.replace("'", "''")
    raw.execute(f"SET TimeZone = '{quoted}'")
    found = _installed_version(raw)
    if found != version():
        raw.execute("BEGIN")
        try:
            for item in _plan().eager:
                _install(raw, item)
            raw.execute(f"CREATE OR REPLACE TEMP MACRO {DUCKDB_PREFIX}library_version() AS '{version()}'")
            raw.execute("COMMIT")
        except Exception:
            raw.execute("ROLLBACK")
            raise
        if found is None:  # nothing of the library was there: none of its lazy functions either
            library._installed = set()
    library.ensure_callers()
    return library


def _installed_version(con: Any) -> str | None:
    """The version of the library installed on ``con``, or None when there is none."""
    try:
        return str(con.execute(f"SELECT {DUCKDB_PREFIX}library_version()").fetchone()[0])
    except Exception:
        return None
