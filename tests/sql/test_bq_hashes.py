"""BigQuery's SHA512 on DuckDB (BigQuery reference: "Hash functions" SHA512: BYTES of a STRING or BYTES)."""

from __future__ import annotations

import hashlib


def test_sha512_of_strings_and_bytes_is_bytes(bq):
    digest = hashlib.sha512("ж b".encode()).digest()
    assert bq("SELECT SHA512('ж b'), SHA512(CAST('ж b' AS BYTES)), TO_HEX(SHA512(''))") == \
        [(digest, digest, hashlib.sha512(b"").hexdigest())]
