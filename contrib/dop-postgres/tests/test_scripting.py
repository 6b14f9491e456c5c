"""BigQuery scripting interpreted on a real PostgreSQL server: the same cases, the same rows as on DuckDB."""

from __future__ import annotations

import pytest
from dop_postgres.engine import PostgresEngine
from dop_postgres.target import PostgresTarget

from dop_core import Target
from dop_core.testing import SCRIPT_CASES, ScriptCase, check_script_case


@pytest.fixture
def pg(pg_database: str):
    target = Target("pg", "postgres", {"dsn": pg_database}, typed_options=PostgresTarget(dsn=pg_database))
    with PostgresEngine(target) as engine:
        yield engine


@pytest.mark.slow
@pytest.mark.parametrize("case", SCRIPT_CASES, ids=[c.name for c in SCRIPT_CASES])
def test_bigquery_scripting_semantics(pg: PostgresEngine, case: ScriptCase) -> None:
    check_script_case(pg, case)
