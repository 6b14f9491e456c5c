"""Spark on Dataproc for BigQuery targets: a Serverless batch, or a job on an existing cluster.

The task's Dataproc request (``batch`` or ``job``, the dicts of
:class:`~airflow.providers.google.cloud.operators.dataproc.DataprocCreateBatchOperator` and
:class:`~airflow.providers.google.cloud.operators.dataproc.DataprocSubmitJobOperator`) is built at
parse time and visible on the task. The provider's Dataproc module imports google-cloud (seconds),
so this operator is a thin wrapper: it imports the provider only in ``execute``, where it uploads the
job runner, the job spec (the rendered SQL or the script, the inputs, the context) and the py_files
to the staging bucket, then runs the provider's operator. Nothing runs Spark in the Airflow worker.
"""

from __future__ import annotations

import copy
import json
import pathlib
import re
from typing import Any

from airflow.sdk import BaseOperator

from dop_core import GOOGLE_EXTRA, DopError, VariableParamsMixin, full_refresh_of
from dop_spark import spec as job_spec

#: stands for the task attempt in the spec URI of the request until ``execute`` fills it in
RUN_PLACEHOLDER = "{run}"


def label(value: str) -> str:
    """A valid GCP label value: lowercase letters, digits, - and _, at most 63 characters."""
    return re.sub(r"[^a-z0-9_-]+", "-", value.lower())[:63]


def batch_id_prefix(dag_id: str, task_id: str) -> str:
    """The prefix of the batch ids of a task (the provider adds ``-<8 hex>``; 4-63 chars of [a-z0-9-])."""
    text = re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9-]+", "-", f"{dag_id}-{task_id}".lower())).strip("-")
    if not text[:1].isalpha():
        text = f"dop-{text}"
    return text[:54].rstrip("-")


def split_gcs(uri: str) -> tuple[str, str]:
    bucket, _, name = uri.removeprefix("gs://").partition("/")
    return bucket, name


class DopDataprocSparkOperator(VariableParamsMixin, BaseOperator):
    """Runs one Spark task on Dataproc (``mode`` serverless: a batch; cluster: a job) against BigQuery."""

    template_fields: Any = ("sql", "batch", "job", "region", "project_id")
    template_ext: Any = (".sql",)
    template_fields_renderers = {"sql": "sql", "batch": "json", "job": "json"}
    ui_color = "#fde3cf"

    def __init__(
        self,
        *,
        kind: str,
        mode: str,
        region: str,
        project_id: str | None,
        staging: str,
        spec_inputs: list[dict[str, Any]],
        spec_output: dict[str, Any],
        batch: dict[str, Any] | None = None,
        job: dict[str, Any] | None = None,
        sql: str | None = None,
        sql_file: str | None = None,
        script: str | None = None,
        py_files: dict[str, str] | None = None,
        gcp_conn_id: str = "google_cloud_default",
        impersonation_chain: Any = None,
        batch_id_prefix: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if mode not in ("serverless", "cluster"):
            raise ValueError(f"mode {mode!r} is not serverless or cluster")
        self.kind = kind
        self.mode = mode
        self.region = region
        self.project_id = project_id
        self.staging = staging
        self.spec_inputs = spec_inputs
        self.spec_output = spec_output
        self.batch = batch
        self.job = job
        self.sql = sql
        self.sql_file = sql_file
        self.script = script
        self.py_files = dict(py_files or {})  # local path -> gs:// URI
        self.gcp_conn_id = gcp_conn_id
        self.impersonation_chain = impersonation_chain
        self.batch_id_prefix = batch_id_prefix

    @property
    def request(self) -> dict[str, Any]:
        """The batch (serverless) or job (cluster) this task submits."""
        request = self.batch if self.mode == "serverless" else self.job
        assert request is not None
        return request

    @property
    def spark_job(self) -> dict[str, Any]:
        """The PySpark part of the request (``pyspark_batch`` or ``pyspark_job``)."""
        return self.request["pyspark_batch" if self.mode == "serverless" else "pyspark_job"]

    def execute(self, context: Any) -> Any:
        GOOGLE_EXTRA.require(f"Spark task {self.task_id!r} on Dataproc")
        key = job_spec.run_key(context)
        request = copy.deepcopy(self.request)
        part = request["pyspark_batch" if self.mode == "serverless" else "pyspark_job"]
        part["args"] = [a.replace(RUN_PLACEHOLDER, key) for a in part["args"]]
        spec_uri = part["args"][part["args"].index("--spec") + 1]
        self._upload(context, spec_uri, part["main_python_file_uri"])
        self.log.info(
            "submitting to Dataproc (%s, region %s):\n%s",
            self.mode,
            self.region,
            json.dumps(request, indent=2),
        )
        return self._submit(context, request)

    def _spec(self, context: Any) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "task": f"{self.dag_id}.{self.task_id}",
            "kind": self.kind.split("/")[1],
            "inputs": self.spec_inputs,
            "output": self.spec_output,
            "context": job_spec.job_context(context, self.task_id, self.dag_id, full_refresh_of(context)),
        }
        if self.kind == "spark/sql":
            spec["sql"] = self.sql or ""
        else:
            assert self.script is not None
            spec["script"] = {
                "path": pathlib.Path(self.script).name,
                "source": pathlib.Path(self.script).read_text(encoding="utf-8"),
            }
        return spec

    def _upload(self, context: Any, spec_uri: str, runner_uri: str) -> None:
        from airflow.providers.google.cloud.hooks.gcs import GCSHook

        hook = GCSHook(gcp_conn_id=self.gcp_conn_id, impersonation_chain=self.impersonation_chain)
        uploads: list[tuple[str, bytes]] = [
            (runner_uri, job_spec.job_source().encode("utf-8")),
            (spec_uri, json.dumps(self._spec(context), indent=2).encode("utf-8")),
        ]
        uploads += [(uri, pathlib.Path(path).read_bytes()) for path, uri in self.py_files.items()]
        for uri, data in uploads:
            bucket, name = split_gcs(uri)
            hook.upload(bucket_name=bucket, object_name=name, data=data)
            self.log.info("uploaded %s", uri)

    def _submit(self, context: Any, request: dict[str, Any]) -> Any:
        common = {
            "task_id": self.task_id,
            "region": self.region,
            "gcp_conn_id": self.gcp_conn_id,
            "impersonation_chain": self.impersonation_chain,
        }
        if self.project_id:
            common["project_id"] = self.project_id
        try:
            if self.mode == "serverless":
                from airflow.providers.google.cloud.operators.dataproc import DataprocCreateBatchOperator

                inner: Any = DataprocCreateBatchOperator(batch=request, batch_id_prefix=self.batch_id_prefix, **common)
            else:
                from airflow.providers.google.cloud.operators.dataproc import DataprocSubmitJobOperator

                inner = DataprocSubmitJobOperator(job=request, **common)
            return inner.execute(context)
        except DopError:
            raise
        except Exception as exc:
            where = f" ({self.sql_file or self.script})" if (self.sql_file or self.script) else ""
            raise DopError(
                f"task {self.task_id!r} [{self.kind}]{where}: the Dataproc {self.mode} job failed: "
                f"{type(exc).__name__}: {exc}\n(the driver's output, with Spark's error, is in Cloud "
                "Logging and the Dataproc console)"
            ) from exc
