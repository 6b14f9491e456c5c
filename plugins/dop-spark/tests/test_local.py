"""The local operator's steps that need no Spark: missing inputs, stopping a job with its processes."""

from __future__ import annotations

import os
import subprocess
import time

import pytest
from dop_spark.local import DopSparkLocalOperator, SparkJobFailed

from dop_core import Relation, Target


def _operator(tmp_path, **kwargs):
    target = Target("local", "duckdb", {"path": str(tmp_path / "warehouse.duckdb")}, root=tmp_path)
    defaults = {
        "task_id": "totals",
        "kind": "spark/sql",
        "target": target,
        "input_tables": [Relation("shop", "nope")],
        "output_table": Relation("shop", "totals"),
        "sql": "SELECT 1",
        "work_dir": str(tmp_path / "spark"),
    }
    return DopSparkLocalOperator(**{**defaults, **kwargs})


def test_a_missing_input_fails_before_spark_starts(tmp_path):
    op = _operator(tmp_path)
    with pytest.raises(SparkJobFailed, match=r"input shop.nope does not exist in the warehouse of target 'local'"):
        op.execute({"run_id": "manual__1", "params": {}})


def test_stopping_a_job_stops_every_process_it_started(tmp_path):
    op = _operator(tmp_path)
    # a stand-in for spark-submit: a process group with a child (as the JVM starts Python workers)
    proc = subprocess.Popen(
        ["bash", "-c", "sleep 300 & echo $!; wait"], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    assert proc.stdout is not None
    child = int(proc.stdout.readline())
    op._proc = proc
    op.on_kill()
    assert proc.poll() is not None
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the job's child process survived")
