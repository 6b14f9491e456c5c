"""How DOP reads BigQuery SQL where sqlglot's BigQuery parser loses its meaning.

``CAST(x AS type FORMAT f [AT TIME ZONE z])``: sqlglot read only a string literal as ``f`` (a NULL, a
parameter, a column or ``'a' || 'b'`` failed to parse), turned casts to DATE/DATETIME/TIME/TIMESTAMP into
``StrToTime`` (losing the target type: a TIME came back as a TIMESTAMP) and left the time zone out of the
SQL it wrote. DOP's parser keeps every such cast a ``Cast`` with its ``format`` (an expression, or
``AtTimeZone(format, zone)``), which the ``cast_with_format`` rule translates or refuses.
"""

from __future__ import annotations

from typing import Any

_INSTALLED: list[bool] = []


def install() -> None:
    """Make sqlglot's BigQuery parser keep ``CAST ... FORMAT`` as written (once per process)."""
    if _INSTALLED:
        return
    from sqlglot.parsers.bigquery import BigQueryParser
    from sqlglot.tokens import TokenType

    original = BigQueryParser._parse_cast

    def parse_cast(self: Any, strict: bool, safe: bool | None = None) -> Any:
        from sqlglot import exp

        start = self._index
        this = self._parse_assignment()
        to = self._parse_types(with_collation=True) if self._match(TokenType.ALIAS) else None
        if to is None or not self._match(TokenType.FORMAT):
            self._retreat(start)
            return original(self, strict, safe)
        fmt = self._parse_bitwise()
        if self._match_text_seq("AT", "TIME", "ZONE"):
            fmt = exp.AtTimeZone(this=fmt, zone=self._parse_bitwise())
        return self.build_cast(strict=strict, this=this, to=to, format=fmt, safe=safe)

    BigQueryParser._parse_cast = parse_cast  # type: ignore[method-assign]
    _INSTALLED.append(True)
