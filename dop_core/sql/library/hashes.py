"""BigQuery's hash functions DuckDB lacks."""

from __future__ import annotations

import hashlib

from dop_core.sql.library import duckdb_python


@duckdb_python("sha512", ["VARCHAR"], "BLOB")
def sha512(value: str) -> bytes:
    """``SHA512(string)``: the SHA-512 digest of the string's UTF-8 bytes, as BYTES."""
    return hashlib.sha512(value.encode()).digest()


@duckdb_python("bytes_sha512", ["BLOB"], "BLOB")
def bytes_sha512(value: bytes) -> bytes:
    """``SHA512(bytes)``: the SHA-512 digest of the bytes, as BYTES."""
    return hashlib.sha512(bytes(value)).digest()
