"""Spark local mode for the local (DuckDB) target: the job runs in a ``spark-submit`` subprocess.

The task exports its input tables from the warehouse to Parquet under ``.dop/spark/<dag>/<task>/<run>/``,
closes the warehouse (DuckDB allows one writer: Spark must not run while the task holds it), runs
:mod:`dop_spark.job` with the ``spark-submit`` of the installed pyspark, then replaces the output
table with the Parquet files the job wrote, in one statement (a failed job leaves the table as it was).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
from typing import Any

from airflow.sdk import BaseOperator

from dop_core import DopError, Relation, Target, VariableParamsMixin, connect, full_refresh_of
from dop_spark import spec as job_spec
from dop_spark.job import ERROR_MARK, RESULT_MARK

# Defaults of every local job; plugins.spark conf and a task's options.conf override them. The JVM
# options halve the start-up of a short job on small development data (C1 JIT only, serial GC).
LOCAL_CONF = {
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
    "spark.ui.enabled": "false",
    "spark.log.level": "WARN",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
}
# Set by DOP, not overridable: the job's own catalog holds the inputs.
FIXED_CONF = {"spark.sql.catalogImplementation": "in-memory"}


class SparkJobFailed(DopError):
    """The Spark job of a task failed; the message holds Spark's error."""


def spark_submit() -> str:
    """The ``spark-submit`` of the installed pyspark (so Spark and the Python package always match)."""
    found = importlib.util.find_spec("pyspark")
    if found is None or not found.submodule_search_locations:
        raise DopError("Spark local mode needs pyspark, which is not installed: pip install 'dop-spark[local]'")
    path = pathlib.Path(next(iter(found.submodule_search_locations))) / "bin" / "spark-submit"
    if not path.is_file():
        raise DopError(f"pyspark is installed but has no {path}; reinstall it: pip install --force-reinstall pyspark")
    return str(path)


def _check_java(env: dict[str, str]) -> None:
    home = env.get("JAVA_HOME")
    if home and (pathlib.Path(home) / "bin" / "java").exists():
        return
    if shutil.which("java", path=env.get("PATH")) is None:
        raise DopError(
            "Spark needs Java (17 or later), which was not found: install a JDK "
            "(e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME"
        )


class DopSparkLocalOperator(VariableParamsMixin, BaseOperator):
    """Runs one Spark task in Spark local mode against the local DuckDB warehouse."""

    template_fields: Any = ("sql", "conf")
    template_ext: Any = (".sql",)
    template_fields_renderers = {"sql": "sql", "conf": "json"}
    ui_color = "#fde3cf"

    def __init__(
        self,
        *,
        kind: str,
        target: Target,
        input_tables: list[Relation],
        input_names: list[str] | None = None,
        output_table: Relation,
        sql: str | None = None,
        sql_file: str | None = None,
        script: str | None = None,
        conf: dict[str, str] | None = None,
        packages: list[str] | None = None,
        py_files: list[str] | None = None,
        master: str = "local[*]",
        work_dir: str,
        keep_files: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.kind = kind
        self.target = target
        self.input_tables = list(input_tables)
        # the names as written in options.inputs: the keys of transform()'s inputs
        self.input_names = list(input_names or [f"{r.schema}.{r.name}" for r in input_tables])
        self.output_table = output_table
        self.sql = sql
        self.sql_file = sql_file
        self.script = script
        self.conf = dict(conf or {})
        self.packages = list(packages or [])
        self.py_files = list(py_files or [])
        self.master = master
        self.work_dir = work_dir
        self.keep_files = keep_files
        self._proc: subprocess.Popen[str] | None = None

    # -- what the task does -------------------------------------------------------------------------
    def execute(self, context: Any) -> Any:
        run_dir = pathlib.Path(self.work_dir) / job_spec.run_key(context)
        if run_dir.exists():
            shutil.rmtree(run_dir)
        run_dir.mkdir(parents=True)
        inputs = self._export_inputs(run_dir)
        output_dir = run_dir / "output"
        spec = {
            "task": f"{self.dag_id}.{self.task_id}",
            "kind": self.kind.split("/")[1],
            "inputs": inputs,
            "output": {
                "name": f"{self.output_table.schema}.{self.output_table.name}",
                "format": "parquet",
                "options": {"path": str(output_dir)},
            },
            "context": job_spec.job_context(context, self.task_id, self.dag_id, full_refresh_of(context)),
        }
        if self.kind == "spark/sql":
            spec["sql"] = self.sql or ""
        else:
            assert self.script is not None
            spec["script"] = {
                "path": self.script,
                "source": pathlib.Path(self.script).read_text(encoding="utf-8"),
            }
        spec_path = run_dir / "spec.json"
        spec_path.write_text(json.dumps(spec, indent=2), encoding="utf-8")
        self._run_spark(spec_path, run_dir)
        rows = self._load_output(output_dir)
        self.log.info("replaced %s with the Spark job's result: %d row(s)", self._shown(self.output_table), rows)
        if not self.keep_files:
            shutil.rmtree(run_dir, ignore_errors=True)
        return {"output": str(self.output_table), "rows": rows}

    def on_kill(self) -> None:
        self._stop()

    # -- steps ----------------------------------------------------------------------------------------
    def _export_inputs(self, run_dir: pathlib.Path) -> list[dict[str, Any]]:
        """Each input table as Parquet files; the warehouse is closed again before Spark starts."""
        exported: list[dict[str, Any]] = []
        if not self.input_tables:
            return exported
        with connect(self.target) as engine:
            self._check_engine(engine)
            for rel, name in zip(self.input_tables, self.input_names, strict=True):
                if not engine.columns(rel):
                    raise SparkJobFailed(
                        f"task {self.task_id!r}: input {name} does not exist in the warehouse of "
                        f"target {self.target.name!r}; run the task that builds it first (and list "
                        "it in dependencies)"
                    )
                folder = run_dir / "inputs" / f"{rel.schema}.{rel.name}"
                folder.mkdir(parents=True)
                path = folder / "data.parquet"
                engine.execute(
                    f"COPY (SELECT * FROM {engine.qualified(rel)}) TO {_sql_string(str(path))} (FORMAT parquet)"
                )
                self.log.info("exported input %s to %s", name, path)
                exported.append(
                    {
                        "name": name,
                        "schema": rel.schema,
                        "table": rel.name,
                        "format": "parquet",
                        "options": {"path": str(folder)},
                    }
                )
        return exported

    def _command(self, spec_path: pathlib.Path, run_dir: pathlib.Path) -> list[str]:
        conf = {
            **LOCAL_CONF,
            **self.conf,
            **FIXED_CONF,
            "spark.sql.warehouse.dir": str(run_dir / "warehouse"),
        }
        if self.packages:
            conf["spark.jars.packages"] = ",".join(
                [*filter(None, conf.get("spark.jars.packages", "").split(",")), *self.packages]
            )
        cmd = [spark_submit(), "--master", self.master, "--name", f"dop {self.dag_id}.{self.task_id}"]
        for key, value in conf.items():
            cmd += ["--conf", f"{key}={value}"]
        if self.py_files:
            cmd += ["--py-files", ",".join(self.py_files)]
        job = pathlib.Path(job_spec.__file__).with_name("job.py")
        return [*cmd, str(job), "--spec", str(spec_path)]

    def _run_spark(self, spec_path: pathlib.Path, run_dir: pathlib.Path) -> None:
        env = dict(os.environ)
        env.pop("SPARK_HOME", None)  # always the Spark of the installed pyspark
        env.update(
            {
                "PYSPARK_PYTHON": sys.executable,
                "PYSPARK_DRIVER_PYTHON": sys.executable,
                "SPARK_LOCAL_IP": "127.0.0.1",
            }
        )
        _check_java(env)
        cmd = self._command(spec_path, run_dir)
        self.log.info("running Spark (%s): %s", self.master, " ".join(cmd))
        error: dict[str, str] | None = None
        tail: list[str] = []
        try:
            self._proc = subprocess.Popen(
                cmd,
                env=env,
                cwd=run_dir,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                bufsize=1,
                start_new_session=True,  # its own process group: stopping it stops the JVM and Python workers
            )
            assert self._proc.stdout is not None
            for line in self._proc.stdout:
                line = line.rstrip("\n")
                if line.startswith(ERROR_MARK):
                    error = json.loads(line[len(ERROR_MARK) :])
                    continue
                if line.startswith(RESULT_MARK):
                    continue
                tail = [*tail[-29:], line]
                self.log.info("spark | %s", line)
            code = self._proc.wait()
        finally:
            self._stop()
        if code == 0:
            return
        where = f" ({self.sql_file or self.script})" if (self.sql_file or self.script) else ""
        if error is not None:
            reason = f"{error['type']}: {error['message']}"
        else:
            reason = f"spark-submit exited with status {code}; its last lines:\n" + "\n".join(tail)
        raise SparkJobFailed(
            f"task {self.task_id!r} [{self.kind}]{where}: the Spark job failed: {reason}\n(job files kept in {run_dir})"
        )

    def _load_output(self, output_dir: pathlib.Path) -> int:
        files = sorted(output_dir.glob("*.parquet"))
        if not files:
            raise SparkJobFailed(f"task {self.task_id!r}: the Spark job wrote no Parquet file to {output_dir}")
        pattern = _sql_string(str(output_dir / "*.parquet"))
        with connect(self.target) as engine:
            self._check_engine(engine)
            engine.create_schema(self.output_table.schema, self.output_table.database)
            # one statement: the old table stays in place until the new one is complete
            engine.execute(
                f"CREATE OR REPLACE TABLE {engine.qualified(self.output_table)} AS "
                f"SELECT * FROM read_parquet({pattern})"
            )
            return engine.row_count(self.output_table)

    def _check_engine(self, engine: Any) -> None:
        if engine.dialect != "duckdb":
            raise DopError(
                f"Spark local mode exchanges tables with a DuckDB warehouse; target {self.target.name!r} "
                f"is {self.target.engine}"
            )

    def _stop(self) -> None:
        """Stop the Spark job (a timeout, a kill from the UI) with every process it started."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.stdout is not None:
            proc.stdout.close()
        if proc.poll() is not None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, sig)  # the group of spark-submit (start_new_session), not ours
            try:
                proc.wait(timeout=20)
                return
            except subprocess.TimeoutExpired:
                continue

    @staticmethod
    def _shown(rel: Relation) -> str:
        return f"{rel.schema}.{rel.name}"


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
