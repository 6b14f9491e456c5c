"""The Postgres engine's primitives against a real PostgreSQL server (see conftest.py)."""

from __future__ import annotations

import datetime as dt
import decimal
import threading
import time

import pytest
from conftest import PASSWORD
from dop_postgres.engine import PostgresEngine, _infer_csv_type, pg_type, url_dsn
from dop_postgres.target import PostgresTarget, redact

from dop_core import Argument, EngineError, Partitioning, Relation, SqlError, Target
from dop_core.testing import (
    HISTORY_QUERY,
    HistoryChange,
    SchemaChanged,
    assert_history_protected,
    assert_nullability_protected,
    assert_same_shapes_pass,
    check_transactions,
    history_changes,
    materialize_table,
)

ORDERS = Relation("s", "orders")


def engine_for(dsn: str, **options: object) -> PostgresEngine:
    opts = PostgresTarget(dsn=dsn, **options)  # type: ignore[arg-type]
    return PostgresEngine(Target("pg", "postgres", {"dsn": dsn}, typed_options=opts))


@pytest.fixture
def pg(pg_database: str):
    with engine_for(pg_database) as engine:
        engine.create_schema("s")
        yield engine


@pytest.mark.parametrize(
    ("bigquery", "postgres"),
    [
        ("STRING", "text"),
        ("INT64", "bigint"),
        ("INTEGER", "bigint"),
        ("FLOAT64", "double precision"),
        ("NUMERIC", "decimal"),
        ("BIGNUMERIC", "numeric"),
        ("BOOL", "boolean"),
        ("DATE", "date"),
        ("TIMESTAMP", "timestamptz"),
        ("DATETIME", "timestamp"),
        ("ANY TYPE", "anyelement"),
        ("BYTES", "bytea"),
        ("ARRAY<INT64>", "bigint[]"),
    ],
)
def test_bigquery_types_map_to_postgres(bigquery: str, postgres: str) -> None:
    assert pg_type(bigquery) == postgres


def test_unknown_type_is_a_clear_error() -> None:
    with pytest.raises(EngineError, match="'NOT A TYPE' is not a bigquery type"):
        pg_type("NOT A TYPE")


@pytest.mark.timeout(60)
def test_a_server_that_never_answers_times_out_in_seconds(unanswering_port: int) -> None:
    dsn = f"host=127.0.0.1 port={unanswering_port} dbname=d user=u"
    started = time.monotonic()
    with pytest.raises(EngineError) as info:
        engine_for(dsn, connect_timeout=2)
    assert time.monotonic() - started < 15
    assert str(info.value) == (
        f"cannot connect to PostgreSQL for target 'pg' ({dsn}): connection timeout expired (no answer within "
        "connect_timeout=2s: check that the server runs and is reachable, or raise connect_timeout on the target)")


@pytest.mark.timeout(60)
def test_a_refused_connection_names_the_target_and_the_server(refusing_port: int) -> None:
    dsn = f"host=127.0.0.1 port={refusing_port} dbname=d user=u"
    with pytest.raises(EngineError) as info:
        engine_for(dsn)
    assert str(info.value).startswith(f"cannot connect to PostgreSQL for target 'pg' ({dsn}): ")
    assert f'"127.0.0.1", port {refusing_port} failed: Connection refused' in str(info.value)


def test_redact_masks_passwords_in_every_dsn_form() -> None:
    assert redact("postgresql://dop:pw%40x@h:5432/db") == "postgresql://dop:***@h:5432/db"
    assert redact("host=h password='a b' dbname=d") == "host=h password=*** dbname=d"
    assert redact("host=h password=abc dbname=d") == "host=h password=*** dbname=d"
    assert redact("error near s3cret", "s3cret") == "error near ***"
    assert "pw" not in repr(PostgresTarget(dsn="postgresql://u:pw@h/d"))
    # any character in the password, written raw: masked up to the last "@" before the host
    assert redact("postgresql://dop:p@ss:w/rd@h:5432/db") == "postgresql://dop:***@h:5432/db"
    assert redact(r"host=h password='it\'s @ \\ q' dbname=d") == "host=h password=*** dbname=d"  # libpq's escapes


def test_a_raw_at_sign_in_a_url_password_reaches_libpq_encoded() -> None:
    from psycopg.conninfo import conninfo_to_dict

    assert conninfo_to_dict(url_dsn("postgresql://dop:p@ss:w/rd#?@127.0.0.1:5433/db")) == {
        "user": "dop", "password": "p@ss:w/rd#?", "host": "127.0.0.1", "port": "5433", "dbname": "db"}
    assert url_dsn("postgresql://dop:p%40ss@h/db") == "postgresql://dop:p%40ss@h/db"  # already encoded
    assert url_dsn("host=h password=x") == "host=h password=x"


def test_a_password_with_an_at_sign_connects_and_never_shows(postgres_server, pg_database) -> None:
    dbname = pg_database.rsplit("/", 1)[1]
    with engine_for(pg_database) as admin:
        admin.execute("CREATE ROLE at_sign LOGIN PASSWORD 'at@sign/pw:1'")
        admin.execute(f'GRANT ALL ON DATABASE "{dbname}" TO at_sign')
    try:
        dsn = f"postgresql://at_sign:at@sign/pw:1@{postgres_server.host}:{postgres_server.port}/{dbname}"
        with engine_for(dsn) as engine:
            assert engine.query("SELECT current_user").rows == [("at_sign",)]
        with pytest.raises(EngineError) as caught:
            engine_for(dsn.replace(dbname, "no_such_db"))
        assert "at@sign" not in str(caught.value) and "postgresql://at_sign:***@" in str(caught.value)
    finally:
        with engine_for(pg_database) as admin:
            admin.execute("DROP OWNED BY at_sign")
            admin.execute("DROP ROLE at_sign")


def test_target_needs_dsn_or_conn_id() -> None:
    with pytest.raises(ValueError, match="exactly one of dsn"):
        PostgresTarget()
    with pytest.raises(ValueError, match="exactly one of dsn"):
        PostgresTarget(dsn="postgresql://h/d", conn_id="pg")


def test_csv_type_inference() -> None:
    assert _infer_csv_type(["1", "-2", ""]) == "bigint"
    assert _infer_csv_type(["1.5", "2"]) == "double precision"
    assert _infer_csv_type(["2024-01-02", ""]) == "date"
    assert _infer_csv_type(["2024-01-02 10:00:00"]) == "timestamp"
    assert _infer_csv_type(["true", "False"]) == "boolean"
    assert _infer_csv_type(["north", "1"]) == "text"


@pytest.mark.slow
def test_primitives(pg: PostgresEngine) -> None:
    rel = Relation("s", "t")
    assert not pg.table_exists(rel) and pg.columns(rel) == []
    pg.execute(
        'CREATE TABLE s.t (id bigint, "Name" text, amount numeric(10,2)); '
        "INSERT INTO s.t VALUES (1, 'a%b', 1.50), (2, NULL, 2)"
    )
    assert pg.table_exists(rel)
    assert pg.columns(rel) == [("id", "bigint"), ("Name", "text"), ("amount", "numeric(10,2)")]
    result = pg.query('SELECT id, "Name", amount FROM s.t ORDER BY id')
    assert result.columns == ["id", "Name", "amount"]
    assert result.rows == [(1, "a%b", decimal.Decimal("1.50")), (2, None, decimal.Decimal("2.00"))]
    assert pg.quote('we"ird') == '"we""ird"'
    assert pg.qualified(Relation("s", "t", "some-project")) == '"s"."t"'  # one database: no catalog
    pg.execute("CREATE VIEW s.v AS SELECT id FROM s.t")
    assert not pg.table_exists(Relation("s", "v")) and pg.columns(Relation("s", "v")) == [("id", "bigint")]


@pytest.mark.slow
def test_transaction_rolls_back_everything(pg: PostgresEngine) -> None:
    pg.execute("CREATE TABLE s.t AS SELECT 1 AS x")
    with pytest.raises(RuntimeError), pg.transaction():
        pg.execute("INSERT INTO s.t VALUES (2)")
        pg.execute("CREATE TABLE s.other (y int)")
        raise RuntimeError("boom")
    assert pg.query("SELECT x FROM s.t").rows == [(1,)]
    assert not pg.table_exists(Relation("s", "other"))


@pytest.mark.slow
def test_replacing_a_table_keeps_views_when_columns_match(pg: PostgresEngine) -> None:
    rel = Relation("s", "t")
    pg.create_table_as(rel, "SELECT 1 AS x", None)
    pg.execute("CREATE VIEW s.v AS SELECT x FROM s.t")
    pg.create_table_as(rel, "SELECT 2 AS x UNION ALL SELECT 3", None)
    assert pg.query("SELECT x FROM s.v ORDER BY x").rows == [(2,), (3,)]
    assert not pg.table_exists(Relation("s", "t__dop_new"))


@pytest.mark.slow
def test_replacing_a_table_with_new_columns_drops_dependent_views(
    pg: PostgresEngine, caplog: pytest.LogCaptureFixture
) -> None:
    rel = Relation("s", "t")
    pg.create_table_as(rel, "SELECT 1 AS x", None)
    pg.execute("CREATE VIEW s.v AS SELECT x FROM s.t")
    pg.create_table_as(rel, "SELECT 'a' AS x, 2 AS y", None)
    assert pg.columns(rel) == [("x", "text"), ("y", "integer")]
    assert pg.columns(Relation("s", "v")) == []
    assert "drops the views on it: s.v" in caplog.text


@pytest.mark.slow
def test_failed_replacement_leaves_the_table_as_it_was(pg: PostgresEngine) -> None:
    rel = Relation("s", "t")
    pg.create_table_as(rel, "SELECT 1 AS x", None)
    with pytest.raises(Exception, match="division by zero"):
        pg.create_table_as(rel, "SELECT 1 / 0 AS x", None)
    assert pg.query("SELECT x FROM s.t").rows == [(1,)]


@pytest.mark.slow
def test_replace_partitions_replaces_only_the_staged_days(pg: PostgresEngine) -> None:
    rel, staged = Relation("s", "t"), Relation("s", "t__dop_tmp")
    part = Partitioning(field="d", data_type="date")
    pg.create_table_as(rel, "SELECT DATE '2024-01-01' + i AS d, i AS v FROM generate_series(0, 2) AS i", part)
    pg.create_table_as(staged, "SELECT DATE '2024-01-02' AS d, 10 AS v UNION ALL SELECT DATE '2024-01-04', 11", part)
    assert pg.replace_partitions(rel, staged, part) == 2
    assert pg.query("SELECT d, v FROM s.t ORDER BY d").rows == [
        (dt.date(2024, 1, 1), 0),
        (dt.date(2024, 1, 2), 10),
        (dt.date(2024, 1, 3), 2),
        (dt.date(2024, 1, 4), 11),
    ]
    month = Partitioning(field="d", data_type="date", granularity="month")
    pg.create_table_as(staged, "SELECT DATE '2024-01-20' AS d, 99 AS v", month)
    assert pg.replace_partitions(rel, staged, month) == 1
    assert pg.query("SELECT d, v FROM s.t").rows == [(dt.date(2024, 1, 20), 99)]


@pytest.mark.slow
def orders(pg: PostgresEngine) -> list[tuple[object, ...]]:
    return sorted(pg.query("SELECT * FROM s.orders").rows)


@pytest.mark.parametrize("change", history_changes(), ids=lambda change: change.name)
def test_an_incremental_run_refuses_a_changed_partitioning_and_keeps_every_row(
    pg: PostgresEngine, change: HistoryChange
) -> None:
    assert_history_protected(pg, ORDERS, change, lambda: orders(pg))


def test_an_incremental_run_refuses_a_column_that_became_not_null(pg: PostgresEngine) -> None:
    assert_nullability_protected(
        pg, ORDERS, lambda: pg.execute("ALTER TABLE s.orders ALTER COLUMN amount SET NOT NULL"), lambda: orders(pg)
    )
    # the full refresh rebuilt the table rather than swapping rows into the NOT NULL column
    assert pg.query(
        "SELECT attnotnull FROM pg_attribute WHERE attrelid = 's.orders'::regclass AND attname = 'amount'"
    ).rows == [(False,)]


def test_reruns_and_integer_spellings_pass(pg: PostgresEngine) -> None:
    # Postgres types `1` integer and `CAST(1 AS BIGINT)` bigint: both are BigQuery's INT64
    assert_same_shapes_pass(pg, ORDERS, ["CAST(1 AS BIGINT)", "CAST(1 AS INT8)"], lambda: orders(pg))


def test_a_table_without_a_record_is_adopted_only_by_a_partitioned_task(pg: PostgresEngine) -> None:
    pg.execute(f"CREATE TABLE s.orders AS {HISTORY_QUERY}")  # as an older DOP built it: no comment
    kept = orders(pg)
    with pytest.raises(SchemaChanged, match="no record of how it is partitioned"):
        materialize_table(pg, ORDERS, HISTORY_QUERY, None, False)
    assert orders(pg) == kept
    by_d = Partitioning(field="d", data_type="date")
    assert materialize_table(pg, ORDERS, HISTORY_QUERY, by_d, False).action == "updated"
    assert pg.table_shape(ORDERS).partitioning == by_d
    assert pg.query("SELECT obj_description('s.orders'::regclass, 'pg_class')").rows == [
        ('dop:{"partitioning": {"data_type": "date", "field": "d", "granularity": "day"}}',)
    ]


def test_function_return_types_are_inferred_or_given(pg: PostgresEngine) -> None:
    f = Relation("s", "tax")
    pg.create_function(f, [Argument("amount", "NUMERIC"), Argument("rate", "FLOAT64")], "amount * (1 + rate)", None)
    assert pg.query("SELECT s.tax(10, 0.5)").rows == [(15.0,)]
    assert pg.query("SELECT pg_typeof(s.tax(1, 1))::text").rows == [("double precision",)]
    pg.create_function(
        f,
        [Argument("amount", "NUMERIC"), Argument("rate", "FLOAT64")],
        "SELECT\n  amount * (1 + rate)",
        "NUMERIC",
    )  # return type changed; pretty SELECT prefix
    assert pg.query("SELECT pg_typeof(s.tax(1, 1))::text").rows == [("numeric",)]
    clean = Relation("s", "clean")
    pg.create_function(
        clean,
        [Argument("str", "STRING")],
        "CASE WHEN TRIM(str) = '' THEN 'unknown' ELSE LOWER(TRIM(str)) END",
        None,
    )
    assert pg.query("SELECT s.clean(' North '), s.clean('')").rows == [("north", "unknown")]
    ident = Relation("s", "same")
    pg.create_function(ident, [Argument("x", "ANY TYPE")], "x", None)
    assert pg.query("SELECT s.same(2::bigint), s.same('a'::text)").rows == [(2, "a")]


@pytest.mark.slow
def test_function_whose_type_cannot_be_inferred(pg: PostgresEngine) -> None:
    with pytest.raises(EngineError, match=r"cannot infer the return type of function s\.f: .*set options\.returns"):
        pg.create_function(Relation("s", "f"), [Argument("x", "STRING")], "x + no_such_column", None)


@pytest.mark.slow
def test_a_procedure_failing_after_its_delete_leaves_the_table_as_it_was(pg: PostgresEngine) -> None:
    """A CALL is one transaction: the procedure's DELETE is undone when a later statement fails."""
    pg.execute("CREATE TABLE s.daily AS SELECT * FROM (VALUES (DATE '2024-06-01', 10), (DATE '2024-06-02', 20)) "
               "AS t(d, amount)")
    body = "DELETE FROM s.daily WHERE d <= run_date;\nINSERT INTO s.daily SELECT run_date, CAST('x' AS INT64);"
    pg.create_procedure(Relation("s", "reload"), [Argument("run_date", "DATE")], body, "bigquery")
    with pytest.raises(Exception, match="invalid input syntax"):
        pg.call("CALL s.reload(DATE '2024-06-02')", "bigquery")
    assert pg.query("SELECT d, amount FROM s.daily ORDER BY d").rows == [
        (dt.date(2024, 6, 1), 10),
        (dt.date(2024, 6, 2), 20),
    ]
    with pytest.raises(Exception, match="no_such_table"), pg.transaction():
        pg.execute("DELETE FROM s.daily")
        pg.execute("INSERT INTO s.no_such_table SELECT 1")
    assert len(pg.query("SELECT * FROM s.daily").rows) == 2


@pytest.mark.slow
def test_a_savepoint_keeps_the_transaction_going_after_a_failed_statement(pg: PostgresEngine) -> None:
    check_transactions(pg, "s")


@pytest.mark.slow
def test_procedure_with_a_bare_select_and_call(pg: PostgresEngine) -> None:
    body = """
        CREATE TABLE IF NOT EXISTS s.log (day DATE, note STRING);
        DELETE FROM s.log WHERE day = run_date;
        INSERT INTO s.log SELECT run_date, CONCAT('ran ', CAST(run_date AS STRING));
        SELECT COUNT(*) FROM s.log;
    """
    p = Relation("s", "refresh")
    pg.create_procedure(p, [Argument("run_date", "DATE")], body, "bigquery")
    pg.call(
        "CALL s.refresh(DATE '2024-03-01');\nCALL s.refresh(DATE_ADD(DATE '2024-03-01', INTERVAL 1 DAY))",
        "bigquery",
    )
    pg.call("CALL s.refresh(DATE '2024-03-01')", "bigquery")
    assert pg.query("SELECT day, note FROM s.log ORDER BY day").rows == [
        (dt.date(2024, 3, 1), "ran 2024-03-01"),
        (dt.date(2024, 3, 2), "ran 2024-03-02"),
    ]
    pg.create_procedure(p, [Argument("a", "INT64"), Argument("b", "INT64")], "SELECT a + b", "bigquery")
    pg.call("CALL s.refresh(1, 2)", "bigquery")  # replaced, not overloaded
    with pytest.raises(EngineError, match="expects 2 argument"):
        pg.call("CALL s.refresh(DATE '2024-03-01')", "bigquery")
    with pytest.raises(SqlError, match=r"write schema\.procedure"):
        pg.call("CALL refresh()", "bigquery")


@pytest.mark.slow
def test_load_csv_with_and_without_types(pg: PostgresEngine, tmp_path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("order_id,order_date,store,amount\n1,2024-05-31, north ,10.5\n2,2024-06-01,,20\n")
    rel = Relation("s", "orders")
    assert pg.load_csv(rel, str(path), None, ",", True) == 2
    assert pg.columns(rel) == [
        ("order_id", "bigint"),
        ("order_date", "date"),
        ("store", "text"),
        ("amount", "double precision"),
    ]
    assert pg.query("SELECT * FROM s.orders ORDER BY 1").rows == [
        (1, dt.date(2024, 5, 31), " north ", 10.5),
        (2, dt.date(2024, 6, 1), None, 20.0),
    ]
    pg.execute("CREATE VIEW s.big AS SELECT order_id FROM s.orders WHERE amount > 15")
    path.write_text("order_id,order_date,store,amount\n3,2024-06-02,east,30.5\n")
    assert pg.load_csv(rel, str(path), None, ",", True) == 1  # same columns: the view on the seed survives
    assert pg.query("SELECT order_id FROM s.big").rows == [(3,)]
    typed = {"order_id": "INT", "order_date": "TEXT", "store": "VARCHAR", "amount": "DECIMAL(10,2)"}
    assert pg.load_csv(rel, str(path), typed, ",", True) == 1
    assert [t for _, t in pg.columns(rel)] == ["integer", "text", "character varying", "numeric(10,2)"]
    semi = tmp_path / "semi.csv"
    semi.write_text("7;x\n8;y\n")
    assert pg.load_csv(Relation("s", "semi"), str(semi), None, ";", False) == 2
    assert pg.query("SELECT column0, column1 FROM s.semi ORDER BY 1").rows == [(7, "x"), (8, "y")]


@pytest.mark.slow
def test_two_runs_writing_one_table_never_interleave(pg_database: str) -> None:
    rel = Relation("s", "t")
    order: list[str] = []
    with engine_for(pg_database) as first, engine_for(pg_database, lock_timeout=20) as second:
        first.create_schema("s")

        def other_run() -> None:
            with second.lock(rel):
                order.append("second writes")

        with first.lock(rel):
            thread = threading.Thread(target=other_run)
            thread.start()
            time.sleep(1.0)
            order.append("first done")
        thread.join(10)
        assert order == ["first done", "second writes"]
        with (
            engine_for(pg_database, lock_timeout=0.5) as third,
            first.lock(rel),
            pytest.raises(EngineError, match=r"table s\.t stayed locked by another run"),
            third.lock(rel),
        ):
            pass


@pytest.mark.slow
def test_wrong_password_error_shows_no_password(postgres_server) -> None:
    dsn = postgres_server.dsn().replace(PASSWORD, "wrong-" + PASSWORD)
    with pytest.raises(EngineError) as info:
        engine_for(dsn)
    text = str(info.value)
    assert "cannot connect to PostgreSQL for target 'pg'" in text and "password authentication failed" in text
    assert PASSWORD not in text and "postgresql://dop:***@127.0.0.1" in text
    assert info.value.__cause__ is None and info.value.__suppress_context__


@pytest.mark.slow
def test_airflow_connection_through_postgres_hook(postgres_server, pg_database: str, monkeypatch) -> None:
    dbname = pg_database.rsplit("/", 1)[1]
    # an Airflow connection as production defines it (here from the environment, as Airflow reads it)
    monkeypatch.setenv(
        "AIRFLOW_CONN_WAREHOUSE_PG", f"postgresql://dop:{PASSWORD}@127.0.0.1:{postgres_server.port}/{dbname}"
    )
    opts = PostgresTarget(conn_id="warehouse_pg")
    with PostgresEngine(Target("prod", "postgres", {"conn_id": "warehouse_pg"}, typed_options=opts)) as engine:
        assert engine.query("SELECT current_database(), current_user").rows == [(dbname, "dop")]
        assert engine.where == f"Airflow connection 'warehouse_pg': 127.0.0.1:{postgres_server.port}/{dbname}"


def test_rows_are_appended_to_a_table_created_when_missing(pg):
    # the engine's default: BigQuery SQL with the values as literals, translated (dop-dbt's run results)
    columns = (("recorded_at", "TIMESTAMP"), ("node", "STRING"), ("seconds", "FLOAT64"), ("failures", "INT64"),
               ("ok", "BOOL"))
    rows = [(dt.datetime(2024, 6, 2, 1, 2, 3, 456000, tzinfo=dt.UTC), "model.shop.o'rders", 0.5, 2, True),
            (dt.datetime(2024, 6, 2, 1, 2, 3), "test.shop.x", 1.25, None, False)]
    assert pg.append_rows(Relation("audit", "runs"), columns, rows) == 2
    assert pg.append_rows(Relation("audit", "runs"), columns, rows[:1]) == 1
    assert pg.columns(Relation("audit", "runs"))[0] == ("recorded_at", "timestamp with time zone")
    assert sorted(pg.query("SELECT to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), node, "
                           "seconds, failures, ok FROM audit.runs").rows) == [
        ("2024-06-02 01:02:03.000000", "test.shop.x", 1.25, None, False),
        ("2024-06-02 01:02:03.456000", "model.shop.o'rders", 0.5, 2, True),
        ("2024-06-02 01:02:03.456000", "model.shop.o'rders", 0.5, 2, True)]
