"""The dop-spark plugin: registers the ``spark`` action (targets ``sql`` and ``pyspark``).

Found through the entry point ``spark`` in group ``dop`` (see pyproject.toml). Light on purpose: every
parse of the DAG files imports it; the options model, validator and builder are imported when a Spark
task is validated or built.
"""

from __future__ import annotations

from typing import Any

from dop_core import PluginSettings, TaskType, hookimpl


@hookimpl
def dop_plugin_settings() -> list[PluginSettings]:
    return [
        PluginSettings(
            name="spark",
            options="dop_spark.settings:SparkSettings",
            validate="dop_spark.settings:settings_problems",
            description="where Spark tasks run: local mode on DuckDB targets, Dataproc on BigQuery targets "
            "(plugins.spark, per target under plugins.spark.targets)",
        )
    ]


#: the task kinds' targets: whether they read sql/<identifier>.sql, and what they do
TARGETS = {
    "sql": ("required", "run the Spark SQL of sql/<identifier>.sql over options.inputs; its result replaces "
            "options.output"),
    "pyspark": ("none", "run transform(spark, inputs, context) of spark/<identifier>.py; the DataFrame it returns "
                "replaces options.output"),
}


@hookimpl
def dop_task_types() -> list[TaskType]:
    return [
        TaskType(
            action="spark",
            target=target,
            options="dop_spark.options:SparkTaskOptions",
            sql_file=sql_file,
            validate="dop_spark.validate:validate",
            inputs="dop_spark.validate:inputs",
            build="dop_spark.build:build",
            # what build refuses, validation finds: a target Spark cannot run on and Dataproc's missing settings
            # (settings_problems, for the chosen target too), a script or py_files entry outside the project, a
            # task with neither output nor schema (validate); the rest is made from values validation checked
            validate_covers_build=True,
            description=description,
        )
        for target, (sql_file, description) in TARGETS.items()
    ]


@hookimpl
def dop_doctor(project: Any) -> list[Any]:
    from dop_spark.doctor import checks

    return checks()
