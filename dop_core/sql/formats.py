"""Rules for BigQuery's ``CAST(... FORMAT '...')``."""

from __future__ import annotations

import re
from typing import Any

from sqlglot import exp

from dop_core.sql import UnsupportedSqlError
from dop_core.sql.rules import rule

#: BYTES <-> STRING formats: (BYTES to STRING function, STRING to BYTES function) on DuckDB
_BYTES_FORMATS = {"base64": ("to_base64", "from_base64"), "hex": ("hex", "unhex"), "base16": ("hex", "unhex"),
                  "utf8": ("decode", "encode"), "utf-8": ("decode", "encode")}

#: GoogleSQL date/time format elements (longest first) and strftime's
_DATETIME_ELEMENTS = [("YYYY", "%Y"), ("MONTH", "%B"), ("MON", "%b"), ("HH24", "%H"), ("HH12", "%I"),
                      ("DAY", "%A"), ("DY", "%a"), ("MM", "%m"), ("DD", "%d"), ("HH", "%I"), ("MI", "%M"),
                      ("SS", "%S"), ("YY", "%y"), ("AM", "%p"), ("PM", "%p")]
_ELEMENT = re.compile("|".join(re.escape(e) for e, _ in _DATETIME_ELEMENTS) + r'|"[^"]*"|[-/,.;: ]', re.I)


@rule("duckdb")
def cast_with_format(tree: Any, target: str) -> Any:
    """``CAST(bytes AS STRING FORMAT 'BASE64'|'HEX'|'BASE16'|'UTF8')`` encodes bytes as text (and the
    reverse casts decode it); ``CAST(date AS STRING FORMAT 'YYYY-MM-DD')`` formats a date or time with
    GoogleSQL's format elements (YYYY, YY, MM, MON, MONTH, DD, DAY, DY, HH24, HH12, MI, SS, AM/PM) and
    ``CAST('2024-03-05' AS DATE FORMAT 'YYYY-MM-DD')`` parses one. On DuckDB these are ``to_base64``,
    ``hex``, ``decode``, ``strftime`` and ``strptime``; sqlglot left ``FORMAT`` in the cast, which DuckDB
    cannot parse. A format that is not a literal, or other elements, are an error naming ``FORMAT``."""

    def fix(node: Any) -> Any:
        if not isinstance(node, exp.Cast) or node.args.get("format") is None:
            return node
        fmt = node.args["format"]
        if not (isinstance(fmt, exp.Literal) and fmt.is_string):
            raise _error("a FORMAT that is not a string literal")
        text, value, to = fmt.this, node.this.copy(), node.to.this
        is_text = to in (exp.DataType.Type.TEXT, exp.DataType.Type.VARCHAR)
        if text.lower() in _BYTES_FORMATS:
            encode, decode = _BYTES_FORMATS[text.lower()]
            if is_text:
                out = exp.Anonymous(this=encode, expressions=[value])
                return exp.Lower(this=out) if encode == "hex" else out
            if to in (exp.DataType.Type.VARBINARY, exp.DataType.Type.BINARY):
                return exp.Anonymous(this=decode, expressions=[value])
            raise _error(f"FORMAT {text!r} for a cast to {node.to.sql('bigquery')}")
        pattern = _strftime(text)
        if is_text:
            return exp.func("strftime", value, exp.Literal.string(pattern))
        parsed = exp.func("strptime", value, exp.Literal.string(pattern))
        return exp.Cast(this=parsed, to=node.to.copy())

    return tree.transform(fix)


def _strftime(fmt: str) -> str:
    out, pos = [], 0
    for match in _ELEMENT.finditer(fmt):
        if match.start() != pos:
            raise _error(f"format element {fmt[pos:match.start()]!r} in {fmt!r}")
        token = match.group()
        mapped = dict((e, s) for e, s in _DATETIME_ELEMENTS).get(token.upper())
        out.append(mapped if mapped else token.strip('"').replace("%", "%%"))
        pos = match.end()
    if pos != len(fmt) or not fmt:
        raise _error(f"format element {fmt[pos:]!r} in {fmt!r}")
    return "".join(out)


def _error(what: str) -> UnsupportedSqlError:
    return UnsupportedSqlError(f"CAST ... FORMAT with {what} cannot be expressed here", construct="FORMAT")
