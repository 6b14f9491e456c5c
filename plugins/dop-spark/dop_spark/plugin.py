"""The dop-spark plugin: registers the ``spark`` action (targets ``sql`` and ``pyspark``).

Found through the entry point ``spark`` in group ``dop`` (see pyproject.toml).
"""

from __future__ import annotations

from typing import Any

from dop_core import TaskType, hookimpl
from dop_spark.options import SparkTaskOptions
from dop_spark.validate import validate


def _build(b: Any) -> Any:
    from dop_spark.build import build

    return build(b)


@hookimpl
def dop_task_types() -> list[TaskType]:
    return [
        TaskType(
            action="spark",
            target="sql",
            options=SparkTaskOptions,
            sql_file="required",
            validate=validate,
            build=_build,
            description="run the Spark SQL of sql/<identifier>.sql over options.inputs; its "
            "result replaces options.output",
        ),
        TaskType(
            action="spark",
            target="pyspark",
            options=SparkTaskOptions,
            sql_file="none",
            validate=validate,
            build=_build,
            description="run transform(spark, inputs, context) of spark/<identifier>.py; the "
            "DataFrame it returns replaces options.output",
        ),
    ]
