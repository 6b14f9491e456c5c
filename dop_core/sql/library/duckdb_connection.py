"""The library on a DuckDB connection, each function installed when the first statement that needs it runs.

Registering a Python function on a DuckDB connection imports numpy (DuckDB does, for its vectorised
functions): ~0.1 s that a task whose SQL calls no Python function of the library should not pay; and creating
the library's hundred-odd macros costs more than most connections use. So a function (with what it calls) is
installed only when something needs it:

- a statement run through the connection names it (``dop_bq_<name>`` in its text: the translation writes
  every library call so);
- a view or a macro of the warehouse calls it (created by an earlier session: its text is in the catalog,
  read when the connection opens), so that reading the view later needs nothing more.

DuckDB's catalog is transactional: a function installed inside a transaction that is rolled back is gone, so
after a ``ROLLBACK`` the connection asks the catalog again what is installed.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable
from typing import Any

from dop_core.sql.library import DUCKDB_PREFIX, Definition, definitions

_CALLED = re.compile(rf"\b{DUCKDB_PREFIX}(\w+)", re.IGNORECASE)
_ROLLBACK = re.compile(r"\b(?:ROLLBACK|ABORT)\b", re.IGNORECASE)
_RENAMED = itertools.count(1)
#: the library's functions on the connection (a name), and the text of the warehouse's views and macros that
#: call one (written by earlier sessions)
_CATALOG_SQL = (
    f"SELECT function_name, macro_definition FROM duckdb_functions() WHERE NOT internal "
    f"AND (function_name ILIKE '{DUCKDB_PREFIX}%' OR macro_definition ILIKE '%{DUCKDB_PREFIX}%') "
    f"UNION ALL SELECT NULL, sql FROM duckdb_views() WHERE NOT internal AND sql ILIKE '%{DUCKDB_PREFIX}%'")


@functools.cache
def _library() -> tuple[dict[str, Definition], dict[str, tuple[str, ...]]]:
    """The library's DuckDB functions by name, and what each calls of the library (installed before it)."""
    items = {d.name: d for d in definitions("duckdb")}
    calls = {name: tuple(sorted({n.lower() for n in _CALLED.findall(" ".join(d.sql))} & items.keys() - {name}))
             for name, d in items.items()}
    return items, calls


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
    :meth:`sql` or :meth:`query` find the functions they call installed. Any other attribute is the
    connection's own."""

    def __init__(self, con: Any):
        self.raw = con
        #: the library's functions installed on the connection; None: unknown (after a rollback), ask the catalog
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
        items, calls = _library()
        wanted = {name.lower() for name in called} & items.keys()
        if not wanted:
            return
        if self._installed is None:
            self._installed = self._catalog()[0]
        for name in _ordered(wanted, calls):
            if name not in self._installed:
                _install(self.raw, items[name])
                self._installed.add(name)

    def _catalog(self) -> tuple[set[str], str]:
        """The library's functions installed on the connection, and the text of the views and macros calling one."""
        installed: set[str] = set()
        callers: list[str] = []
        for name, text in self.raw.execute(_CATALOG_SQL).fetchall():
            if name is not None and name.lower().startswith(DUCKDB_PREFIX):
                installed.add(name[len(DUCKDB_PREFIX):].lower())
            else:
                callers.append(text or "")
        return installed, " ".join(callers)


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
    """The DuckDB connection ``con`` with DOP's library, its default time zone set (BigQuery's is UTC): run
    statements through the connection returned, which installs the functions they call as they need them,
    and those the warehouse's views and macros call at once.

    Macros are temporary (they live with the connection, never in the warehouse file); Python functions
    are registered on the connection. Installing twice is harmless."""
    library = con if isinstance(con, LibraryConnection) else LibraryConnection(con)
    quoted = time_zone.replace("'", "''")
    library.raw.execute(f"SET TimeZone = '{quoted}'")
    library._installed, callers = library._catalog()
    library.ensure(callers)
    return library
