"""dop-postgres' ``@hookimpl`` functions: the ``postgres`` warehouse engine.

Parsing a project imports this module and :mod:`dop_postgres.target` only; psycopg and the Airflow
postgres provider are imported by :mod:`dop_postgres.engine`, inside tasks.
"""

from __future__ import annotations

from typing import Any

from dop_core import EngineType, hookimpl
from dop_postgres.target import PostgresTarget


def _connect(target: Any) -> Any:
    from dop_postgres.engine import connect

    return connect(target)


@hookimpl
def dop_engines() -> list[EngineType]:
    return [
        EngineType(
            name="postgres",
            dialect="postgres",
            options=PostgresTarget,
            connect=_connect,
            single_catalog=True,
            secrets=("dsn", "password"),
            description="PostgreSQL (psycopg 3; Airflow postgres connections in production)",
        ),
    ]
