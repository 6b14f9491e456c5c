"""dop-postgres: a PostgreSQL warehouse engine for DOP."""

__version__ = "0.1.0"
