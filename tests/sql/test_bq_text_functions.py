"""BigQuery's text functions DuckDB lacks (BigQuery reference: "Hash functions" SHA512; "String functions"
CODE_POINTS_TO_STRING, CODE_POINTS_TO_BYTES, TO_CODE_POINTS, SOUNDEX)."""

from __future__ import annotations

import hashlib


def test_sha512_of_strings_and_bytes_is_bytes(bq):
    digest = hashlib.sha512("ж b".encode()).digest()
    assert bq("SELECT SHA512('ж b'), SHA512(CAST('ж b' AS BYTES)), TO_HEX(SHA512(''))") == \
        [(digest, digest, hashlib.sha512(b"").hexdigest())]


def test_code_points(bq):
    assert bq("SELECT CODE_POINTS_TO_STRING([65, 255, 128512]), CODE_POINTS_TO_BYTES([65, 255]), "
              "TO_CODE_POINTS('aé'), TO_CODE_POINTS(b'ab'), CODE_POINTS_TO_STRING([68, NULL]), "
              "CODE_POINTS_TO_BYTES([68, NULL])") == [("Aÿ😀", b"A\xff", [97, 233], [97, 98], None, None)]


def test_soundex(bq):
    # BigQuery: the first letter and three digits; H and W do not separate a run of one digit, vowels do
    assert bq("SELECT SOUNDEX(''), SOUNDEX(' I LOVE YOU TOO'), SOUNDEX('Ashcraft'), SOUNDEX('Tymczak'), "
              "SOUNDEX('Pfister'), SOUNDEX('ß')") == [("", "I413", "A261", "T522", "P236", "")]
