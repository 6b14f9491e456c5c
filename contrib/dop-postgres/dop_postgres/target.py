"""The keys of a ``{engine: postgres, ...}`` target (light: DAG parsing imports this, never psycopg)."""

from __future__ import annotations

from typing import Any

import attrs

from dop_core import redact, seconds

DSN_EXPECTED = "postgresql://user@host:port/database (or libpq key=value pairs such as 'host=... dbname=...')"


def _dsn(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{redact(str(value))!r} is not a connection string")
    if "://" in value and not value.startswith(("postgresql://", "postgres://")):
        scheme = value.split("://", 1)[0]
        raise ValueError(f"a postgres DSN starts with postgresql://, not {scheme}://")
    if "://" not in value and "=" not in value:
        raise ValueError(f"{redact(value)!r} is neither a postgresql:// URL nor key=value pairs")
    return value


@attrs.frozen
class PostgresTarget:
    """``{engine: postgres, dsn: ...}`` (local, CI) or ``{engine: postgres, conn_id: ...}`` (production)."""

    dsn: str | None = attrs.field(
        default=None,
        repr=False,
        metadata={
            "parse": _dsn,
            "expected": DSN_EXPECTED,
            "doc": "libpq connection string; keep the password out of it (PGPASSWORD or ~/.pgpass are read)",
        },
    )
    conn_id: str | None = attrs.field(
        default=None,
        metadata={"doc": "Airflow connection (type postgres), read with the postgres provider's PostgresHook"},
    )
    password: str | None = attrs.field(
        default=None,
        repr=False,
        metadata={"doc": "password, if neither the DSN, the connection, PGPASSWORD nor ~/.pgpass has it"},
    )
    connect_timeout: int = attrs.field(
        default=10,
        metadata={
            **seconds("write e.g. 10", longest=3600, whole=True),
            "doc": "seconds to wait for the server",
        },
    )
    lock_timeout: float = attrs.field(
        default=600.0,
        metadata={
            **seconds("write e.g. 600 (10 minutes), or 0 not to wait", shortest=0),
            "doc": "seconds a task waits for another run writing the same table to finish",
        },
    )
    application_name: str = attrs.field(default="dop", metadata={"doc": "shown in pg_stat_activity"})

    def __attrs_post_init__(self) -> None:
        if (self.dsn is None) == (self.conn_id is None):
            raise ValueError(
                "a postgres target needs exactly one of dsn: (a connection string) or conn_id: (an Airflow connection)"
            )
