"""BigQuery SQL through DOP's translation, run on a real in-memory DuckDB."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest


@pytest.fixture
def duck() -> Iterator[Any]:
    """An in-memory DuckDB with DOP's BigQuery function library, as every connection DOP opens."""
    import duckdb

    from dop_core.sql.library.duckdb_connection import install_duckdb

    con = install_duckdb(duckdb.connect())
    yield con
    con.close()


@pytest.fixture
def bq(duck: Any) -> Callable[..., list[tuple[Any, ...]]]:
    """Run BigQuery SQL on the DuckDB connection through DOP's translation; return the rows. ``tables``
    gives the BigQuery column types of tables the SQL reads (as DOP's engine reads them from the warehouse)."""
    from dop_core.sql.dialects import translate
    from dop_core.sql.inference import frozen

    def run(sql: str, tables: dict[str, dict[str, str]] | None = None) -> list[tuple[Any, ...]]:
        return duck.execute(translate(sql, "bigquery", "duckdb", True, frozen(tables) if tables else None)).fetchall()

    return run


@pytest.fixture
def bq_types(duck: Any) -> Callable[[str], list[str]]:
    """The DuckDB column types of a BigQuery query's result, through DOP's translation."""
    from dop_core.sql.dialects import translate

    def types(sql: str) -> list[str]:
        return [str(d[1]) for d in duck.execute(translate(sql, "bigquery", "duckdb", True)).description]

    return types
