"""dop-postgres' ``@hookimpl`` functions: the ``postgres`` warehouse engine.

Parsing a project imports this module only (:mod:`dop_postgres.target`, the options model, when a
postgres target is validated or read from the parse cache); psycopg and the Airflow
postgres provider are imported by :mod:`dop_postgres.engine`, inside tasks.
"""

from __future__ import annotations

from typing import Any

from dop_core import EngineType, hookimpl


def _connect(target: Any) -> Any:
    from dop_postgres.engine import connect

    return connect(target)


@hookimpl
def dop_engines() -> list[EngineType]:
    return [
        EngineType(
            name="postgres",
            dialect="postgres",
            options="dop_postgres.target:PostgresTarget",
            connect=_connect,
            single_catalog=True,
            secrets=("dsn", "password"),
            description="PostgreSQL (psycopg 3; Airflow postgres connections in production)",
        ),
    ]
