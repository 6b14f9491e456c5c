"""The Spark side of a DOP Spark task: the main file ``spark-submit`` (or Dataproc) runs.

It is self-contained on purpose (the standard library and pyspark only, Python 3.8+ as on older
Dataproc images): locally DOP runs this very file with the ``spark-submit`` of the installed pyspark;
on Dataproc DOP uploads it to the staging bucket as the job's main Python file. It is driven by a
JSON *job spec* (``--spec PATH_OR_GS_URI``)::

    {"task": "dop__sales.daily_totals", "kind": "sql" | "pyspark",
     "sql": "SELECT ...",                                   # kind sql: the rendered SQL
     "script": {"path": "spark/x.py", "source": "..."},     # kind pyspark: the user's script
     "inputs": [{"name": "analytics.orders", "schema": "analytics", "table": "orders",
                 "format": "parquet" | "bigquery", "options": {"path": ...} | {"table": ...}}],
     "output": {"name": "analytics.totals", "format": "parquet" | "bigquery", "options": {...}},
     "context": {"ds": "2024-01-01", "params": {...}, ...}}

Each input becomes a table of Spark's session catalog under its warehouse name (a database per
schema, created in the job's own in-memory catalog), so ``SELECT * FROM analytics.orders`` works in
Spark SQL as it does in the warehouse. The result (the SQL's last statement, or the DataFrame that
``transform(spark, inputs, context)`` returns) is written to the output.

A failure prints one line ``DOP-SPARK-ERROR {"type": ..., "message": ...}`` on stderr (read by the
DOP operator to fail the task with Spark's own message) and exits with status 1.
"""

from __future__ import annotations

import json
import sys
import traceback
import types
from typing import Any

ERROR_MARK = "DOP-SPARK-ERROR "
RESULT_MARK = "DOP-SPARK-RESULT "


class JobError(Exception):
    """A mistake in the job (not in Spark): no transform function, a wrong return value..."""


def split_statements(sql: str) -> list[str]:
    """Split a SQL script on top-level semicolons (not inside quotes, backticks or comments)."""
    statements: list[str] = []
    current: list[str] = []
    i, n = 0, len(sql)
    quote: str | None = None
    while i < n:
        c = sql[i]
        if quote:
            current.append(c)
            if c == "\\" and quote != "`" and i + 1 < n:
                current.append(sql[i + 1])
                i += 2
                continue
            if c == quote:
                quote = None
        elif c in ("'", '"', "`"):
            quote = c
            current.append(c)
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            current.append(sql[i:end])
            i = end
            continue
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            end = n if end < 0 else end + 2
            current.append(sql[i:end])
            i = end
            continue
        elif c == ";":
            statements.append("".join(current))
            current = []
        else:
            current.append(c)
        i += 1
    statements.append("".join(current))
    return [s.strip() for s in statements if _has_code(s)]


def _has_code(statement: str) -> bool:
    """Whether a statement holds anything but whitespace and comments."""
    lines = []
    for line in statement.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("--"):
            lines.append(stripped)
    text = " ".join(lines)
    while "/*" in text:
        start = text.index("/*")
        end = text.find("*/", start + 2)
        text = text[:start] + (text[end + 2 :] if end >= 0 else "")
    return bool(text.strip())


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _literal(value: Any) -> str:
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def read_spec(spark: Any, location: str) -> dict[str, Any]:
    if "://" in location and not location.startswith("file://"):  # gs:// on Dataproc: through Hadoop's FS
        text = spark.read.text(location, wholetext=True).first()[0]
    else:
        path = location[len("file://") :] if location.startswith("file://") else location  # Python 3.8 images
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    return json.loads(text)


def register_inputs(spark: Any, inputs: list[dict[str, Any]]) -> dict[str, Any]:
    """Make each input a catalog table named ``schema.table``; return ``{name: DataFrame}``.

    Should a data source refuse ``CREATE TABLE ... USING`` (it is a Spark SQL path some connectors
    do not take), the input becomes the temporary view ``schema_table`` instead, and the job says so.
    """
    frames: dict[str, Any] = {}
    for item in inputs:
        schema, table, fmt = item["schema"], item["table"], item["format"]
        opts = item.get("options", {})
        frames[item["name"]] = frame = spark.read.format(fmt).options(**opts).load()
        options = ", ".join(f"{_quote(k)} {_literal(v)}" for k, v in opts.items())
        qualified = f"{_quote(schema)}.{_quote(table)}"
        try:
            spark.sql(f"CREATE DATABASE IF NOT EXISTS {_quote(schema)}")
            spark.sql(f"DROP TABLE IF EXISTS {qualified}")
            spark.sql(f"CREATE TABLE {qualified} USING {fmt}" + (f" OPTIONS ({options})" if options else ""))
        except Exception as exc:
            view = f"{schema}_{table}"
            frame.createOrReplaceTempView(view)
            print(
                f"dop-spark: WARNING: input {item['name']} could not be made the table {schema}.{table} "
                f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); in SQL it is the "
                f"temporary view {view}",
                flush=True,
            )
            continue
        print(f"dop-spark: input {item['name']} ({fmt}) is the table {schema}.{table}", flush=True)
    return frames


def run_sql(spark: Any, sql: str) -> Any:
    statements = split_statements(sql)
    if not statements:
        raise JobError("the SQL file holds no statement; write the query whose result is the task's output")
    for statement in statements[:-1]:
        spark.sql(statement)
    return spark.sql(statements[-1])


def run_script(spark: Any, script: dict[str, Any], inputs: dict[str, Any], context: dict[str, Any]) -> Any:
    from pyspark.sql import DataFrame

    path = script["path"]
    # A module that is not in sys.modules: cloudpickle ships its functions (UDFs) to the executors by value.
    module = types.ModuleType("dop_spark_transform")
    module.__file__ = path
    exec(compile(script["source"], path, "exec"), module.__dict__)
    transform = getattr(module, "transform", None)
    if not callable(transform):
        raise JobError(f"{path} defines no function transform(spark, inputs, context)")
    result = transform(spark, inputs, context)
    if not isinstance(result, DataFrame):
        raise JobError(
            f"transform() in {path} returned {type(result).__name__}, not a pyspark DataFrame; "
            "return the DataFrame to write to the task's output table"
        )
    return result


def write_output(frame: Any, output: dict[str, Any]) -> None:
    writer = frame.write.format(output["format"]).mode(output.get("mode", "overwrite"))
    for key, value in output.get("options", {}).items():
        writer = writer.option(key, value)
    writer.save()


def _quiet_pyspark() -> None:
    """Keep the job's log to what matters: DOP prints Spark's errors itself (once, with the traceback)."""
    import warnings

    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    try:
        from pyspark.logger import PySparkLogger  # pyspark 4: logs each failed query's error a second time
    except ImportError:
        return
    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).disabled = True


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "--spec":
        print("usage: job.py --spec PATH_OR_URI", file=sys.stderr)
        return 2
    _quiet_pyspark()
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.getOrCreate()
    try:
        spec = read_spec(spark, argv[1])
        print(f"dop-spark: task {spec['task']} ({spec['kind']}) on Spark {spark.version}", flush=True)
        frames = register_inputs(spark, spec.get("inputs", []))
        if spec["kind"] == "sql":
            result = run_sql(spark, spec["sql"])
        else:
            result = run_script(spark, spec["script"], frames, spec.get("context", {}))
        write_output(result, spec["output"])
        print(
            RESULT_MARK + json.dumps({"output": spec["output"]["name"], "columns": result.columns}),
            flush=True,
        )
        return 0
    except Exception as exc:
        traceback.print_exc()
        message = str(exc).strip() or repr(exc)
        print(
            ERROR_MARK + json.dumps({"type": type(exc).__name__, "message": message}),
            file=sys.stderr,
            flush=True,
        )
        return 1
    finally:
        spark.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
