"""The ``options:`` of a Spark task (``kind: {action: spark, target: sql|pyspark}``). Light: parse time."""

from __future__ import annotations

import re
from typing import Any

import attrs

from dop_spark.settings import CONF_EXPECTED, _scalar_conf

TABLE_EXPECTED = "a warehouse table written schema.table (or project.schema.table)"
MAVEN = re.compile(r"[A-Za-z0-9_.\-]+:[A-Za-z0-9_.\-]+:[A-Za-z0-9_.\-+]+")


def _tables(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise ValueError(f"{value!r} is not a list of tables: write [schema.table, ...]")
    return [str(v) if isinstance(v, str) else v for v in value]


def _packages(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and MAVEN.fullmatch(v) for v in value):
        raise ValueError(f"{value!r} is not a list of Maven coordinates such as org.apache.spark:spark-avro_2.13:4.0.0")
    return list(value)


def _py_files(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"{value!r} is not a list of files (relative to the DAG folder)")
    return list(value)


@attrs.frozen
class SparkTaskOptions:
    """Options of ``spark/sql`` and ``spark/pyspark`` tasks."""

    inputs: list[Any] = attrs.field(
        factory=list,
        metadata={
            "parse": _tables,
            "expected": "a list of tables: [schema.table, ...]",
            "doc": "warehouse tables the job reads: tables schema.table in Spark SQL, "
            "inputs['schema.table'] in "
            "transform()",
        },
    )
    output: str | None = attrs.field(
        default=None,
        metadata={
            "expected": TABLE_EXPECTED,
            "doc": "the warehouse table replaced with the job's result (default: <schema>.<identifier>)",
        },
    )
    conf: dict[str, str] = attrs.field(
        factory=dict,
        metadata={
            "parse": _scalar_conf,
            "expected": CONF_EXPECTED,
            "doc": "Spark conf of this job, over plugins.spark's, e.g. {spark.sql.shuffle.partitions: 4}",
        },
    )
    packages: list[str] = attrs.field(
        factory=list,
        metadata={
            "parse": _packages,
            "expected": "Maven coordinates group:artifact:version",
            "doc": "Maven packages the job needs (spark.jars.packages)",
        },
    )
    py_files: list[str] = attrs.field(
        factory=list,
        metadata={
            "parse": _py_files,
            "expected": "a list of .py, .zip or .egg files relative to the DAG folder",
            "doc": "Python files or archives shipped with the job (--py-files), relative to the DAG folder",
        },
    )
