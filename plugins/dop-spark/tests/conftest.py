"""Shared fixtures of dop-spark's tests: an example project with Spark tasks, and Java for Spark local mode."""

from __future__ import annotations

import os
import pathlib
import shutil

import pytest

from dop_core.testing import missing_server


@pytest.fixture(scope="session")
def java() -> str:
    """The ``java`` Spark local mode runs (``$JAVA_HOME/bin/java``, else from PATH), as Spark finds it."""
    home = os.environ.get("JAVA_HOME")
    found = str(pathlib.Path(home) / "bin" / "java") if home else shutil.which("java")
    if not (found and os.path.isfile(found)):
        missing_server("Java 17+ for Spark local mode (" + (f"JAVA_HOME={home} has no bin/java)" if home
                       else "no JAVA_HOME and no java on PATH)"),
                       "run .ci/test-servers java (as root it installs Debian's openjdk-17-jre-headless)")
    return found

# The example DAG: native table -> Spark SQL aggregate -> PySpark with a Python UDF -> native assertion;
# plus a Spark SQL task with a mistake whose output table already exists (it must stay as it was).
SHOP_CONFIG = """\
schema: shop
params:
  gold_threshold: 100
tasks:
  - identifier: create_shop
    kind: {action: materialization, target: schema}
  - identifier: orders
    kind: {action: materialization, target: table}
    dependencies: [create_shop]
  - identifier: customer_totals
    kind: {action: spark, target: sql}
    dependencies: [orders]
    options:
      inputs: [shop.orders]
      conf: {spark.sql.shuffle.partitions: 2}
  - identifier: customer_tiers
    kind: {action: spark, target: pyspark}
    dependencies: [customer_totals]
    options:
      inputs: [shop.customer_totals]
      output: shop.tiered_customers
  - identifier: check_tiers
    kind: {action: assertion, target: assertion}
    dependencies: [customer_tiers]
  - identifier: keep_me
    kind: {action: materialization, target: table}
    dependencies: [create_shop]
  - identifier: broken_totals
    kind: {action: spark, target: sql}
    dependencies: [orders, keep_me]
    options:
      inputs: [shop.orders]
      output: shop.keep_me
"""

SHOP_SQL = {
    "orders": """\
        SELECT 1 AS order_id, 'alice' AS customer, 60.0 AS amount, DATE '{{ ds }}' AS order_date
        UNION ALL SELECT 2, 'alice', 50.0, DATE '{{ ds }}'
        UNION ALL SELECT 3, 'bob', 25.0, DATE '{{ ds }}'
        UNION ALL SELECT 4, 'carol', 5.0, DATE '{{ ds }}'
        """,
    # Spark SQL, templated like native SQL; the input is visible under its warehouse name
    "customer_totals": """\
        -- one row per customer; a comment with a ; in it
        SELECT customer, COUNT(*) AS orders, SUM(amount) AS total, DATE '{{ ds }}' AS day
        FROM shop.orders
        GROUP BY customer;
        """,
    "check_tiers": """\
        SELECT COUNT(*) = 3 AS success, 'one row per customer' AS description FROM shop.tiered_customers
        UNION ALL
        SELECT LOGICAL_AND(tier IS NOT NULL), 'every customer has a tier' FROM shop.tiered_customers
        """,
    "keep_me": "SELECT 'old' AS marker\n",
    "broken_totals": """\
        SELECT customer, SUM(amount_typo) AS total
        FROM shop.orders
        GROUP BY customer
        """,
}

SHOP_SCRIPT = """\
from pyspark.sql import functions as F
from pyspark.sql.types import StringType


def tier(total, gold):
    if total >= gold:
        return "gold"
    return "silver" if total >= 20 else "bronze"


def transform(spark, inputs, context):
    gold = float(context["params"]["gold_threshold"])
    # a Python UDF, run by Spark's Python workers
    tier_of = F.udf(lambda total: tier(float(total), gold), StringType())
    totals = inputs["shop.customer_totals"]
    return totals.select("customer", "total", tier_of(F.col("total")).alias("tier"),
                         F.lit(context["ds"]).alias("run_ds"), F.lit(context["dag_id"]).alias("dag_id"))
"""

PROD_TARGETS = """\
name: shop_project
targets:
  local: {engine: duckdb}
  prod: {engine: bigquery, project: acme-data, location: EU, labels: {team: Data},
         impersonation_chain: dop-runner@acme-data.iam.gserviceaccount.com}
  prod_cluster: {engine: bigquery, project: acme-data, location: EU}
plugins:
  spark:
    conf: {spark.sql.shuffle.partitions: 64}
    targets:
      prod:
        region: europe-west2
        staging_bucket: gs://acme-dop/spark/
        service_account: spark@acme-data.iam.gserviceaccount.com
        subnetwork_uri: projects/acme-data/regions/europe-west2/subnetworks/dataproc
      prod_cluster:
        mode: cluster
        region: europe-west1
        cluster_name: etl-cluster
        staging_bucket: gs://acme-dop
        write_method: indirect
        temporary_gcs_bucket: acme-tmp
"""


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DOP_TARGET", "DOP_PROJECT_DIR", "DOP_PLUGINS", "DOP_DISABLE_PLUGINS", "DOP_STRICT_PLUGINS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def spark_plugin(register_plugin):
    """dop-spark registered on a fresh plugin manager (the unit-test way, not via its entry point)."""
    from dop_spark import plugin

    register_plugin(plugin, name="spark")
    return plugin


def write_shop(factory, project_yml: str | None = None):
    """Write the shop DAG (and optionally dop_project.yml) into a ProjectFactory's project."""
    if project_yml is not None:
        factory.write("dop_project.yml", project_yml)
    return factory.dag("shop", SHOP_CONFIG, sql=SHOP_SQL, files={"spark/customer_tiers.py": SHOP_SCRIPT})
