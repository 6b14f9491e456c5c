"""DOP's BigQuery function library on DuckDB: installed on every connection DOP opens, never in the warehouse;
its Python functions (whose registration imports numpy) only when a statement, or a view or macro of the
warehouse, calls one."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pytest

from dop_core.builtin.duckdb.engine import DuckDBEngine
from dop_core.builtin.duckdb.target import DuckDBTarget
from dop_core.config.identifiers import Relation
from dop_core.config.models import Target
from dop_core.contract.engine import Argument
from dop_core.sql.library.duckdb_connection import install_duckdb


def target(root):
    return Target("local", "duckdb", {}, DuckDBTarget(path="wh.duckdb", lock_timeout=5), root=root)


@pytest.fixture
def engine(tmp_path):
    with DuckDBEngine(target(tmp_path)) as eng:
        eng.create_schema("shop")
        yield eng


def test_the_engine_runs_bigquery_functions_with_the_warehouse_column_types(engine):
    # a BYTES column of the warehouse: BigQuery's UPPER/SUBSTR on BYTES work byte by byte
    engine.execute("CREATE TABLE shop.files (name VARCHAR, content BLOB)")
    engine.execute("INSERT INTO shop.files VALUES ('a', 'abc'::BLOB)")
    sql = engine.translate("SELECT name, UPPER(content) AS up, SUBSTR(content, -2) AS tail FROM shop.files", "bigquery")
    assert engine.query(sql).rows == [("a", b"ABC", b"bc")]


def test_the_engine_session_is_in_utc_as_bigquery(engine):
    # BigQuery's default time zone is UTC, whatever the laptop's
    sql = engine.translate("SELECT CAST(TIMESTAMP '2024-01-01 00:00:00' AS STRING)", "bigquery")
    assert engine.query(sql).rows == [("2024-01-01 00:00:00+00",)]


def test_the_library_lives_with_the_connection_not_in_the_warehouse_file(engine, tmp_path):
    assert engine.query("SELECT dop_bq_substr('abc', 0, 1)").rows == [("a",)]
    engine.close()
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:  # another client of the file: no DOP objects in it
        with pytest.raises(duckdb.CatalogException):
            con.execute("SELECT dop_bq_substr('abc', 0, 1)")
        assert con.execute("SELECT count(*) FROM duckdb_functions() WHERE function_name LIKE 'dop_bq%'").fetchone() \
            == (0,)


def test_installing_twice_is_harmless():
    with duckdb.connect() as con:
        assert install_duckdb(con).execute("SELECT dop_bq_unicode('a'), dop_bq_lpad('7', 3, '0')").fetchall() == \
            [(97, "007")]
        again = install_duckdb(con, time_zone="Europe/Paris")  # finds what the first one installed
        assert again.execute("SELECT dop_bq_unicode(''), dop_bq_lpad('8', 3, '0'), current_setting('TimeZone')"
                             ).fetchall() == [(0, "008", "Europe/Paris")]


def test_a_table_the_engine_does_not_have_leaves_types_unknown(engine):
    # unknown types: the STRING reading (BigQuery's usual case), never a BYTES function
    sql = engine.translate("SELECT UPPER(x) AS up FROM shop.missing", "bigquery")
    assert "UPPER(x)" in sql and "DOP_BQ" not in sql.upper()


NUMPY_PROBE = """
import json, pathlib, sys
from dop_core.builtin.duckdb.engine import DuckDBEngine
from dop_core.builtin.duckdb.target import DuckDBTarget
from dop_core.config.identifiers import Relation
from dop_core.config.models import Target
from dop_core.contract.engine import Argument

target = Target("local", "duckdb", {}, DuckDBTarget(path="wh.duckdb"), root=pathlib.Path(sys.argv[1]))
seen = []
with DuckDBEngine(target) as engine:
    for sql in sys.argv[2:]:
        seen.append([engine.query(engine.translate(sql, "bigquery")).rows, "numpy" in sys.modules])
print(json.dumps(seen))
"""


def test_only_sql_calling_a_python_function_of_the_library_imports_numpy(tmp_path):
    # registering a Python function on a DuckDB connection imports numpy (~0.1 s of every task's start)
    plain = "SELECT SUM(x) AS total, UNICODE('a') AS code FROM UNNEST(GENERATE_ARRAY(1, 4)) AS x"  # macros only
    python = "SELECT LPAD('7', 3, '0') AS padded, SUBSTR('abc', 2) AS tail"  # LPAD: Python; SUBSTR's errors: Python
    result = subprocess.run([sys.executable, "-c", NUMPY_PROBE, str(tmp_path), plain, plain, python, plain],
                            capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [[[[10, 97]], False], [[[10, 97]], False], [[["007", "bc"]], True],
                                         [[[10, 97]], True]]


def test_a_view_or_function_calling_a_python_function_works_in_later_sessions(tmp_path):
    with DuckDBEngine(target(tmp_path)) as first:
        first.create_schema("shop")
        first.create_view(Relation("shop", "padded"),
                          first.translate("SELECT LPAD(CAST(x AS STRING), 3, '0') AS code FROM UNNEST([7, 42]) AS x",
                                          "bigquery"))
        first.create_function(Relation("shop", "tail"), [Argument("s", "STRING")],
                              first.translate("SELECT SUBSTR(s, 2)", "bigquery").strip().removeprefix("SELECT"),
                              "STRING")
    with DuckDBEngine(target(tmp_path)) as later:  # its statements name neither LPAD's nor SUBSTR's function
        assert later.query("SELECT code FROM shop.padded ORDER BY code").rows == [("007",), ("042",)]
        assert later.query("SELECT shop.tail('abc')").rows == [("bc",)]


def test_a_function_installed_in_a_rolled_back_transaction_is_installed_again(engine):
    engine.begin()
    assert engine.query(engine.translate("SELECT LPAD('7', 3, '0')", "bigquery")).rows == [("007",)]
    engine.rollback()  # DuckDB's catalog is transactional: the function went with the transaction
    assert engine.query(engine.translate("SELECT LPAD('8', 3, '0')", "bigquery")).rows == [("008",)]
    engine.begin()
    engine.execute("CREATE TABLE shop.codes AS SELECT 1 AS n")
    savepoint = engine.savepoint()
    engine.execute(engine.translate("CREATE TABLE shop.padded AS SELECT LPAD('9', 3, '0') AS code", "bigquery"))
    engine.rollback_to(savepoint)
    engine.execute(engine.translate("CREATE TABLE shop.padded AS SELECT LPAD('9', 3, '0') AS code", "bigquery"))
    engine.commit()
    assert engine.query("SELECT code FROM shop.padded").rows == [("009",)]
