"""BigQuery's JSONPath, read into its steps: ``$`` then ``.key``, ``."quoted key"`` (``\\"`` and ``\\\\``
escaped), ``[index]``, and JSON_EXTRACT's ``['key']`` and ``[key]``; ``lax`` and ``recursive`` may come
before the ``$``. A step is a :class:`Key` (matches an object's member) or an ``int`` (an array's element).

Shared by the library's JSON functions (at run time) and the translation rules that write a path in
DuckDB's syntax (:func:`duckdb_path`); imports nothing but the standard library.
"""

from __future__ import annotations

import re

from dop_core.sql.library import BigQueryError

MODIFIERS = ("lax", "recursive")
_BARE_KEY = re.compile(r"[^.\[]*")
_INDEX = re.compile(r"\[\s*(\d+)\s*\]")
_BRACKET_KEY = re.compile(r"""\[\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|([^\]'"]*))\s*\]""")
_DOT_QUOTED = re.compile(r'\.\s*"((?:[^"\\]|\\.)*)"')


class Key(str):
    """A member name (as opposed to an array index)."""


Step = Key | int


def modifiers(path: str) -> tuple[frozenset[str], str]:
    """(the modifiers before the ``$``, lowercased; the path from its ``$``). BigQuery's error for an
    unknown or repeated modifier, or ``recursive`` without ``lax``."""
    head, dollar, rest = path.partition("$")
    words = head.lower().split()
    if not dollar or len(set(words)) != len(words) or any(word not in MODIFIERS for word in words):
        raise BigQueryError("JSONPath must start with zero or more unique modifiers followed by '$'")
    if words and "lax" not in words:
        raise BigQueryError("JSONPath has an invalid combination of modifiers. The 'lax' modifier must be "
                            "included if 'recursive' is specified.")
    return frozenset(words), dollar + rest


def steps(path: str) -> list[Step]:
    """The steps of a JSONPath without modifiers; BigQuery's error for one it cannot read."""
    if not path.startswith("$"):
        raise BigQueryError("JSONPath must start with '$'")
    out: list[Step] = []
    at = 1
    while at < len(path):
        index = _INDEX.match(path, at)
        quoted = _DOT_QUOTED.match(path, at)
        bracket = _BRACKET_KEY.match(path, at)
        if index:
            out.append(int(index[1]))
            at = index.end()
        elif quoted:
            out.append(Key(_unescape(quoted[1])))
            at = quoted.end()
        elif path[at] == ".":
            bare = _BARE_KEY.match(path, at + 1)
            assert bare is not None  # matches the empty string
            if not bare[0]:
                raise BigQueryError(f"Invalid token in JSONPath at: {path[at:]}")
            out.append(Key(bare[0]))
            at = bare.end()
        elif bracket:
            single, double, bare_key = bracket.groups()
            out.append(Key(_unescape(single) if single is not None else
                           _unescape(double) if double is not None else bare_key.strip()))
            at = bracket.end()
        else:
            raise BigQueryError(f"Invalid token in JSONPath at: {path[at:]}")
    return out


def duckdb_path(path: list[Step]) -> str:
    """A JSONPath's steps in DuckDB's syntax: every name quoted (``$."a.b"[1]``); a path with an empty name
    as a JSON pointer (``/a//1``: DuckDB reads no ``.""``), where an index also matches a member named so."""
    if any(isinstance(step, Key) and not step for step in path):
        return "".join("/" + str(step).replace("~", "~0").replace("/", "~1") for step in path)
    return "$" + "".join(f"[{step}]" if isinstance(step, int) else
                         '."' + step.replace("\\", "\\\\").replace('"', '\\"') + '"' for step in path)


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)
