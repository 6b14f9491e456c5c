"""BigQuery SQL on DuckDB (and PostgreSQL): GoogleSQL's own compliance cases, through DOP's translation.

BigQuery runs GoogleSQL; Google's public repository google/zetasql ships its compliance tests
(``zetasql/compliance/testdata/*.test``: a query and the rows it must return, with their types, or
the error it must raise). This script reads a local copy of those files (``--cases DIR``: the
repository's root or the testdata folder; DOP keeps no copy), keeps the cases that use BigQuery's
types and features, runs each through DOP's translation (``dop_core.sql``) on DuckDB, and on
PostgreSQL with ``--postgres DSN``, compares the result with BigQuery's (typed: each column's type
family and each value; rows in order only where the file says the order is known) and prints the pass
rate per area and overall, beside plain sqlglot's rate on the same cases.

Tables a file prepares (``[prepare_database]``) are loaded from the rows the file says they hold, so
both translations see the same data; columns of non-BigQuery types are left out (and the cases that
read them skipped). Query parameters (``@name``) are replaced by their value expression.

A case passes when the rows and column types equal BigQuery's, or when BigQuery raises an error and
the translation or the engine raises one too. ``--failures`` lists every failing case with its reason.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import logging
import os
import pathlib
import re
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import zetasql_cases as zc

#: GoogleSQL language features BigQuery has (a case requiring any other one is skipped).
BIGQUERY_FEATURES = frozenset({
    "ANALYTIC_FUNCTIONS", "NAMED_ARGUMENTS", "NUMERIC_TYPE", "BIGNUMERIC_TYPE", "CIVIL_TIME", "JSON_TYPE",
    "INTERVAL_TYPE", "SAFE_FUNCTION_CALL", "ORDER_BY_IN_AGGREGATE", "LIMIT_IN_AGGREGATE",
    "NULL_HANDLING_MODIFIER_IN_AGGREGATE", "NULL_HANDLING_MODIFIER_IN_ANALYTIC", "GROUPING_SETS",
    "GROUP_BY_ROLLUP", "GROUPING_BUILTIN", "GROUP_BY_STRUCT", "GROUP_BY_ARRAY", "JSON_VALUE_EXTRACTION_FUNCTIONS",
    "FORMAT_IN_CAST", "WITH_RECURSIVE", "IS_DISTINCT", "NULLS_FIRST_LAST_IN_ORDER_BY", "PIVOT", "UNPIVOT",
    "QUALIFY", "JSON_MUTATOR_FUNCTIONS", "JSON_ARRAY_FUNCTIONS", "JSON_CONSTRUCTOR_FUNCTIONS",
    "JSON_KEYS_FUNCTION", "JSON_QUERY_LAX", "LIKE_ANY_SOME_ALL", "LIKE_ANY_SOME_ALL_ARRAY", "PIPES",
    "CORRESPONDING", "CORRESPONDING_FULL", "BY_NAME", "SELECT_STAR_EXCEPT_REPLACE",
    "ARRAY_AGGREGATION_FUNCTIONS", "TABLE_VALUED_FUNCTIONS", "UNNEST_AND_FLATTEN_ARRAYS", "V_1_3_UNNEST_AND_FLATTEN_ARRAYS",
    "GROUP_BY_ALL", "WITH_RECURSIVE_DEPTH_MODIFIER", "PARSE_TIMESTAMP_WITH_PRECISION_AND_TIMEZONE",
    "ADDITIONAL_STRING_FUNCTIONS", "CONCAT_MIXED_TYPES", "SINGLE_TABLE_NAME_ARRAY_PATH",
})

#: The default time zone GoogleSQL's reference implementation runs the compliance cases in: a case that
#: converts between TIMESTAMP and civil time without a time zone expects it (BigQuery's default is UTC)
COMPLIANCE_TIME_ZONE = "America/Los_Angeles"

#: Files about things outside BigQuery SQL queries (or needing what a local run cannot have).
SKIP_FILES = {
    r"^(proto_|enum_|replace_fields)": "protocol buffers and enums are not BigQuery types",
    r"^graph_": "graph queries (GQL) are not measured",
    r"^(anonymization|differential_privacy)": "differential privacy is not measured",
    r"^dml_": "DML statements (the benchmark runs queries)",
    r"^aead": "AEAD encryption needs BigQuery's keysets",
    r"^(rand|generate_uuid|tablesample)": "non-deterministic functions",
    r"^(collation|orderby_collate)": "collations are not measured",
    r"^(map_functions|measures|match_recognize|multi_level|call_sql|lateral_join|apply_lambda|array_zip)":
        "not a BigQuery feature",
    r"^(default_timezone_|timestamp_with_default_time_zone)": "a non-UTC default time zone",
    r"^(pipe_static_describe|pipe_describe|typeof|hints|authorization)": "not a BigQuery feature",
    r"^(pico_timestamp|nano_timestamp)": "sub-microsecond timestamps are not BigQuery's",
}

#: Types GoogleSQL has and BigQuery has not (or that this benchmark does not measure).
NON_BIGQUERY_TYPES = {"INT32", "UINT32", "UINT64", "FLOAT", "ENUM", "PROTO", "RANGE", "MAP", "UUID", "GEOGRAPHY",
                      "GRAPH_ELEMENT", "GRAPH_PATH", "TOKENLIST", "EXTENDED"}
_TYPE_IN_SQL = re.compile(r"\b(INT32|UINT32|UINT64|FLOAT|DOUBLE|ENUM|PROTO|UUID|GEOGRAPHY)\b|\b(RANGE|MAP)\s*<"
                          r"|zetasql_test__|\bNEW\s+\w", re.I)

#: Area of each file (first matching prefix); the rest are "queries".
AREAS = [
    ("dates", r"^(date|civil_time|timezones|interval|timestamp)"),
    ("strings", r"^(strings|bytes|concat|regexp|like_)"),
    ("arrays", r"^(array_|unnest)"),
    ("windows", r"^(analytic_|qualify)"),
    ("aggregates", r"^(aggregat|approx|stat_agg|numeric_agg|hll|group|having|logical)"),
    ("casts", r"^(cast|safe_function|type_queries)"),
    ("set operations", r"^(except_intersect|union|set_operation|corresponding)"),
    ("JSON", r"^json"),
    ("math", r"^(arithmetic|math|numeric|hash|comparison)"),
    ("pivot", r"^pivot"),
    ("pipes", r"^pipe"),
]


def area_of(file: str) -> str:
    base = os.path.basename(file)
    return next((name for name, pattern in AREAS if re.match(pattern, base)), "queries")


def skip_reason(case: zc.Case, dropped_columns: dict[str, str]) -> str | None:
    """Why a case is not a BigQuery case (None: it is measured)."""
    base = os.path.basename(case.file)
    for pattern, reason in SKIP_FILES.items():
        if re.match(pattern, base):
            return reason
    if case.expected.unreadable:
        return "expected result not readable by this benchmark"
    missing = sorted(case.features - BIGQUERY_FEATURES)
    if missing:
        return f"needs a feature BigQuery has not: {missing[0]}"
    forbidden = {f.strip() for f in case.options.get("forbidden_features", "").split(",") if f.strip()}
    if forbidden & BIGQUERY_FEATURES:
        return "expects an engine without a feature BigQuery has"
    if "default_time_zone" in case.options:
        return "a non-UTC default time zone"
    text = _without_strings(case.sql + " " + " ".join(case.parameters().values()))
    match = _TYPE_IN_SQL.search(text)
    if match:
        return f"non-BigQuery type in the query: {match.group(0).split()[0].upper().rstrip('<')}"
    if case.expected.type is not None:
        if case.expected.type.kind != "ARRAY" or case.expected.type.params[0].kind != "STRUCT":
            return "a value table (SELECT AS VALUE) result"
        odd = sorted(set(case.expected.type.names()) & NON_BIGQUERY_TYPES)
        if odd:
            return f"non-BigQuery type in the result: {odd[0]}"
    words = {w.lower() for w in re.findall(r"\w+", text)}
    for column, reason in dropped_columns.items():
        if column in words:
            return reason
    if not re.match(r"(?is)\s*(\(\s*)*(SELECT|WITH|FROM)\b", case.sql):
        return "not a query"
    return None


def _without_strings(sql: str) -> str:
    return re.sub(r"(?s)'''.*?'''|\"\"\".*?\"\"\"|'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"", "''", sql)


def substitute_parameters(case: zc.Case) -> str:
    sql = case.sql
    for name, expr in sorted(case.parameters().items(), key=lambda kv: -len(kv[0])):
        sql = re.sub(rf"@{name}\b", lambda _m, e=expr: f"({e})", sql, flags=re.I)
    return sql


# -- translations ---------------------------------------------------------------------------------

def dop_translation(target: str) -> Callable[[str, Any], str]:
    """DOP's translation, told the column types of the tables the file loaded (as DOP's engines are told
    the types of the warehouse's tables)."""
    from dop_core.sql.dialects import translate
    from dop_core.sql.inference import frozen

    return lambda sql, tables: translate(sql, "bigquery", target, True, frozen(tables) if tables else None)


def sqlglot_translation(target: str) -> Callable[[str, Any], str]:
    import sqlglot

    return lambda sql, tables: ";\n".join(sqlglot.transpile(sql, read="bigquery", write=target))


TRANSLATIONS = {"DOP": dop_translation, "sqlglot": sqlglot_translation}


# -- engines --------------------------------------------------------------------------------------

class Refused(Exception):
    """The translation said the SQL cannot run on this engine."""


class DuckDB:
    name = "duckdb"
    TYPES = {"INT64": "BIGINT", "DOUBLE": "DOUBLE", "NUMERIC": "DECIMAL(38, 9)", "BIGNUMERIC": "DECIMAL(38, 9)",
             "STRING": "VARCHAR", "BYTES": "BLOB", "BOOL": "BOOLEAN", "DATE": "DATE", "DATETIME": "TIMESTAMP",
             "TIMESTAMP": "TIMESTAMPTZ", "TIME": "TIME", "INTERVAL": "INTERVAL", "JSON": "JSON"}

    def __init__(self, timeout: float, time_zone: str):
        import duckdb

        from dop_core.sql.library.duckdb_connection import install_duckdb

        self.con = install_duckdb(duckdb.connect(), time_zone)  # as on every DuckDB connection DOP opens
        self.timeout = timeout
        self.tables: dict[str, dict[str, str]] = {}  # BigQuery column types of the loaded tables

    def close(self) -> None:
        self.con.close()

    def column_type(self, typ: zc.SqlType) -> str | None:
        if typ.kind == "ARRAY":
            inner = self.column_type(typ.params[0])
            return f"{inner}[]" if inner else None
        if typ.kind == "STRUCT":
            fields = [(n, self.column_type(t)) for n, t in typ.params]
            if any(t is None or n is None for n, t in fields):
                return None
            return "STRUCT(" + ", ".join(f'"{n}" {t}' for n, t in fields) + ")"
        return self.TYPES.get(typ.kind)

    def load(self, table: str, columns: list[tuple[str, str, zc.SqlType]], rows: list[list[Any]]) -> None:
        self.con.execute(f'CREATE OR REPLACE TABLE "{table}" (' +
                         ", ".join(f'"{n}" {t}' for n, t, _ in columns) + ")")
        if rows:
            marks = ", ".join("?" for _ in columns)
            self.con.executemany(f'INSERT INTO "{table}" VALUES ({marks})',
                                 [[to_param(v, c[2]) for v, c in zip(r, columns, strict=True)] for r in rows])

    def run(self, sql: str) -> tuple[list[tuple[str, Any]], list[tuple[Any, ...]]]:
        timer = threading.Timer(self.timeout, self.con.interrupt)
        timer.start()
        try:
            cursor = self.con.execute(sql)
            if cursor.description is None:
                return [], []
            rows = cursor.fetchall()
            return [(d[0], d[1]) for d in cursor.description], rows
        finally:
            timer.cancel()

    def family(self, typ: Any) -> tuple[str, list[Any]]:
        """(family, children) of a DuckDB result type."""
        text = str(typ).upper()
        if text.endswith("]"):
            return "ARRAY", [typ.child]
        if text.startswith(("STRUCT", "TUPLE")):  # DuckDB 2 prints a struct of unnamed fields as TUPLE(...)
            return "STRUCT", [t for _, t in typ.children]
        return _family_of_name(text), []


class Postgres:
    name = "postgres"
    TYPES = {"INT64": "bigint", "DOUBLE": "double precision", "NUMERIC": "numeric", "BIGNUMERIC": "numeric",
             "STRING": "text", "BYTES": "bytea", "BOOL": "boolean", "DATE": "date", "DATETIME": "timestamp",
             "TIMESTAMP": "timestamptz", "TIME": "time", "INTERVAL": "interval", "JSON": "jsonb"}

    def __init__(self, dsn: str, timeout: float, time_zone: str):
        import psycopg
        import psycopg.types.string

        from dop_core.sql.library import install_postgres_library

        self.con = psycopg.connect(dsn, autocommit=True)
        install_postgres_library(self.con)
        for name in ("json", "jsonb"):  # JSON as its text: a JSON null is not SQL's NULL
            self.con.adapters.register_loader(name, psycopg.types.string.TextLoader)
        self.con.adapters.register_loader("interval", _interval_loader())
        self.schema = f"bq_{os.getpid()}_{id(self)}"
        self.con.execute(f"CREATE SCHEMA {self.schema}")
        self.con.execute(f"SET search_path TO {self.schema}")
        self.con.execute("SELECT set_config('TimeZone', %s, false)", [time_zone])
        self.con.execute(f"SET statement_timeout = {int(timeout * 1000)}")
        self._types: dict[int, tuple[str, int]] = {}
        self.tables: dict[str, dict[str, str]] = {}

    def close(self) -> None:
        self.con.execute(f"DROP SCHEMA {self.schema} CASCADE")
        self.con.close()

    def column_type(self, typ: zc.SqlType) -> str | None:
        if typ.kind == "ARRAY":
            inner = typ.params[0]
            return f"{self.TYPES[inner.kind]}[]" if inner.kind in self.TYPES else None
        return self.TYPES.get(typ.kind)

    def load(self, table: str, columns: list[tuple[str, str, zc.SqlType]], rows: list[list[Any]]) -> None:
        from psycopg.types.json import Jsonb

        self.con.execute(f'DROP TABLE IF EXISTS "{table.lower()}"')
        self.con.execute(f'CREATE TABLE "{table.lower()}" (' + ", ".join(f'"{n}" {t}' for n, t, _ in columns) + ")")
        marks = ", ".join("%s" for _ in columns)
        with self.con.cursor() as cur:
            for row in rows:
                values = [Jsonb(None if v is zc.JSON_NULL else v) if c[2].kind == "JSON" and v is not None
                          else to_param(v, c[2])
                          for v, c in zip(row, columns, strict=True)]
                cur.execute(f'INSERT INTO "{table.lower()}" VALUES ({marks})', values)

    def run(self, sql: str) -> tuple[list[tuple[str, Any]], list[tuple[Any, ...]]]:
        with self.con.cursor() as cur:
            cur.execute(sql)
            if cur.description is None:
                return [], []
            rows = cur.fetchall()
            return [(d.name, d.type_code) for d in cur.description], rows

    def family(self, oid: Any) -> tuple[str, list[Any]]:
        if oid not in self._types:
            row = self.con.execute("SELECT typname, typelem, typcategory FROM pg_type WHERE oid = %s",
                                   [oid]).fetchone()
            self._types[oid] = (row[0], row[1]) if row and row[2] != "A" else ("ARRAY", row[1] if row else 0)
        name, elem = self._types[oid]
        if name == "ARRAY":
            return "ARRAY", [elem]
        pg = {"int2": "INT", "int4": "INT", "int8": "INT", "float4": "DOUBLE", "float8": "DOUBLE",
              "numeric": "DECIMAL", "text": "STRING", "varchar": "STRING", "bpchar": "STRING", "bytea": "BYTES",
              "bool": "BOOL", "date": "DATE", "timestamp": "DATETIME", "timestamptz": "TIMESTAMP", "time": "TIME",
              "interval": "INTERVAL", "json": "JSON", "jsonb": "JSON", "record": "STRUCT", "unknown": "NULL"}
        return pg.get(name, name.upper()), []


def _pg_interval(text: str) -> dt.timedelta:
    """PostgreSQL's text of an INTERVAL (``1 year 2 mons -3 days +04:05:06.7``) as a timedelta counting a
    month as 30 days, as the expected values and DuckDB's client do (psycopg's own loader counts a year
    as 365 days)."""
    months = days = 0
    for number, unit in re.findall(r"([+-]?\d+) (year|mon|day)s?", text):
        if unit == "year":
            months += int(number) * 12
        elif unit == "mon":
            months += int(number)
        else:
            days += int(number)
    value = dt.timedelta(days=months * 30 + days)
    clock = re.search(r"([+-]?)(\d+):(\d+):(\d+)(\.\d+)?", text)
    if clock:
        sign, hours, minutes, seconds, frac = clock.groups()
        time = dt.timedelta(hours=int(hours), minutes=int(minutes), seconds=int(seconds),
                            microseconds=int((frac or ".0")[1:7].ljust(6, "0")))
        value += -time if sign == "-" else time
    return value


def _interval_loader() -> type:
    import psycopg.adapt

    class Loader(psycopg.adapt.Loader):
        def load(self, data: Any) -> dt.timedelta:
            return _pg_interval(bytes(data).decode())

    return Loader


def _family_of_name(text: str) -> str:
    if text in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                "UBIGINT", "UHUGEINT"):
        return "INT"
    if text.startswith("DECIMAL"):
        return "DECIMAL"
    return {"DOUBLE": "DOUBLE", "FLOAT": "DOUBLE", "VARCHAR": "STRING", "BLOB": "BYTES", "BOOLEAN": "BOOL",
            "DATE": "DATE", "TIMESTAMP": "DATETIME", "TIMESTAMP_NS": "DATETIME", "TIMESTAMP_MS": "DATETIME",
            "TIMESTAMP_S": "DATETIME", "TIMESTAMP WITH TIME ZONE": "TIMESTAMP", "TIME": "TIME",
            "INTERVAL": "INTERVAL", "JSON": "JSON", '"NULL"': "NULL", "NULL": "NULL"}.get(text, text)


_EXPECTED_FAMILY = {"INT64": "INT", "DOUBLE": "DOUBLE", "NUMERIC": "DECIMAL", "BIGNUMERIC": "DECIMAL"}


def type_problem(engine: Any, expected: zc.SqlType, actual: Any) -> str | None:
    """How the engine's column type differs from BigQuery's (None: same family)."""
    family, children = engine.family(actual)
    want = _EXPECTED_FAMILY.get(expected.kind, expected.kind)
    if family == "NULL" or expected.kind == "UNKNOWN":  # a NULL literal; an empty array's element type
        return None
    if family != want:
        return f"{expected} came back as {actual}"
    if want == "ARRAY":
        return type_problem(engine, expected.params[0], children[0])
    if want == "STRUCT" and children:
        if len(children) != len(expected.params):
            return f"{expected} came back as {actual}"
        for (_, field_type), child in zip(expected.params, children, strict=True):
            problem = type_problem(engine, field_type, child)
            if problem:
                return problem
    return None


def to_param(value: Any, typ: zc.SqlType) -> Any:
    """An expected value as a query parameter of the engine's client."""
    if value is None:
        return None
    if typ.kind == "ARRAY":
        return [to_param(v, typ.params[0]) for v in value.items]
    if typ.kind == "STRUCT":
        return {n: to_param(v, t) for v, (n, t) in zip(value, typ.params, strict=True)}
    if typ.kind == "JSON":
        return "null" if value is zc.JSON_NULL else json.dumps(value, default=str)
    if typ.kind == "INTERVAL":
        return value.spelled  # its months, days and time apart (a timedelta would merge them)
    return value


# -- running --------------------------------------------------------------------------------------

class Outcome:
    def __init__(self, case: zc.Case, area: str):
        self.case, self.area = case, area
        self.results: dict[str, str | None] = {}  # translation -> None (pass) or the reason it failed


def check(engine: Any, translate: Callable[[str, Any], str], case: zc.Case) -> str | None:
    """None when the case gives BigQuery's result; else why not."""
    sql = substitute_parameters(case)
    try:
        translated = translate(sql, engine.tables)
    except Exception as exc:
        if case.expected.error:
            return None
        kind = "refused" if type(exc).__name__ == "UnsupportedSqlError" else "translation failed"
        return f"{kind}: {first_line(exc)}"
    try:
        columns, rows = engine.run(translated)
    except Exception as exc:
        if case.expected.error:
            return None
        return f"engine error: {first_line(exc)}"
    if case.expected.error:
        return f"no error (BigQuery: {case.expected.error[:100]})"
    row_type = case.expected.type.params[0]  # type: ignore[union-attr]
    if len(columns) != len(row_type.params):
        return f"{len(columns)} columns instead of {len(row_type.params)}"
    for (name, actual), (want_name, want) in zip(columns, row_type.params, strict=True):
        problem = type_problem(engine, want, actual)
        if problem:
            return f"type: {problem}"
        if want_name and not want_name.startswith("$") and name.lower() != want_name.lower():
            return f"column name {name!r} instead of {want_name!r}"
    expected = case.expected.value
    if not zc.same_rows(expected.items, rows, expected.ordered, lambda e, a: zc.values_equal(e, a, row_type)):
        return f"wrong result: {shorten(rows)} instead of {shorten(expected.items)}"
    return None


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def shorten(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 160 else text[:157] + "..."


def table_columns(engine: Any, case: zc.Case) -> tuple[list[tuple[str, str, zc.SqlType]], list[int], dict[str, str]]:
    """The columns a prepared table can have on ``engine``, their positions, and the ones left out."""
    row_type = case.expected.type.params[0]  # type: ignore[union-attr]
    kept, positions, dropped = [], [], {}
    for i, (name, typ) in enumerate(row_type.params):
        odd = sorted(set(typ.names()) & NON_BIGQUERY_TYPES)
        column = None if odd else engine.column_type(typ)
        if name and column:
            kept.append((name, column, typ))
            positions.append(i)
        elif name:
            dropped[name.lower()] = (f"reads a column of a non-BigQuery type: {odd[0]}" if odd
                                     else f"reads a column the benchmark cannot load on {engine.name}: {typ}")
    return kept, positions, dropped


def run_file(path: pathlib.Path, make_engine: Callable[[], Any], target: str, translations: Iterable[str],
             skipped: collections.Counter[str]) -> list[Outcome]:
    try:
        cases = zc.parse_file(path.name, path.read_text(encoding="utf-8"))
    except (zc.ParseError, ValueError, IndexError) as exc:
        skipped[f"file not readable by this benchmark ({path.name}: {first_line(exc)})"] += 1
        return []
    engine = make_engine()
    outcomes: list[Outcome] = []
    dropped: dict[str, str] = {}
    translators = {name: TRANSLATIONS[name](target) for name in translations}
    try:
        for case in cases:
            if case.prepare:
                dropped.update(prepare(engine, case))
                continue
            reason = skip_reason(case, dropped)
            if reason:
                skipped[reason] += 1
                continue
            outcome = Outcome(case, area_of(case.file))
            for name, translate in translators.items():
                outcome.results[name] = check(engine, translate, case)
            outcomes.append(outcome)
    finally:
        engine.close()
    return outcomes


def prepare(engine: Any, case: zc.Case) -> dict[str, str]:
    """Load a ``[prepare_database]`` table from its rows; return the columns left out (name -> reason)."""
    match = re.match(r"(?is)\s*CREATE\s+TABLE\s+(\w+)", case.sql)
    if not match or case.expected.type is None or case.expected.type.params[0].kind != "STRUCT":
        return {}
    table = match.group(1)
    columns, positions, dropped = table_columns(engine, case)
    rows = [[row[i] for i in positions] for row in case.expected.value.items]
    try:
        engine.load(table, columns, rows)
    except Exception as exc:
        return {table.lower(): f"reads a table the benchmark could not load ({first_line(exc)})"}
    engine.tables[table] = {name: bigquery_type(typ) for name, _, typ in columns}
    return dropped


def bigquery_type(typ: zc.SqlType) -> str:
    """``typ`` as BigQuery spells it (the files print FLOAT64 as DOUBLE)."""
    if typ.kind == "ARRAY":
        return f"ARRAY<{bigquery_type(typ.params[0])}>"
    if typ.kind == "STRUCT":
        return "STRUCT<" + ", ".join(f"`{n}` {bigquery_type(t)}" if n else bigquery_type(t)
                                     for n, t in typ.params) + ">"
    return {"DOUBLE": "FLOAT64"}.get(typ.kind, typ.kind)


def find_files(root: pathlib.Path, pattern: str) -> list[pathlib.Path]:
    folder = root / "zetasql" / "compliance" / "testdata"
    if not folder.is_dir():
        folder = root
    files = sorted(folder.glob(pattern))
    if not files:
        raise SystemExit(f"no {pattern} files in {folder} (give the zetasql repository or its testdata folder)")
    return files


def report(title: str, outcomes: list[Outcome], translations: list[str], show_failures: bool) -> str:
    import common

    by_area: dict[str, list[Outcome]] = collections.defaultdict(list)
    for outcome in outcomes:
        by_area[outcome.area].append(outcome)

    def rate(items: list[Outcome], name: str) -> str:
        passed = sum(1 for o in items if o.results[name] is None)
        return f"{passed}/{len(items)} ({100 * passed / len(items):.1f}%)" if items else "-"

    rows = [[area, len(items), *(rate(items, t) for t in translations)] for area, items in sorted(by_area.items())]
    rows.append(["overall", len(outcomes), *(rate(outcomes, t) for t in translations)])
    lines = [title, "", common.table(["area", "cases", *translations], rows)]
    first = translations[0]
    refused = sum(1 for o in outcomes if (o.results[first] or "").startswith("refused"))
    if refused:
        lines.append(f"\n{first}: {refused} failing cases are refused with an error naming the construct "
                     "(no silently different result)")
    if show_failures:
        lines.append(f"\nfailing cases ({first}):")
        for o in outcomes:
            reason = o.results[first]
            if reason is not None:
                others = [t for t in translations[1:] if o.results[t] is None]
                note = f" ({', '.join(others)} passes)" if others else ""
                lines.append(f"  {o.case.file}:{o.case.line} {o.case.name} [{o.area}]{note}: {reason}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", required=True, type=pathlib.Path,
                        help="a local copy of google/zetasql (or its zetasql/compliance/testdata folder)")
    parser.add_argument("--files", default="*.test", help="glob of the case files to read (default *.test)")
    parser.add_argument("--postgres", metavar="DSN", help="also run on this PostgreSQL database")
    parser.add_argument("--engines", default=None, help="comma-separated: duckdb,postgres (default: duckdb, "
                        "and postgres when --postgres is given)")
    parser.add_argument("--failures", action="store_true", help="list each failing case with its reason")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds one query may run (default 20)")
    parser.add_argument("--progress", action="store_true", help="name each file on stderr as it starts")
    parser.add_argument("--time-zone", default=COMPLIANCE_TIME_ZONE,
                        help="the session's default time zone (default: the compliance suite's, "
                             f"{COMPLIANCE_TIME_ZONE}; BigQuery's and DOP's engines' default is UTC)")
    args = parser.parse_args(argv)
    logging.getLogger("sqlglot").setLevel(logging.ERROR)  # its warnings are reported per case instead

    engines = (args.engines or ("duckdb,postgres" if args.postgres else "duckdb")).split(",")
    files = find_files(args.cases, args.files)
    translations = list(TRANSLATIONS)
    for engine_name in engines:
        if engine_name == "postgres":
            if not args.postgres:
                raise SystemExit("--engines postgres needs --postgres DSN")
            make: Callable[[], Any] = lambda: Postgres(args.postgres, args.timeout, args.time_zone)  # noqa: E731
        else:
            make = lambda: DuckDB(args.timeout, args.time_zone)  # noqa: E731
        skipped: collections.Counter[str] = collections.Counter()
        outcomes: list[Outcome] = []
        for path in files:
            if args.progress:
                print(f"{engine_name}: {path.name}", file=sys.stderr, flush=True)
            outcomes += run_file(path, make, engine_name, translations, skipped)
        print(f"skipped on {engine_name} ({sum(skipped.values())} cases not measured):")
        for reason, count in skipped.most_common():
            print(f"  {count:5d}  {reason}")
        title = (f"\nBigQuery SQL on {engine_name}: {len(outcomes)} GoogleSQL compliance cases from "
                 f"{len({o.case.file for o in outcomes})} files, pass rate by translation")
        print(report(title, outcomes, translations, args.failures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
