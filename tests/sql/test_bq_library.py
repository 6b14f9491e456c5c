"""DOP's BigQuery function library on DuckDB: installed on every connection DOP opens, never in the warehouse."""

from __future__ import annotations

import duckdb
import pytest

from dop_core.builtin.duckdb.engine import DuckDBEngine
from dop_core.builtin.duckdb.target import DuckDBTarget
from dop_core.config.models import Target
from dop_core.sql.library import install_duckdb


@pytest.fixture
def engine(tmp_path):
    target = Target("local", "duckdb", {}, DuckDBTarget(path="wh.duckdb", lock_timeout=5), root=tmp_path)
    with DuckDBEngine(target) as eng:
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
        install_duckdb(con)
        install_duckdb(con, time_zone="Europe/Paris")
        assert con.execute("SELECT dop_bq_unicode(''), current_setting('TimeZone')").fetchall() == \
            [(0, "Europe/Paris")]


def test_a_table_the_engine_does_not_have_leaves_types_unknown(engine):
    # unknown types: the STRING reading (BigQuery's usual case), never a BYTES function
    sql = engine.translate("SELECT UPPER(x) AS up FROM shop.missing", "bigquery")
    assert "UPPER(x)" in sql and "DOP_BQ" not in sql.upper()
