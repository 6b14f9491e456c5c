"""The job runner's pure parts (no Spark session): SQL splitting, script loading, the job's context."""

from __future__ import annotations

import datetime as dt
import types

import pytest
from dop_spark.job import JobError, run_script, split_statements
from dop_spark.spec import job_context, run_key


def test_statements_split_on_top_level_semicolons_only():
    sql = """
        SET spark.sql.ansi.enabled = true;  -- a comment; with a semicolon
        CREATE TEMPORARY VIEW v AS SELECT 'a;b' AS s, "c;d" AS t, `e;f` FROM x; /* block; comment */
        SELECT * FROM v;
        -- trailing comment only
    """
    assert split_statements(sql) == [
        "SET spark.sql.ansi.enabled = true",
        "-- a comment; with a semicolon\n        CREATE TEMPORARY VIEW v AS SELECT 'a;b' AS s, \"c;d\" AS t, `e;f` FROM x",
        "/* block; comment */\n        SELECT * FROM v",
    ]
    assert split_statements("SELECT 'it\\'s; fine'") == ["SELECT 'it\\'s; fine'"]
    assert split_statements("  -- nothing\n ; ") == []


def test_a_script_without_transform_is_a_clear_error():
    with pytest.raises(JobError, match=r"spark/x.py defines no function transform\(spark, inputs, context\)"):
        run_script(None, {"path": "spark/x.py", "source": "def transfrom(spark, inputs, context):\n    pass\n"}, {}, {})


def test_transform_must_return_a_dataframe():
    source = "def transform(spark, inputs, context):\n    return [context['ds'], sorted(inputs)]\n"
    with pytest.raises(JobError, match=r"transform\(\) in spark/x.py returned list, not a pyspark DataFrame"):
        run_script(None, {"path": "spark/x.py", "source": source}, {"shop.a": 1}, {"ds": "2024-03-01"})


def test_the_jobs_context_keeps_json_data_only():
    class Lazy:  # stands for Airflow's accessors (var, conn, ...): never serialised, never touched
        def __getattr__(self, name):
            raise AssertionError("touched")

    context = {
        "ds": "2024-03-01",
        "ts": "2024-03-01T00:00:00+00:00",
        "logical_date": dt.datetime(2024, 3, 1, tzinfo=dt.UTC),
        "data_interval_end": dt.datetime(2024, 3, 2, tzinfo=dt.UTC),
        "params": {"n": 3, "when": dt.date(2024, 1, 1), "odd": object()},
        "var": Lazy(),
        "conn": Lazy(),
        "run_id": "scheduled__2024-03-01T00:00:00+00:00",
        "ti": types.SimpleNamespace(try_number=3),
        "dag_run": types.SimpleNamespace(conf={"full_refresh": True}),
    }
    out = job_context(context, "t", "dop__d", True)
    assert out == {
        "dag_id": "dop__d",
        "task_id": "t",
        "full_refresh": True,
        "ds": "2024-03-01",
        "ts": "2024-03-01T00:00:00+00:00",
        "logical_date": "2024-03-01T00:00:00+00:00",
        "data_interval_end": "2024-03-02T00:00:00+00:00",
        "run_id": "scheduled__2024-03-01T00:00:00+00:00",
        "params": {"n": 3, "when": "2024-01-01"},
        "run_conf": {"full_refresh": True},
    }
    assert run_key(context) == "scheduled__2024-03-01T00_00_00_00_00-try3"
