"""dop-spark's checks for ``dop doctor``: Spark local mode (pyspark and Java), what ``spark`` tasks on a local
target need."""

from __future__ import annotations

import importlib.util
import os

from dop_core import DoctorCheck, DopError

NAME = "spark local mode"


def checks() -> list[DoctorCheck]:
    if importlib.util.find_spec("pyspark") is None:
        return [DoctorCheck(NAME, "warn", "pyspark is not installed: spark tasks cannot run on a local target",
                            "pip install 'dop-spark[local]' (not needed when Spark runs on Dataproc only)")]
    from dop_spark.local import _check_java, spark_submit

    try:
        submit = spark_submit()
        _check_java(dict(os.environ))
    except DopError as exc:
        message, _, fix = str(exc).partition(": ")
        return [DoctorCheck(NAME, "fail", message, fix or None)]
    java = os.path.join(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else "java on PATH"
    return [DoctorCheck(NAME, "ok", f"pyspark's {submit}, Java: {java}")]
