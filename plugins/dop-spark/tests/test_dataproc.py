"""Spark tasks on BigQuery targets become Dataproc requests (checked on the built DAG; no cloud call)."""

from __future__ import annotations

import json
import subprocess
import sys
import types

import pytest
from conftest import PROD_TARGETS, write_shop

from dop_core.testing import build_one, clean_env

pytestmark = pytest.mark.usefixtures("spark_plugin")

STAGING = "gs://acme-dop/spark/shop_project/dop__shop"


@pytest.fixture
def prod_dag(dop_project):
    write_shop(dop_project, PROD_TARGETS)
    return build_one(dop_project.project(), "shop", "prod")


def test_spark_sql_on_bigquery_is_a_dataproc_serverless_batch(prod_dag):
    op = prod_dag.get_task("customer_totals")
    assert type(op).__name__ == "DopDataprocSparkOperator"
    assert (op.mode, op.region, op.project_id) == ("serverless", "europe-west2", "acme-data")
    assert op.gcp_conn_id == "google_cloud_default"
    assert op.impersonation_chain == "dop-runner@acme-data.iam.gserviceaccount.com"
    assert op.batch_id_prefix == "dop-shop-customer-totals"
    assert op.job is None
    assert op.batch == {
        "pyspark_batch": {
            "main_python_file_uri": "gs://acme-dop/spark/shop_project/_dop/dop_spark_job-0.1.0.py",
            "args": ["--spec", f"{STAGING}/customer_totals/runs/{{run}}/spec.json"],
            "python_file_uris": [],
            "jar_file_uris": [],
        },
        "runtime_config": {
            "version": "2.2",
            "properties": {
                "spark.sql.session.timeZone": "UTC",
                "spark.sql.shuffle.partitions": "2",  # the task's conf over plugins.spark's 64
                "spark.sql.catalogImplementation": "in-memory",
                "spark.sql.warehouse.dir": "file:///tmp/dop-spark-warehouse",
            },
        },
        "labels": {"team": "data", "dop-dag": "dop__shop", "dop-task": "customer_totals"},
        "environment_config": {
            "execution_config": {
                "service_account": "spark@acme-data.iam.gserviceaccount.com",
                "subnetwork_uri": "projects/acme-data/regions/europe-west2/subnetworks/dataproc",
            }
        },
    }
    # the inputs and the output are BigQuery tables, read and written by the Spark BigQuery connector
    assert op.spec_inputs == [
        {
            "name": "shop.orders",
            "schema": "shop",
            "table": "orders",
            "format": "bigquery",
            "options": {"table": "acme-data.shop.orders", "parentProject": "acme-data"},
        }
    ]
    assert op.spec_output == {
        "name": "shop.customer_totals",
        "format": "bigquery",
        "mode": "overwrite",
        "options": {
            "table": "acme-data.shop.customer_totals",
            "writeMethod": "direct",
            "parentProject": "acme-data",
        },
    }
    assert op.sql == "sql/customer_totals.sql"


def test_the_sql_is_rendered_with_the_airflow_context(prod_dag):
    op = prod_dag.get_task("customer_totals")
    rendered = op.render_template(op.sql, {"ds": "2024-03-01"}, jinja_env=prod_dag.get_template_env())
    assert "DATE '2024-03-01' AS day" in rendered


def test_pyspark_on_a_cluster_is_a_dataproc_job(dop_project):
    write_shop(dop_project, PROD_TARGETS)
    config = dop_project.root / "orchestration" / "shop" / "config.yaml"
    config.write_text(
        config.read_text().replace(
            "output: shop.tiered_customers",
            "output: shop.tiered_customers\n      packages: [org.example:extras_2.13:1.0]\n"
            "      py_files: [lib/tiers.py]",
        )
    )
    dop_project.write("orchestration/shop/lib/tiers.py", "GOLD = 100\n")
    dag = build_one(dop_project.project(), "shop", "prod_cluster")
    op = dag.get_task("customer_tiers")
    assert (op.mode, op.region, op.batch) == ("cluster", "europe-west1", None)
    base = "gs://acme-dop/shop_project/dop__shop/customer_tiers"
    assert op.job == {
        "placement": {"cluster_name": "etl-cluster"},
        "pyspark_job": {
            "main_python_file_uri": "gs://acme-dop/shop_project/_dop/dop_spark_job-0.1.0.py",
            "args": ["--spec", f"{base}/runs/{{run}}/spec.json"],
            "python_file_uris": [f"{base}/py_files/tiers.py"],
            "jar_file_uris": [],
            "properties": {
                "spark.sql.session.timeZone": "UTC",
                "spark.sql.shuffle.partitions": "64",
                "spark.sql.catalogImplementation": "in-memory",
                "spark.sql.warehouse.dir": "file:///tmp/dop-spark-warehouse",
                "spark.jars.packages": "org.example:extras_2.13:1.0",
            },
        },
        "labels": {"dop-dag": "dop__shop", "dop-task": "customer_tiers"},
        "reference": {"project_id": "acme-data"},
    }
    assert op.spec_output["options"] == {
        "table": "acme-data.shop.tiered_customers",
        "writeMethod": "indirect",
        "temporaryGcsBucket": "acme-tmp",
        "parentProject": "acme-data",
    }
    assert op.script.endswith("orchestration/shop/spark/customer_tiers.py")


def test_an_execution_timeout_also_bounds_the_serverless_batch(dop_project):
    write_shop(dop_project, PROD_TARGETS)
    config = dop_project.root / "orchestration" / "shop" / "config.yaml"
    config.write_text(
        config.read_text().replace(
            "  - identifier: customer_totals\n",
            "  - identifier: customer_totals\n    execution_timeout: 1h\n",
        )
    )
    op = build_one(dop_project.project(), "shop", "prod").get_task("customer_totals")
    assert op.batch["environment_config"]["execution_config"]["ttl"] == "3600s"


def test_execute_uploads_the_job_and_submits_the_batch(prod_dag, monkeypatch):
    """The Cloud Storage and Dataproc clients are replaced by recorders (no cloud here)."""
    from airflow.providers.google.cloud.hooks import gcs
    from airflow.providers.google.cloud.operators import dataproc

    uploads: dict[str, bytes] = {}
    submitted: list[dict] = []

    class RecordingGCSHook:
        def __init__(self, **kwargs):
            assert kwargs["impersonation_chain"] == "dop-runner@acme-data.iam.gserviceaccount.com"

        def upload(self, bucket_name, object_name, data):
            uploads[f"gs://{bucket_name}/{object_name}"] = data

    class RecordingBatchOperator:
        def __init__(self, **kwargs):
            submitted.append(kwargs)

        def execute(self, context):
            return {"state": "SUCCEEDED"}

    monkeypatch.setattr(gcs, "GCSHook", RecordingGCSHook)
    monkeypatch.setattr(dataproc, "DataprocCreateBatchOperator", RecordingBatchOperator)
    op = prod_dag.get_task("customer_totals")
    context = {
        "ds": "2024-03-01",
        "ds_nodash": "20240301",
        "run_id": "manual__2024-03-01T00:00:00+00:00",
        "params": {"gold_threshold": 100, "full_refresh": False},
        "ti": types.SimpleNamespace(try_number=2),
        "dag_run": types.SimpleNamespace(conf={"x": 1}),
    }
    op.render_template_fields(context, prod_dag.get_template_env())
    assert op.execute(context) == {"state": "SUCCEEDED"}

    spec_uri = f"{STAGING}/customer_totals/runs/manual__2024-03-01T00_00_00_00_00-try2/spec.json"
    assert sorted(uploads) == ["gs://acme-dop/spark/shop_project/_dop/dop_spark_job-0.1.0.py", spec_uri]
    runner = uploads["gs://acme-dop/spark/shop_project/_dop/dop_spark_job-0.1.0.py"].decode()
    assert "def register_inputs(" in runner
    spec = json.loads(uploads[spec_uri])
    assert spec["kind"] == "sql"
    assert "DATE '2024-03-01' AS day" in spec["sql"]
    assert spec["inputs"][0]["options"]["table"] == "acme-data.shop.orders"
    assert spec["output"]["options"]["table"] == "acme-data.shop.customer_totals"
    assert spec["context"]["ds"] == "2024-03-01"
    assert spec["context"]["params"] == {"gold_threshold": 100, "full_refresh": False}
    assert spec["context"]["run_conf"] == {"x": 1}

    (kwargs,) = submitted
    assert kwargs["batch"]["pyspark_batch"]["args"] == ["--spec", spec_uri]
    assert kwargs["batch_id_prefix"] == "dop-shop-customer-totals"
    assert (kwargs["region"], kwargs["project_id"]) == ("europe-west2", "acme-data")
    # the request on the task itself keeps its placeholder for the next attempt
    assert op.batch["pyspark_batch"]["args"][1].endswith("/runs/{run}/spec.json")


def test_parsing_imports_neither_google_cloud_nor_pyspark_nor_duckdb(dop_project):
    write_shop(dop_project, PROD_TARGETS)
    code = """
import sys
before = set(sys.modules)  # google.cloud may be there already: a namespace package made by a *-nspkg.pth file
from dop_core import build_dags
for target in ("local", "prod", "prod_cluster"):
    dags = build_dags(sys.argv[1], target)
    assert "config_error" not in [t.task_id for t in dags["dop__shop"].tasks], target
heavy_prefixes = ("google.cloud", "google.api_core", "pyspark", "duckdb")
heavy = sorted(m for m in set(sys.modules) - before if m.startswith(heavy_prefixes))
print(heavy)
"""
    env = clean_env(DOP_PLUGINS="spark")
    result = subprocess.run(
        [sys.executable, "-c", code, str(dop_project.root)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_an_input_in_another_project_keeps_its_name_as_written(dop_project):
    write_shop(dop_project, PROD_TARGETS)
    config = dop_project.root / "orchestration" / "shop" / "config.yaml"
    config.write_text(
        config.read_text().replace("inputs: [shop.orders]\n", "inputs: [shop.orders, ref-data.geo.countries]\n", 1)
    )
    op = build_one(dop_project.project(), "shop", "prod").get_task("customer_totals")
    assert op.spec_inputs[1] == {
        "name": "ref-data.geo.countries",  # inputs["ref-data.geo.countries"] in transform(); geo.countries in SQL
        "schema": "geo",
        "table": "countries",
        "format": "bigquery",
        "options": {"table": "ref-data.geo.countries", "parentProject": "acme-data"},
    }
