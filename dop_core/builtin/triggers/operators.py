"""The wait tasks of DOP's built-in trigger kinds (``sql``, ``file``, ``gcs_object``, ``bigquery_table``).

``external_task`` uses the standard provider's ExternalTaskSensor as is. The Google sensors here are
thin: apache-airflow-providers-google's sensor modules import google-cloud when they are imported
(seconds, and hundreds of modules), so DOP builds the provider's sensor (and its trigger, when
deferring) only inside the running task. Parsing a DAG that waits for GCS or BigQuery therefore
imports no google-cloud module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseSensorOperator

from dop_core.contract.condition import DopAssertionSensor
from dop_core.contract.credentials import HiddenCredentialsMixin
from dop_core.contract.runtime import connect
from dop_core.contract.variable_params import VariableParamsMixin
from dop_core.errors import DopError, EngineError
from dop_core.secrets import redact


def sql_condition(columns: Sequence[str], rows: Sequence[Sequence[Any]], name: str) -> tuple[bool, str]:
    """Whether a trigger's SQL condition holds, and a readable report of what the query returned.

    Two shapes are accepted:

    - the assertion shape: columns ``success`` and ``description`` (plus any others); the condition
      holds when the query returns at least one row and every row succeeds;
    - one column: the condition holds when the query returns at least one row and every value is
      true or a non-zero number (so ``SELECT count(*) FROM t WHERE ...`` waits for rows).

    Unlike an assertion, a query returning no rows means "not yet": a trigger waits for evidence.
    """
    from dop_core.contract.condition import assertion_report

    lower = [c.lower() for c in columns]
    if "success" in lower and "description" in lower:
        from dop_core.contract.engine import QueryResult

        passed, report = assertion_report(QueryResult(list(columns), [tuple(r) for r in rows]), lower, name)
        if not rows:
            return False, f"sql trigger {name}: the query returned no rows yet"
        return passed, report.replace(f"assertion {name}:", f"sql trigger {name}:", 1)
    if len(columns) == 1:
        values = [row[0] for row in rows]
        met = bool(values) and all(_true(v) for v in values)
        shown = ", ".join(repr(v) for v in values[:5]) + (", ..." if len(values) > 5 else "")
        return met, (f"sql trigger {name}: {'condition met' if met else 'not yet'} "
                     f"({len(values)} row(s){': ' + shown if values else ''})")
    raise EngineError(f"sql trigger {name!r} must return either the columns success and description, or a single "
                      f"column (true / a non-zero number when the condition holds); its columns are "
                      f"{', '.join(columns) or 'none'}")


def _true(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if hasattr(value, "is_zero"):  # Decimal
        return not value.is_zero()
    return False


class DopSqlSensor(DopAssertionSensor):
    """Re-runs a SQL condition on the target's warehouse until it holds (the ``sql`` trigger).

    The warehouse is opened only for the length of each check, so other processes (and, on DuckDB,
    other tasks needing the warehouse file) can use it between checks.
    """

    ui_color = "#fff3c4"

    def poke(self, context: Any) -> bool:
        from dop_core.sql.dialects import check_query

        try:
            check_query(self.sql, self.dialect)
            with connect(self.target) as engine:
                result = engine.query(engine.translate(self.revealed("sql"), self.dialect))
        except DopError:
            raise
        except Exception as exc:
            raise self._failure(exc) from exc
        met, report = sql_condition(result.columns, result.rows, self.task_id)
        self.log.info("%s", redact(report))
        return met


class DopFileSensor(HiddenCredentialsMixin, VariableParamsMixin, BaseSensorOperator):
    """Waits until a path or glob exists, locally or at any fsspec URL (``gs://``, ``s3://``, ``sftp://``...).

    The paths found are returned as the task's XCom value (full URLs for remote file systems). A
    password in the URL stays out of Airflow (masked in the template field, the log and the XCom).
    """

    template_fields: Any = ("filepath",)
    ui_color = "#e8f5e9"

    def __init__(self, *, filepath: str, storage_options: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.filepath = filepath
        self.storage_options = storage_options or {}
        self.hide_credentials()

    def poke(self, context: Any) -> Any:
        import glob

        import fsspec
        from airflow.sdk import PokeReturnValue

        fs, path = fsspec.core.url_to_fs(self.revealed("filepath"), **self.storage_options)
        found = sorted(fs.glob(path)) if glob.has_magic(path) else ([path] if fs.exists(path) else [])
        if "://" in self.filepath:
            found = [redact(fs.unstrip_protocol(p)) for p in found]
        self.log.info("%s: %s", self.filepath, f"found {len(found)}: {', '.join(found[:10])}" if found else "not yet")
        return PokeReturnValue(is_done=bool(found), xcom_value=found or None)


class _GoogleSensor(VariableParamsMixin, BaseSensorOperator):
    """Builds the provider's sensor at run time; defers to the provider's trigger when ``deferrable``."""

    def __init__(self, *, gcp_conn_id: str = "google_cloud_default",
                 impersonation_chain: str | Sequence[str] | None = None, deferrable: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.gcp_conn_id = gcp_conn_id
        self.impersonation_chain = impersonation_chain
        self.deferrable = deferrable

    def provider_sensor(self) -> Any:  # the provider's sensor doing the same check
        raise NotImplementedError

    def provider_trigger(self, sensor: Any) -> Any:  # what the triggerer runs while the task is deferred
        raise NotImplementedError

    def _common(self) -> dict[str, Any]:
        return {"task_id": self.task_id, "poke_interval": self.poke_interval, "timeout": self.timeout,
                "mode": self.mode, "soft_fail": self.soft_fail, "deferrable": self.deferrable,
                "impersonation_chain": self.impersonation_chain}

    def poke(self, context: Any) -> bool:
        return bool(self.provider_sensor().poke(context))

    def execute(self, context: Any) -> Any:
        from dop_core.extras import GOOGLE_EXTRA

        GOOGLE_EXTRA.require(f"task {self.task_id!r} ({type(self).__name__})")
        if not self.deferrable:
            return super().execute(context)
        sensor = self.provider_sensor()
        if sensor.poke(context):  # already there: no need to hand over to the triggerer
            return True
        self.defer(trigger=self.provider_trigger(sensor), method_name="execute_complete",
                   timeout=dt.timedelta(seconds=self.timeout))
        return None

    def execute_complete(self, context: Any, event: Any = None) -> Any:
        return self.provider_sensor().execute_complete(context, event)


class DopGcsObjectSensor(_GoogleSensor):
    """Waits for an object (or, with a glob, any object matching it) in a GCS bucket."""

    template_fields: Any = ("bucket", "object", "impersonation_chain")
    ui_color = "#e1f0ff"

    def __init__(self, *, bucket: str, object: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bucket = bucket
        self.object = object

    @property
    def use_glob(self) -> bool:
        import glob

        return glob.has_magic(self.object)

    def provider_sensor(self) -> Any:
        from airflow.providers.google.cloud.sensors.gcs import GCSObjectExistenceSensor

        return GCSObjectExistenceSensor(bucket=self.bucket, object=self.object, use_glob=self.use_glob,
                                        google_cloud_conn_id=self.gcp_conn_id, **self._common())

    def provider_trigger(self, sensor: Any) -> Any:
        from airflow.providers.google.cloud.triggers.gcs import GCSBlobTrigger

        return GCSBlobTrigger(bucket=self.bucket, object_name=self.object, use_glob=self.use_glob,
                              poke_interval=self.poke_interval, google_cloud_conn_id=self.gcp_conn_id,
                              hook_params={"impersonation_chain": self.impersonation_chain})


class DopBigQueryTableSensor(_GoogleSensor):
    """Waits for a BigQuery table, or for one partition of it (``partition_id`` such as ``20240131``)."""

    template_fields: Any = ("project_id", "dataset_id", "table_id", "partition_id", "impersonation_chain")
    ui_color = "#e1f0ff"

    def __init__(self, *, project_id: str | None, dataset_id: str, table_id: str, partition_id: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.project_id = project_id
        self.dataset_id = dataset_id
        self.table_id = table_id
        self.partition_id = partition_id

    def _project(self) -> str:
        if not self.project_id:
            raise DopError(f"{self.task_id}: table {self.dataset_id}.{self.table_id} names no GCP project and the "
                           "target has none: write the table as project.dataset.table, or run on a BigQuery target "
                           "with `project:` set")
        return self.project_id

    def provider_sensor(self) -> Any:
        from airflow.providers.google.cloud.sensors import bigquery as s

        where: dict[str, Any] = {"project_id": self._project(), "dataset_id": self.dataset_id,
                                 "table_id": self.table_id, "gcp_conn_id": self.gcp_conn_id}
        if self.partition_id:
            return s.BigQueryTablePartitionExistenceSensor(partition_id=self.partition_id, **where, **self._common())
        return s.BigQueryTableExistenceSensor(**where, **self._common())

    def provider_trigger(self, sensor: Any) -> Any:
        from airflow.providers.google.cloud.triggers import bigquery as t

        where: dict[str, Any] = {
            "project_id": self._project(), "dataset_id": self.dataset_id, "table_id": self.table_id,
            "poll_interval": self.poke_interval, "gcp_conn_id": self.gcp_conn_id,
            "impersonation_chain": self.impersonation_chain,
            "hook_params": {"impersonation_chain": self.impersonation_chain}}
        if self.partition_id:
            return t.BigQueryTablePartitionExistenceTrigger(partition_id=self.partition_id, **where)
        return t.BigQueryTableExistenceTrigger(**where)
