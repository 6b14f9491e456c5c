"""Rules for BigQuery's text functions DuckDB lacks: SHA512, code points and SOUNDEX."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dop_core.sql import library
from dop_core.sql.inference import is_type
from dop_core.sql.rules import rule


def _bytes(node: Any) -> bool:
    return is_type(node, "BINARY", "VARBINARY")


@rule("duckdb")
def sha512_from_the_library(tree: Any, target: str) -> Any:
    """``SHA512(string|bytes)`` is the digest as BYTES (DuckDB has no SHA-512; sqlglot refused it): the
    library's ``sha512``/``bytes_sha512``."""

    def fix(node: Any) -> Any:
        if isinstance(node, exp.SHA2Digest) and node.args.get("length") is not None \
                and node.args["length"].name == "512":
            return library.call(target, "bytes_sha512" if _bytes(node.this) else "sha512", node.this)
        return node

    return tree.transform(fix)


@rule("duckdb")
def code_points_and_soundex_from_the_library(tree: Any, target: str) -> Any:
    """``CODE_POINTS_TO_STRING``, ``CODE_POINTS_TO_BYTES`` (NULL if an element is NULL), ``TO_CODE_POINTS`` (of
    a STRING or BYTES) and ``SOUNDEX``, which DuckDB lacks (sqlglot passed the first three through and refused
    ``SOUNDEX``): the library's functions."""

    def fix(node: Any) -> Any:
        if isinstance(node, exp.ToCodePoints):
            return library.call(target, "bytes_to_code_points" if _bytes(node.this) else "to_code_points", node.this)
        name = {exp.CodePointsToString: "code_points_to_string", exp.CodePointsToBytes: "code_points_to_bytes",
                exp.Soundex: "soundex"}.get(type(node))
        return library.call(target, name, node.this) if name else node

    return tree.transform(fix)


@rule("duckdb")
def safe_error_is_null_after_its_argument(tree: Any, target: str) -> Any:
    """``SAFE.ERROR(message)`` is NULL, but an error raised while computing ``message`` is still raised (the
    ``SAFE.`` prefix covers the function's own error only; DuckDB's ``TRY`` caught both): the message is
    computed, and NULL returned."""

    def fix(node: Any) -> Any:
        inner = node.this if isinstance(node, exp.Try) else None
        if isinstance(inner, exp.Anonymous) and inner.name.upper() == "ERROR" and len(inner.expressions) == 1:
            return exp.Case(ifs=[exp.If(this=exp.Is(this=inner.expressions[0], expression=exp.null()),
                                        true=exp.null())])
        return node

    return tree.transform(fix)
