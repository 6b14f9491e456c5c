"""Where the operators of Airflow 1 and 2 live on Airflow 3, for ``airflow_operator`` tasks written for the
original DOP (Airflow 1.10: ``airflow.contrib...``, ``airflow.operators.*_operator``).

Each old dotted path maps to its Airflow 3 class and the distribution that ships it. A *drop-in* successor
takes the same arguments: DOP builds it in place of the old path (with a warning naming the new one). Any
other successor is named in an error, since its ``options.arguments`` must be rewritten.
"""

from __future__ import annotations

import re

import attrs


@attrs.frozen
class Moved:
    path: str
    distribution: str
    drop_in: bool = True


STANDARD = "apache-airflow-providers-standard"
GOOGLE = "apache-airflow-providers-google"
COMMON_SQL = "apache-airflow-providers-common-sql"

_STD_OPS = "airflow.providers.standard.operators."
_STD_SENSORS = "airflow.providers.standard.sensors."
_GCP = "airflow.providers.google.cloud."
_SQL = "airflow.providers.common.sql."


def _table() -> dict[str, Moved]:
    std = {
        "EmptyOperator": _STD_OPS + "empty.EmptyOperator",
        "BashOperator": _STD_OPS + "bash.BashOperator",
        "PythonOperator": _STD_OPS + "python.PythonOperator",
        "BranchPythonOperator": _STD_OPS + "python.BranchPythonOperator",
        "ShortCircuitOperator": _STD_OPS + "python.ShortCircuitOperator",
        "TriggerDagRunOperator": _STD_OPS + "trigger_dagrun.TriggerDagRunOperator",
        "LatestOnlyOperator": _STD_OPS + "latest_only.LatestOnlyOperator",
        "BranchDateTimeOperator": _STD_OPS + "datetime.BranchDateTimeOperator",
        "BranchDayOfWeekOperator": _STD_OPS + "weekday.BranchDayOfWeekOperator",
        "ExternalTaskSensor": _STD_SENSORS + "external_task.ExternalTaskSensor",
        "ExternalTaskMarker": _STD_SENSORS + "external_task.ExternalTaskMarker",
        "TimeDeltaSensor": _STD_SENSORS + "time_delta.TimeDeltaSensor",
        "TimeSensor": _STD_SENSORS + "time.TimeSensor",
        "DateTimeSensor": _STD_SENSORS + "date_time.DateTimeSensor",
        "FileSensor": _STD_SENSORS + "filesystem.FileSensor",
        "PythonSensor": _STD_SENSORS + "python.PythonSensor",
        "BashSensor": _STD_SENSORS + "bash.BashSensor",
        "DayOfWeekSensor": _STD_SENSORS + "weekday.DayOfWeekSensor",
    }
    old_standard = {
        # Airflow 1.10
        "airflow.operators.dummy_operator.DummyOperator": "EmptyOperator",
        "airflow.operators.bash_operator.BashOperator": "BashOperator",
        "airflow.operators.python_operator.PythonOperator": "PythonOperator",
        "airflow.operators.python_operator.BranchPythonOperator": "BranchPythonOperator",
        "airflow.operators.python_operator.ShortCircuitOperator": "ShortCircuitOperator",
        "airflow.operators.dagrun_operator.TriggerDagRunOperator": "TriggerDagRunOperator",
        "airflow.operators.latest_only_operator.LatestOnlyOperator": "LatestOnlyOperator",
        "airflow.sensors.external_task_sensor.ExternalTaskSensor": "ExternalTaskSensor",
        "airflow.sensors.external_task_sensor.ExternalTaskMarker": "ExternalTaskMarker",
        "airflow.sensors.time_delta_sensor.TimeDeltaSensor": "TimeDeltaSensor",
        "airflow.sensors.time_sensor.TimeSensor": "TimeSensor",
        "airflow.sensors.date_time_sensor.DateTimeSensor": "DateTimeSensor",
        "airflow.contrib.sensors.file_sensor.FileSensor": "FileSensor",
        "airflow.contrib.sensors.python_sensor.PythonSensor": "PythonSensor",
        "airflow.contrib.sensors.bash_sensor.BashSensor": "BashSensor",
        "airflow.contrib.sensors.weekday_sensor.DayOfWeekSensor": "DayOfWeekSensor",
        # Airflow 2
        "airflow.operators.dummy.DummyOperator": "EmptyOperator",
        "airflow.operators.empty.EmptyOperator": "EmptyOperator",
        "airflow.operators.bash.BashOperator": "BashOperator",
        "airflow.operators.python.PythonOperator": "PythonOperator",
        "airflow.operators.python.BranchPythonOperator": "BranchPythonOperator",
        "airflow.operators.python.ShortCircuitOperator": "ShortCircuitOperator",
        "airflow.operators.trigger_dagrun.TriggerDagRunOperator": "TriggerDagRunOperator",
        "airflow.operators.latest_only.LatestOnlyOperator": "LatestOnlyOperator",
        "airflow.operators.datetime.BranchDateTimeOperator": "BranchDateTimeOperator",
        "airflow.operators.weekday.BranchDayOfWeekOperator": "BranchDayOfWeekOperator",
        "airflow.sensors.external_task.ExternalTaskSensor": "ExternalTaskSensor",
        "airflow.sensors.external_task.ExternalTaskMarker": "ExternalTaskMarker",
        "airflow.sensors.time_delta.TimeDeltaSensor": "TimeDeltaSensor",
        "airflow.sensors.date_time.DateTimeSensor": "DateTimeSensor",
        "airflow.sensors.filesystem.FileSensor": "FileSensor",
        "airflow.sensors.python.PythonSensor": "PythonSensor",
        "airflow.sensors.bash.BashSensor": "BashSensor",
        "airflow.sensors.weekday.DayOfWeekSensor": "DayOfWeekSensor",
    }
    table = {old: Moved(std[name], STANDARD) for old, name in old_standard.items()}
    contrib = "airflow.contrib.operators."
    table.update({
        # Google Cloud (Airflow 1.10 contrib)
        contrib + "bigquery_operator.BigQueryOperator": Moved(_GCP + "operators.bigquery.BigQueryInsertJobOperator",
                                                              GOOGLE, drop_in=False),
        contrib + "bigquery_operator.BigQueryCreateEmptyTableOperator":
            Moved(_GCP + "operators.bigquery.BigQueryCreateTableOperator", GOOGLE, drop_in=False),
        contrib + "bigquery_operator.BigQueryCreateEmptyDatasetOperator":
            Moved(_GCP + "operators.bigquery.BigQueryCreateEmptyDatasetOperator", GOOGLE),
        contrib + "bigquery_operator.BigQueryDeleteDatasetOperator":
            Moved(_GCP + "operators.bigquery.BigQueryDeleteDatasetOperator", GOOGLE),
        contrib + "bigquery_check_operator.BigQueryCheckOperator":
            Moved(_GCP + "operators.bigquery.BigQueryCheckOperator", GOOGLE),
        contrib + "bigquery_check_operator.BigQueryValueCheckOperator":
            Moved(_GCP + "operators.bigquery.BigQueryValueCheckOperator", GOOGLE),
        contrib + "bigquery_table_delete_operator.BigQueryTableDeleteOperator":
            Moved(_GCP + "operators.bigquery.BigQueryDeleteTableOperator", GOOGLE),
        contrib + "bigquery_to_gcs.BigQueryToCloudStorageOperator":
            Moved(_GCP + "transfers.bigquery_to_gcs.BigQueryToGCSOperator", GOOGLE),
        contrib + "bigquery_to_bigquery.BigQueryToBigQueryOperator":
            Moved(_GCP + "transfers.bigquery_to_bigquery.BigQueryToBigQueryOperator", GOOGLE),
        contrib + "gcs_to_bq.GoogleCloudStorageToBigQueryOperator":
            Moved(_GCP + "transfers.gcs_to_bigquery.GCSToBigQueryOperator", GOOGLE),
        contrib + "gcs_to_gcs.GoogleCloudStorageToGoogleCloudStorageOperator":
            Moved(_GCP + "transfers.gcs_to_gcs.GCSToGCSOperator", GOOGLE),
        contrib + "gcs_delete_operator.GoogleCloudStorageDeleteOperator":
            Moved(_GCP + "operators.gcs.GCSDeleteObjectsOperator", GOOGLE),
        contrib + "file_to_gcs.FileToGoogleCloudStorageOperator":
            Moved(_GCP + "transfers.local_to_gcs.LocalFilesystemToGCSOperator", GOOGLE),
        contrib + "dataflow_operator.DataflowTemplateOperator":
            Moved(_GCP + "operators.dataflow.DataflowTemplatedJobStartOperator", GOOGLE + "[apache.beam]"),
        contrib + "dataflow_operator.DataFlowPythonOperator":
            Moved("airflow.providers.apache.beam.operators.beam.BeamRunPythonPipelineOperator",
                  "apache-airflow-providers-apache-beam", drop_in=False),
        contrib + "dataflow_operator.DataFlowJavaOperator":
            Moved("airflow.providers.apache.beam.operators.beam.BeamRunJavaPipelineOperator",
                  "apache-airflow-providers-apache-beam", drop_in=False),
        contrib + "dataproc_operator.DataprocClusterCreateOperator":
            Moved(_GCP + "operators.dataproc.DataprocCreateClusterOperator", GOOGLE, drop_in=False),
        contrib + "dataproc_operator.DataprocClusterDeleteOperator":
            Moved(_GCP + "operators.dataproc.DataprocDeleteClusterOperator", GOOGLE),
        contrib + "dataproc_operator.DataProcPySparkOperator":
            Moved(_GCP + "operators.dataproc.DataprocSubmitJobOperator", GOOGLE, drop_in=False),
        contrib + "pubsub_operator.PubSubPublishOperator":
            Moved(_GCP + "operators.pubsub.PubSubPublishMessageOperator", GOOGLE, drop_in=False),
        "airflow.contrib.sensors.gcs_sensor.GoogleCloudStorageObjectSensor":
            Moved(_GCP + "sensors.gcs.GCSObjectExistenceSensor", GOOGLE),
        "airflow.contrib.sensors.bigquery_sensor.BigQueryTableSensor":
            Moved(_GCP + "sensors.bigquery.BigQueryTableExistenceSensor", GOOGLE),
        # other providers
        contrib + "kubernetes_pod_operator.KubernetesPodOperator":
            Moved("airflow.providers.cncf.kubernetes.operators.pod.KubernetesPodOperator",
                  "apache-airflow-providers-cncf-kubernetes"),
        contrib + "ssh_operator.SSHOperator": Moved("airflow.providers.ssh.operators.ssh.SSHOperator",
                                                   "apache-airflow-providers-ssh"),
        contrib + "sftp_operator.SFTPOperator": Moved("airflow.providers.sftp.operators.sftp.SFTPOperator",
                                                     "apache-airflow-providers-sftp"),
        contrib + "slack_webhook_operator.SlackWebhookOperator":
            Moved("airflow.providers.slack.operators.slack_webhook.SlackWebhookOperator",
                  "apache-airflow-providers-slack"),
        contrib + "spark_submit_operator.SparkSubmitOperator":
            Moved("airflow.providers.apache.spark.operators.spark_submit.SparkSubmitOperator",
                  "apache-airflow-providers-apache-spark"),
        "airflow.operators.slack_operator.SlackAPIPostOperator":
            Moved("airflow.providers.slack.operators.slack.SlackAPIPostOperator", "apache-airflow-providers-slack"),
        "airflow.operators.docker_operator.DockerOperator":
            Moved("airflow.providers.docker.operators.docker.DockerOperator", "apache-airflow-providers-docker"),
        "airflow.operators.http_operator.SimpleHttpOperator":
            Moved("airflow.providers.http.operators.http.HttpOperator", "apache-airflow-providers-http"),
        "airflow.sensors.http_sensor.HttpSensor":
            Moved("airflow.providers.http.sensors.http.HttpSensor", "apache-airflow-providers-http"),
        "airflow.sensors.s3_key_sensor.S3KeySensor":
            Moved("airflow.providers.amazon.aws.sensors.s3.S3KeySensor", "apache-airflow-providers-amazon"),
        "airflow.operators.email_operator.EmailOperator":
            Moved("airflow.providers.smtp.operators.smtp.EmailOperator", "apache-airflow-providers-smtp"),
        "airflow.operators.email.EmailOperator":
            Moved("airflow.providers.smtp.operators.smtp.EmailOperator", "apache-airflow-providers-smtp"),
        "airflow.sensors.sql_sensor.SqlSensor": Moved(_SQL + "sensors.sql.SqlSensor", COMMON_SQL),
        "airflow.operators.check_operator.CheckOperator": Moved(_SQL + "operators.sql.SQLCheckOperator", COMMON_SQL),
        "airflow.operators.check_operator.ValueCheckOperator":
            Moved(_SQL + "operators.sql.SQLValueCheckOperator", COMMON_SQL),
        "airflow.operators.check_operator.IntervalCheckOperator":
            Moved(_SQL + "operators.sql.SQLIntervalCheckOperator", COMMON_SQL),
        "airflow.operators.postgres_operator.PostgresOperator":
            Moved(_SQL + "operators.sql.SQLExecuteQueryOperator", COMMON_SQL, drop_in=False),
        "airflow.operators.mysql_operator.MySqlOperator":
            Moved(_SQL + "operators.sql.SQLExecuteQueryOperator", COMMON_SQL, drop_in=False),
    })
    return table


MOVED_OPERATORS: dict[str, Moved] = _table()

_AIRFLOW_1 = re.compile(r"^airflow\.(contrib\.|(operators|sensors)\.\w+_(operator|sensor)\.)")
PROVIDERS_INDEX = "https://airflow.apache.org/docs/apache-airflow-providers/operators-and-hooks-ref/"


def followed(path: str) -> str:
    """The class path DOP imports for ``path``: its drop-in Airflow 3 successor, or ``path`` itself."""
    moved = MOVED_OPERATORS.get(path)
    return moved.path if moved is not None and moved.drop_in else path


def is_airflow_1_path(path: str) -> bool:
    """``airflow.contrib...`` or ``airflow.operators.<name>_operator...``: a module Airflow 3 no longer has."""
    return bool(_AIRFLOW_1.match(path))
