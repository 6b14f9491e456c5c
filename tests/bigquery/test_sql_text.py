"""The SQL the BigQuery engine sends, where the emulator cannot run it (or to pin its exact form).

No server here: the engine gets a real google-cloud-bigquery client pointed at a closed loopback
port, and a subclass records each statement instead of sending it (a stand-in for the network only).
"""

from __future__ import annotations

import re

import pytest

from dop_core.builtin.bigquery.engine import BigQueryEngine, _bigquery_type, redact
from dop_core.builtin.bigquery.target import BigQueryTarget
from dop_core.config.identifiers import Relation
from dop_core.config.models import IntegerRange, Partitioning, Target
from dop_core.contract.engine import Argument
from dop_core.errors import EngineError


class RecordingEngine(BigQueryEngine):
    def __init__(self, target: Target):
        super().__init__(target)
        self.sent: list[str] = []

    def execute(self, sql: str) -> None:
        self.sent.append(sql)

    def _table(self, relation: Relation) -> None:
        return None  # tables.get: no table exists yet


@pytest.fixture
def engine():
    raw = {"project": "my-proj", "location": "EU", "api_endpoint": "http://127.0.0.1:9"}
    with RecordingEngine(Target("prod", "bigquery", raw, BigQueryTarget(**raw))) as eng:
        yield eng


def test_names_are_backquoted_and_qualified_with_the_target_project(engine):
    assert engine.qualified(Relation("sales", "orders")) == "`my-proj`.`sales`.`orders`"
    assert engine.qualified(Relation("sales", "orders", "other-proj")) == "`other-proj`.`sales`.`orders`"
    assert engine.quote("we`ird") == "`we\\`ird`"


def test_create_schema_sets_the_location(engine):
    engine.create_schema("sales")
    assert engine.sent == ["CREATE SCHEMA IF NOT EXISTS `my-proj`.`sales` OPTIONS(location = 'EU')"]


@pytest.mark.parametrize(
    ("partitioning", "clause", "key"),
    [
        (Partitioning("d"), "`d`", "`d`"),
        (Partitioning("d", "date", "month"), "DATE_TRUNC(`d`, MONTH)", "DATE_TRUNC(`d`, MONTH)"),
        (Partitioning("t", "timestamp"), "DATE(`t`)", "DATE(`t`)"),
        (Partitioning("t", "timestamp", "hour"), "TIMESTAMP_TRUNC(`t`, HOUR)", "TIMESTAMP_TRUNC(`t`, HOUR)"),
        (Partitioning("t", "datetime", "year"), "DATETIME_TRUNC(`t`, YEAR)", "DATETIME_TRUNC(`t`, YEAR)"),
        (
            Partitioning("k", "int64", range=IntegerRange(0, 1000, 50)),
            "RANGE_BUCKET(`k`, GENERATE_ARRAY(0, 1000, 50))",
            "CAST(0 + 50 * FLOOR((`k` - 0) / 50) AS INT64)",
        ),
    ],
)
def test_partition_by_and_partition_key(engine, partitioning, clause, key):
    engine.create_table_as(Relation("s", "t"), "SELECT 1", partitioning)
    assert engine.sent == [f"CREATE OR REPLACE TABLE `my-proj`.`s`.`t` PARTITION BY {clause} AS\nSELECT 1"]
    assert engine.partition_key(partitioning.field, partitioning) == key


def test_staged_tables_have_a_name_per_run_expire_and_are_not_partitioned(engine):
    staged = engine.temp_relation(Relation("s", "t"))
    assert re.fullmatch(r"t__dop_tmp_[0-9a-f]{12}", staged.name)
    assert engine.temp_relation(Relation("s", "t")).name != staged.name  # overlapping runs stage apart
    assert not engine.is_staged(Relation("s", "t__dop_tmp_report"))
    engine.create_table_as(staged, "SELECT 1 AS d", Partitioning("d"))
    assert engine.sent == [
        f"CREATE OR REPLACE TABLE `my-proj`.`s`.`{staged.name}` OPTIONS(expiration_timestamp = "
        "TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL 24 HOUR)) AS\nSELECT 1 AS d"
    ]


def test_replace_partitions_is_one_merge_script(engine):
    sql = engine.replace_partitions_sql(
        Relation("s", "t"),
        Relation("s", "t__dop_tmp"),
        Partitioning("ts", "timestamp", "hour"),
        "INSERT (`ts`, `v`) VALUES (`ts`, `v`)",
    )
    assert sql.splitlines() == [
        "DECLARE dop_partitions ARRAY<TIMESTAMP> DEFAULT (SELECT ARRAY_AGG(DISTINCT "
        "TIMESTAMP_TRUNC(`ts`, HOUR)) FROM `my-proj`.`s`.`t__dop_tmp` WHERE `ts` IS NOT NULL);",
        "DECLARE dop_null_partition BOOL DEFAULT (SELECT IFNULL(LOGICAL_OR(`ts` IS NULL), FALSE) "
        "FROM `my-proj`.`s`.`t__dop_tmp`);",
        "MERGE `my-proj`.`s`.`t` AS dop_target",
        "USING `my-proj`.`s`.`t__dop_tmp` AS dop_staged ON FALSE",
        "WHEN NOT MATCHED BY SOURCE AND (TIMESTAMP_TRUNC(dop_target.`ts`, HOUR) IN UNNEST(dop_partitions) "
        "OR (dop_null_partition AND dop_target.`ts` IS NULL)) THEN DELETE",
        "WHEN NOT MATCHED THEN INSERT (`ts`, `v`) VALUES (`ts`, `v`);",
        "SELECT IFNULL(ARRAY_LENGTH(dop_partitions), 0) + IF(dop_null_partition, 1, 0) AS partitions;",
    ]


def test_templated_udf_with_any_type(engine):
    # bqemulator 1.4.0 cannot parse ANY TYPE (see test_engine_emulator.py): pin the statement instead.
    engine.create_function(Relation("s", "twice"), [Argument("x", "ANY TYPE")], "x || x", None)
    engine.create_function(
        Relation("s", "f"), [Argument("a", "ARRAY<STRUCT<k STRING, v INT64>>")], "ARRAY_LENGTH(a)", "INT64"
    )
    assert engine.sent == [
        "CREATE OR REPLACE FUNCTION `my-proj`.`s`.`twice`(`x` ANY TYPE) AS (\nx || x\n)",
        "CREATE OR REPLACE FUNCTION `my-proj`.`s`.`f`(`a` ARRAY<STRUCT<k STRING, v INT64>>) "
        "RETURNS INT64 AS (\nARRAY_LENGTH(a)\n)",
    ]


def test_procedure_statement(engine):
    engine.create_procedure(
        Relation("s", "p"), [Argument("run_date", "DATE")], "DELETE FROM s.t WHERE d = run_date", "bigquery"
    )
    assert engine.sent == [
        "CREATE OR REPLACE PROCEDURE `my-proj`.`s`.`p`(`run_date` DATE)\nBEGIN\n"
        "DELETE FROM s.t WHERE d = run_date;\nEND"
    ]


def test_procedure_arguments_keep_their_mode_and_the_script_is_sent_as_written(engine):
    body = "SET total = base + 1;\nIF total > 10 THEN\n  RAISE USING MESSAGE = 'too big';\nEND IF"
    engine.create_procedure(Relation("s", "p"), [Argument("base", "INT64"), Argument("total", "INT64", "OUT"),
                                                 Argument("seen", "INT64", "INOUT")], body, "bigquery")
    assert engine.sent == [
        "CREATE OR REPLACE PROCEDURE `my-proj`.`s`.`p`(`base` INT64, OUT `total` INT64, INOUT `seen` INT64)\nBEGIN\n"
        f"{body};\nEND"
    ]
    with pytest.raises(EngineError, match="mode 'BOTH' is not one of IN, OUT, INOUT"):
        engine.create_procedure(Relation("s", "p"), [Argument("x", "INT64", "BOTH")], body, "bigquery")


@pytest.mark.parametrize("bad", ["STRING) AS (1); DROP TABLE s.t; --", "STRING`", "INT64 -- x", "'x'"])
def test_argument_types_cannot_smuggle_sql(engine, bad):
    with pytest.raises(EngineError, match="is not a SQL type"):
        engine.create_function(Relation("s", "f"), [Argument("x", bad)], "x", None)
    assert engine.sent == []


def test_seed_column_types_in_bigquery_spelling():
    assert [_bigquery_type(t) for t in ("BIGINT", "VARCHAR", "INT64", "DATE", "DOUBLE", "NUMERIC")] == [
        "INT64",
        "STRING",
        "INT64",
        "DATE",
        "FLOAT64",
        "NUMERIC",
    ]


def test_credentials_never_reach_messages():
    text = (
        "Authorization: Bearer ya29.a0AfH6SMBx-secret_token and "
        '{"private_key": "-----BEGIN PRIVATE KEY-----\\n'
        'MIIEvQ\\n-----END PRIVATE KEY-----\\n", "client_secret": "s3cr3t"} ya29.another-one '
        "refresh_token=1//0gabc&x=1"
    )
    clean = redact(text)
    for secret in ("a0AfH6SMBx", "MIIEvQ", "s3cr3t", "another-one", "1//0gabc"):
        assert secret not in clean
    assert "Bearer ***" in clean


def test_a_broken_connection_is_reported_without_its_key(monkeypatch):
    key = "-----BEGIN PRIVATE KEY-----\\nTOPSECRETKEYDATA\\n-----END PRIVATE KEY-----\\n"
    keyfile = (
        '{"type": "service_account", "project_id": "p", "private_key_id": "1", "private_key": "'
        + key
        + '", "client_email": "runner@p.iam.gserviceaccount.com", "token_uri": "https://oauth2.googleapis.com/token"}'
    )
    import json

    monkeypatch.setenv(
        "AIRFLOW_CONN_BQ_BROKEN",
        json.dumps(
            {"conn_type": "google_cloud_platform", "extra": {"keyfile_dict": keyfile, "project": "p"}}
        ),
    )
    target = Target("prod", "bigquery", {}, BigQueryTarget(project="p", gcp_conn_id="bq_broken"))
    with pytest.raises(EngineError) as info:
        BigQueryEngine(target)
    message = str(info.value)
    assert "cannot open a BigQuery client with the Airflow connection 'bq_broken'" in message
    assert "TOPSECRETKEYDATA" not in message and "PRIVATE KEY" not in message


@pytest.mark.slow
def test_refused_credentials_are_reported_without_the_key(monkeypatch):
    # A well-formed service-account key whose token endpoint is a closed loopback port: google-auth
    # really tries to exchange it, fails, and the engine reports that within job_timeout.
    import json

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    pem = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )
    keyfile = json.dumps(
        {
            "type": "service_account",
            "project_id": "p",
            "private_key_id": "k1",
            "private_key": pem,
            "client_email": "runner@p.iam.gserviceaccount.com",
            "token_uri": "http://127.0.0.1:9/token",
        }
    )
    monkeypatch.setenv(
        "AIRFLOW_CONN_BQ_FAKE",
        json.dumps(
            {"conn_type": "google_cloud_platform", "extra": {"keyfile_dict": keyfile, "project": "p"}}
        ),
    )
    target = Target("prod", "bigquery", {}, BigQueryTarget(project="p", gcp_conn_id="bq_fake", job_timeout=3))
    with BigQueryEngine(target) as engine, pytest.raises(EngineError) as info:
        engine.execute("SELECT 1")
    message = str(info.value)
    assert "BigQuery refused the credentials of the Airflow connection 'bq_fake'" in message
    assert "TransportError" in message and "SQL sent:\n  1 | SELECT 1" in message
    assert pem.splitlines()[1] not in message and "PRIVATE KEY" not in message
