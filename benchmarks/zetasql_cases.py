"""GoogleSQL compliance test files (google/zetasql, ``zetasql/compliance/testdata/*.test``): their cases,
and the typed values of their expected results.

A file is a list of blocks separated by ``==`` lines. A block holds comments (``#``), options
(``[name=...]``, ``[required_features=A,B]``, ``[parameters=expr as name, ...]``, ``[prepare_database]``,
``[default ...]`` for the rest of the file; an option may span lines), the SQL, then ``--`` and the
expected result: ``ERROR: ...`` or a typed value such as ``ARRAY<STRUCT<a INT64, STRING>>[unknown
order:{1, "x"}, {2, NULL}]``. Further ``--`` sections (labels) are ignored. A ``[prepare_database]``
block creates a table; its expected result is the table's content, with its column types.

No code of the zetasql repository is used here: this is a reader of its published file format.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SqlType:
    """A GoogleSQL type as the files print it: ``kind`` (INT64, ARRAY, STRUCT...), its element or fields."""

    kind: str
    params: tuple[Any, ...] = ()  # ARRAY: (element,); STRUCT: ((name|None, type), ...); MAP: (key, value)

    def names(self) -> Iterator[str]:
        """Every type name this type mentions (for the non-BigQuery type filter)."""
        yield self.kind
        for param in self.params:
            if isinstance(param, SqlType):
                yield from param.names()
            elif isinstance(param, tuple):
                yield from param[1].names()

    def __str__(self) -> str:
        if self.kind == "ARRAY":
            return f"ARRAY<{self.params[0]}>"
        if self.kind == "STRUCT":
            return "STRUCT<" + ", ".join(f"{n} {t}" if n else str(t) for n, t in self.params) + ">"
        if self.params:
            return f"{self.kind}<{', '.join(str(p) for p in self.params)}>"
        return self.kind


class _JsonNull:
    """A JSON ``null`` value (a JSON value, unlike SQL's NULL, which the files print ``NULL``)."""

    def __repr__(self) -> str:
        return "JSON null"


JSON_NULL = _JsonNull()


@dataclass(frozen=True)
class Ordered:
    """An array value: ``ordered`` is False when the file says ``unknown order`` (compare as multisets).
    ``element`` is the element type the value carries (``ARRAY<STRUCT<x INT64>>[...]``) where the column's
    type leaves it out (``ARRAY<>``)."""

    items: list[Any]
    ordered: bool
    element: SqlType | None = None


@dataclass
class Expected:
    error: str | None = None  # the ERROR line, when the case must fail
    type: SqlType | None = None
    value: Any = None  # an Ordered of row tuples
    unreadable: str | None = None  # why this benchmark cannot read the expected result


@dataclass
class Case:
    file: str
    name: str
    line: int
    sql: str
    options: dict[str, str] = field(default_factory=dict)
    expected: Expected = field(default_factory=Expected)
    prepare: bool = False  # a [prepare_database] block: creates a table

    @property
    def features(self) -> set[str]:
        raw = self.options.get("required_features", "")
        return {f.strip() for f in raw.split(",") if f.strip()}

    def parameters(self) -> dict[str, str]:
        """``[parameters=expr as name, ...]`` as {name: expr}."""
        raw = self.options.get("parameters", "")
        out: dict[str, str] = {}
        for part in split_top_level(raw, ","):
            match = re.match(r"(?is)\s*(.*?)\s+(?:as\s+)?(\w+)\s*$", part)
            if match:
                out[match.group(2)] = match.group(1)
        return out


def unquoted(text: str) -> Iterator[tuple[int, str]]:
    """(index, character) of each character of ``text`` outside single- or double-quoted strings."""
    quote, i = "", 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        else:
            yield i, ch
        i += 1


def split_top_level(text: str, sep: str) -> list[str]:
    """``text`` split at ``sep`` outside brackets, parentheses and quotes."""
    parts, depth, start = [], 0, 0
    for i, ch in unquoted(text):
        if ch in "([{<":
            depth += 1
        elif ch in ")]}>":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p for p in parts if p.strip()]


def parse_file(path: str, text: str) -> list[Case]:
    """The cases (and table-preparing blocks) of one ``.test`` file, with file-wide defaults applied."""
    defaults: dict[str, str] = {}
    cases: list[Case] = []
    line_no = 1
    for block in re.split(r"^==[ \t]*$\n?", text, flags=re.M):
        start_line = line_no
        line_no += block.count("\n") + 1
        sections = re.split(r"^--[ \t]*$\n?", block, flags=re.M)
        options, sql, first = _options_and_sql(sections[0])
        for key, value in list(options.items()):
            if key.startswith("default "):
                name, _, val = key[len("default "):].partition("=")
                defaults[name.strip()] = val if val else value
                del options[key]
        if len(sections) < 2 or not sql.strip():
            continue
        merged = {**defaults, **options}
        case = Case(file=path, name=merged.get("name", f"line{start_line}"), line=start_line + first, sql=sql,
                    options=merged, prepare="prepare_database" in options)
        try:
            case.expected = parse_expected(sections[1])
        except (ParseError, ValueError, IndexError, KeyError) as exc:
            case.expected = Expected(unreadable=str(exc).splitlines()[0][:120])
        cases.append(case)
    return cases


def _options_and_sql(head: str) -> tuple[dict[str, str], str, int]:
    options: dict[str, str] = {}
    lines = head.split("\n")
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        if not stripped.startswith("["):
            break
        text = stripped
        while _bracket_depth(text) > 0 and i + 1 < len(lines):
            i += 1
            text += "\n" + lines[i]
        body = text.strip()[1:-1]
        key, eq, value = body.partition("=")
        if key.startswith("default ") and eq:
            options[f"{key}={value}"] = value
        else:
            options[key.strip()] = value.strip() if eq else ""
        i += 1
    # the file format escapes a query's line that starts with -- or == (a section's end) as \-- and \==
    sql = re.sub(r"^\\(?=--|==)", "", "\n".join(lines[i:]), flags=re.M)
    return options, sql.strip(), i


def _bracket_depth(text: str) -> int:
    return sum({"[": 1, "]": -1}.get(ch, 0) for _, ch in unquoted(text))


def parse_expected(text: str) -> Expected:
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")).strip()
    if body.startswith("ERROR"):
        return Expected(error=body.splitlines()[0])
    reader = _Reader(body)
    typ = reader.type()
    return Expected(type=typ, value=reader.value(typ))


class ParseError(ValueError):
    pass


class _Reader:
    """Reads a type, then a value of that type, from the expected-result text."""

    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    # -- helpers ---------------------------------------------------------------------------------
    def ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self, token: str) -> bool:
        self.ws()
        return self.text.startswith(token, self.pos)

    def take(self, token: str) -> None:
        if not self.peek(token):
            raise ParseError(f"expected {token!r} at {self.text[self.pos:self.pos + 30]!r}")
        self.pos += len(token)

    def word(self) -> str:
        self.ws()
        if self.text.startswith("`", self.pos):
            end = self.text.index("`", self.pos + 1)
            out = self.text[self.pos + 1:end]
            self.pos = end + 1
            return out
        match = re.compile(r"[A-Za-z_$][\w.$]*").match(self.text, self.pos)
        if not match:
            raise ParseError(f"expected a name at {self.text[self.pos:self.pos + 30]!r}")
        self.pos = match.end()
        return match.group()

    # -- types -----------------------------------------------------------------------------------
    def type(self) -> SqlType:
        kind = self.word()
        upper = kind.upper()
        if not self.peek("<"):
            return SqlType(upper)
        self.take("<")
        params: list[Any] = []
        if self.peek(">"):  # ARRAY<>: an empty array's element type is not printed
            self.take(">")
            return SqlType(upper, (SqlType("UNKNOWN"),) if upper == "ARRAY" else ())
        while True:
            if upper == "STRUCT":
                save = self.pos
                first = self.word()
                if self.peek(",") or self.peek(">") or self.peek("<"):
                    self.pos = save
                    params.append((None, self.type()))
                else:
                    params.append((first, self.type()))
            else:
                params.append(self.type())
            if self.peek(","):
                self.take(",")
                continue
            self.take(">")
            return SqlType(upper, tuple(params))

    # -- values ----------------------------------------------------------------------------------
    def value(self, typ: SqlType) -> Any:
        self.ws()
        if re.compile(r"NULL\b").match(self.text, self.pos):
            self.pos += 4
            return None
        if typ.kind in ("ARRAY", "STRUCT") and re.compile(r"(ARRAY|STRUCT)<").match(self.text, self.pos):
            typ = self.type()  # a nested array or struct value carries its type
            if self.peek("(NULL)"):
                self.take("(NULL)")
                return None
        if typ.kind == "ARRAY":
            self.take("[")
            ordered = True
            if self.peek("known order:"):
                self.take("known order:")
            elif self.peek("unknown order:"):
                self.take("unknown order:")
                ordered = False
            items = []
            while not self.peek("]"):
                before = self.pos
                items.append(self.value(typ.params[0]))
                if self.peek(","):
                    self.take(",")
                elif self.pos == before or not self.peek("]"):
                    raise ParseError(f"unexpected text in an array at {self.text[self.pos:self.pos + 30]!r}")
            self.take("]")
            return Ordered(items, ordered, typ.params[0])
        if typ.kind == "STRUCT":
            self.take("{")
            values = []
            for _, field_type in typ.params:
                values.append(self.value(field_type))
                if self.peek(","):
                    self.take(",")
            self.take("}")
            return tuple(values)
        if typ.kind == "STRING":
            return self.quoted().decode("utf-8", errors="surrogateescape")
        if typ.kind == "BYTES":
            self.take("b")
            return self.quoted()
        if typ.kind == "JSON":
            parsed = json.loads(self.balanced(), parse_float=decimal.Decimal)
            return JSON_NULL if parsed is None else parsed
        return scalar(typ.kind, self.balanced())

    def quoted(self) -> bytes:
        self.ws()
        quote = self.text[self.pos]
        if quote not in "\"'":
            raise ParseError(f"expected a quoted string at {self.text[self.pos:self.pos + 30]!r}")
        i = self.pos + 1
        out = bytearray()
        simple = {"n": 10, "t": 9, "r": 13, "a": 7, "b": 8, "f": 12, "v": 11, "\\": 92, '"': 34, "'": 39,
                  "?": 63, "`": 96}
        while self.text[i] != quote:
            ch = self.text[i]
            if ch != "\\":
                out += ch.encode()
                i += 1
                continue
            nxt = self.text[i + 1]
            if nxt in simple:
                out.append(simple[nxt])
                i += 2
            elif nxt in "xX":
                digits = re.compile(r"[0-9a-fA-F]{1,2}").match(self.text, i + 2)
                assert digits is not None
                out.append(int(digits.group(), 16))
                i = digits.end()
            elif nxt in "uU":
                width = 4 if nxt == "u" else 8
                out += chr(int(self.text[i + 2:i + 2 + width], 16)).encode("utf-8", errors="surrogatepass")
                i += 2 + width
            elif nxt.isdigit():
                out.append(int(self.text[i + 1:i + 4], 8) & 0xFF)
                i += 4
            else:
                raise ParseError(f"unknown escape \\{nxt}")
        self.pos = i + 1
        return bytes(out)

    def balanced(self) -> str:
        """Text up to the next ``,``, ``}`` or ``]`` outside brackets and strings (a scalar or a JSON)."""
        self.ws()
        depth, quote, i = 0, "", self.pos
        while i < len(self.text):
            ch = self.text[i]
            if quote:
                if ch == "\\":
                    i += 1
                elif ch == quote:
                    quote = ""
            elif ch == '"':
                quote = ch
            elif ch in "[{":
                depth += 1
            elif ch in "]}":
                if depth == 0:
                    break
                depth -= 1
            elif ch == "," and depth == 0:
                break
            i += 1
        out = self.text[self.pos:i].strip()
        self.pos = i
        return out


_TS = re.compile(r"(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(\.\d+)?([+-]\d\d(?::?\d\d)?)?$")


def scalar(kind: str, atom: str) -> Any:
    """The Python value of a printed scalar of type ``kind`` (unknown kinds stay text)."""
    if kind in ("INT64", "INT32", "UINT32", "UINT64"):
        return int(atom)
    if kind in ("DOUBLE", "FLOAT"):
        return float(atom)
    if kind in ("NUMERIC", "BIGNUMERIC"):
        return decimal.Decimal(atom)
    if kind == "BOOL":
        return atom == "true"
    if kind == "DATE":
        return dt.date.fromisoformat(atom)
    if kind in ("DATETIME", "TIMESTAMP"):
        match = _TS.match(atom)
        if not match:
            raise ParseError(f"not a {kind}: {atom!r}")
        day, clock, frac, zone = match.groups()
        value = dt.datetime.fromisoformat(f"{day} {clock}").replace(microsecond=_micros(frac))
        if kind == "TIMESTAMP":
            hours, minutes = int((zone or "+00")[1:3]), int((zone or "+0000").replace(":", "")[3:5] or 0)
            offset = dt.timedelta(hours=hours, minutes=minutes) * (-1 if (zone or "+")[0] == "-" else 1)
            value = value.replace(tzinfo=dt.timezone(offset)).astimezone(dt.UTC)
        return value
    if kind == "TIME":
        clock, _, frac = atom.partition(".")
        return dt.time.fromisoformat(clock).replace(microsecond=_micros("." + frac if frac else None))
    if kind == "INTERVAL":
        return interval(atom)
    return atom


def _micros(frac: str | None) -> int:
    return int((frac or ".0")[1:7].ljust(6, "0"))


class Interval(dt.timedelta):
    """An INTERVAL as a timedelta counting a month as 30 days (how the engines' clients convert, for
    comparing), with its parts as BigQuery keeps them (``spelled``: for loading it into a table)."""

    spelled: str


def interval(atom: str) -> Interval:
    """``Y-M D H:M:S[.f]`` as an :class:`Interval`."""
    match = re.match(r"(-?)(\d+)-(\d+) (-?\d+) (-?)(\d+):(\d+):(\d+)(\.\d+)?$", atom)
    if not match:
        raise ParseError(f"not an INTERVAL: {atom!r}")
    ysign, years, months, days, tsign, hours, minutes, seconds, frac = match.groups()
    total_months = (int(years) * 12 + int(months)) * (-1 if ysign else 1)
    clock = dt.timedelta(hours=int(hours), minutes=int(minutes), seconds=int(seconds), microseconds=_micros(frac))
    value = Interval(days=total_months * 30 + int(days)) + (-clock if tsign else clock)
    value = Interval(days=value.days, seconds=value.seconds, microseconds=value.microseconds)
    micros = (clock // dt.timedelta(microseconds=1)) * (-1 if tsign else 1)
    value.spelled = f"{total_months} months {int(days)} days {micros} microseconds"
    return value


def values_equal(expected: Any, actual: Any, typ: SqlType) -> bool:
    """BigQuery's expected value against an engine's Python value, by the expected type."""
    if expected is None or actual is None:
        return expected is None and actual is None
    kind = typ.kind
    if kind == "ARRAY":
        if not isinstance(actual, list | tuple) or len(actual) != len(expected.items):
            return False
        element = typ.params[0]
        if element.kind == "UNKNOWN" and expected.element is not None:
            element = expected.element
        return same_rows(expected.items, list(actual), expected.ordered, lambda e, a: values_equal(e, a, element))
    if kind == "STRUCT":
        if not isinstance(actual, dict | list | tuple):
            return False
        items = list(actual.values()) if isinstance(actual, dict) else list(actual)
        return len(items) == len(expected) and all(
            values_equal(e, a, t) for e, a, (_, t) in zip(expected, items, typ.params, strict=True))
    if kind in ("DOUBLE", "FLOAT"):
        try:
            number = float(actual)
        except (TypeError, ValueError):
            return False
        if math.isnan(expected) or math.isnan(number):
            return math.isnan(expected) and math.isnan(number)
        return math.isclose(expected, number, rel_tol=1e-9, abs_tol=1e-300)
    if kind == "JSON":
        if expected is JSON_NULL:
            return isinstance(actual, str) and actual.strip() == "null"
        if isinstance(actual, str):
            try:
                actual = json.loads(actual, parse_float=decimal.Decimal)
            except ValueError:
                return False
        return _json_equal(expected, actual)
    if kind == "TIMESTAMP":
        if not isinstance(actual, dt.datetime):
            return False
        if actual.tzinfo is None:
            actual = actual.replace(tzinfo=dt.UTC)
        return bool(expected == actual)
    if kind == "STRING" and isinstance(actual, str):
        return bool(expected.encode("utf-8", errors="surrogateescape") == actual.encode("utf-8", errors="surrogatepass"))
    if kind == "BYTES" and isinstance(actual, bytearray | memoryview):
        actual = bytes(actual)
    if kind == "INT64" and isinstance(actual, bool):
        return False
    if kind == "DATE" and isinstance(actual, dt.datetime):
        return False
    return bool(expected == actual)


def _json_equal(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float | decimal.Decimal) and isinstance(b, int | float | decimal.Decimal):
        return decimal.Decimal(str(a)) == decimal.Decimal(str(b))
    return bool(a == b)


def same_rows(expected: list[Any], actual: list[Any], ordered: bool, equal: Any) -> bool:
    """Row lists equal in order, or as multisets when ``ordered`` is False."""
    if len(expected) != len(actual):
        return False
    if ordered:
        return all(equal(e, a) for e, a in zip(expected, actual, strict=True))
    left = list(actual)
    for item in expected:
        for i, candidate in enumerate(left):
            if equal(item, candidate):
                del left[i]
                break
        else:
            return False
    return True
