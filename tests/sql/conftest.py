"""BigQuery SQL through DOP's translation, run on a real in-memory DuckDB."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest


@pytest.fixture
def duck() -> Iterator[Any]:
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    yield con
    con.close()


@pytest.fixture
def bq(duck: Any) -> Callable[[str], list[tuple[Any, ...]]]:
    """Run BigQuery SQL on the DuckDB connection through DOP's translation; return the rows."""
    from dop_core.sql.dialects import translate

    def run(sql: str) -> list[tuple[Any, ...]]:
        return duck.execute(translate(sql, "bigquery", "duckdb", True)).fetchall()

    return run


@pytest.fixture
def bq_types(duck: Any) -> Callable[[str], list[str]]:
    """The DuckDB column types of a BigQuery query's result, through DOP's translation."""
    from dop_core.sql.dialects import translate

    def types(sql: str) -> list[str]:
        return [str(d[1]) for d in duck.execute(translate(sql, "bigquery", "duckdb", True)).description]

    return types
