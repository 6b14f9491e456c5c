"""The rule for BigQuery's SHA512 on DuckDB."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dop_core.sql import library
from dop_core.sql.inference import is_type
from dop_core.sql.rules import rule


@rule("duckdb")
def sha512_from_the_library(tree: Any, target: str) -> Any:
    """``SHA512(string|bytes)`` is the digest as BYTES (DuckDB has no SHA-512; sqlglot refused it): the
    library's ``sha512``/``bytes_sha512``."""

    def fix(node: Any) -> Any:
        if isinstance(node, exp.SHA2Digest) and node.args.get("length") is not None \
                and node.args["length"].name == "512":
            name = "bytes_sha512" if is_type(node.this, "BINARY", "VARBINARY") else "sha512"
            return library.call(target, name, node.this)
        return node

    return tree.transform(fix)
