"""Building dbt tasks: pools, the command line, profiles, expansion from the manifest; cheap parsing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import dop_dbt.plugin
import pytest
from dop_dbt import profiles, versions
from dop_dbt.operator import DbtOperator, airflow_vars, command_line, run_env
from dop_dbt.settings import DbtSettings


@pytest.fixture(autouse=True)
def _dbt_plugin(register_plugin: Any) -> None:
    register_plugin(dop_dbt.plugin, name="dbt")


SECOND_DAG = """\
schema: reporting
tasks:
  - identifier: refresh
    kind: {action: dbt, target: build}
    options: {project: shop}
  - identifier: own_pool
    kind: {action: dbt, target: seed}
    pool: my_pool
    options: {project: shop}
"""


def test_two_dags_using_one_dbt_project_share_its_one_slot_pool(shop: Any) -> None:
    shop.dag("weekly", SECOND_DAG)
    dags = shop.build()
    daily, weekly = dags["dop__daily"], dags["dop__weekly"]
    pool = "dop_dbt__test_project__shop"
    dbt_tasks = [daily.get_task("dbt_run"), daily.get_task("dbt_test"), weekly.get_task("refresh")]
    assert {t.pool for t in dbt_tasks} == {pool}
    assert {t.dop_pool_slots for t in dbt_tasks} == {1}
    assert daily.get_task("orders").pool == "default_pool"  # native tasks are not held back
    mine = weekly.get_task("own_pool")  # a pool the user chose wins, and DOP does not create it
    assert mine.pool == "my_pool" and not hasattr(mine, "dop_pool_slots")
    # dop run creates the pool: checked end to end in test_end_to_end


def test_the_operator_gets_the_project_profile_and_schema(shop: Any) -> None:
    task = shop.build()["dop__daily"].get_task("dbt_run")
    assert isinstance(task, DbtOperator)
    assert task.dbt_target == "run" and task.profile == "shop_profile" and task.schema == "shop"
    assert task.dbt_project_dir == str((shop.root / "dbt/shop").resolve())
    assert task.arguments == [["--fail-fast", None]]
    assert task.dop_target.name == "local"
    assert "arguments" in task.template_fields  # {{ ds }} in argument values is rendered


DATASETS = """\
schema: reporting
tasks:
  - identifier: unchanged_original
    kind: {action: dbt, target: run}
    options: {project: shop}
  - identifier: own_schema
    kind: {action: dbt, target: run}
    schema: marts
    options: {project: shop}
  - identifier: docs
    kind: {action: dbt, target: docs generate}
    options:
      project: shop
      arguments:
        - {option: --bucket, value: my-docs-bucket}
        - {option: --bucket-path, value: dbt/shop}
        - {option: --threads, value: 2}
"""


def test_dbt_models_go_to_the_dbt_projects_dataset_as_in_the_original(shop: Any) -> None:
    shop.dag("weekly", DATASETS)
    dag = shop.build()["dop__weekly"]
    # not the DAG's schema: the original DOP wrote a dbt project's models to a dataset named after it
    assert dag.get_task("unchanged_original").schema == "shop"
    assert dag.get_task("own_schema").schema == "marts"
    shop.write("dop_project.yml", "name: test_project\nplugins:\n  dbt:\n    schema: analytics\n")
    dag = shop.build()["dop__weekly"]
    assert (dag.get_task("unchanged_original").schema, dag.get_task("own_schema").schema) == ("analytics", "marts")


def test_the_original_bucket_arguments_become_the_docs_destination(shop: Any) -> None:
    shop.dag("weekly", DATASETS)
    docs = shop.build()["dop__weekly"].get_task("docs")
    assert docs.docs_destination == "gs://my-docs-bucket/dbt/shop"
    assert docs.arguments == [["--threads", 2]]  # never passed to dbt, as in the original
    shop.write("dop_project.yml", "name: test_project\nplugins:\n  dbt:\n    docs_destination: site/docs\n"
                                  "    targets:\n      local: {docs_destination: .dop/local-docs}\n")
    # a docs_destination set for the chosen target wins (a local run keeps docs on disk), then the task's bucket
    assert shop.build()["dop__weekly"].get_task("docs").docs_destination == ".dop/local-docs"
    shop.write("dop_project.yml", "name: test_project\nplugins:\n  dbt:\n    docs_destination: site/docs\n")
    assert shop.build()["dop__weekly"].get_task("docs").docs_destination == "gs://my-docs-bucket/dbt/shop"


def test_parsing_imports_no_dbt_duckdb_or_kubernetes(shop: Any) -> None:
    # google.cloud itself is a namespace package some distributions create at start-up (.pth files)
    code = ("import sys, json\nfrom dop_core import build_dags\n"
            f"dags = build_dags({str(shop.root)!r})\n"
            "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('dbt', 'duckdb', 'kubernetes', 'pyspark')"
            " or m.startswith('google.cloud.') or m.startswith('airflow.providers.cncf'))\n"
            "print(json.dumps({'dags': sorted(dags), 'heavy': heavy}))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "DOP_PLUGINS": "dbt"})
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["dags"] == ["dop__daily"]
    assert result["heavy"] == []


def test_command_line_merges_vars_and_adds_full_refresh_where_dbt_takes_it() -> None:
    context_vars = {"ds": "2024-06-02", "ts": "2024-06-02T00:00:00+00:00"}
    cmd = command_line("dbt", "run", "/p", "/profiles", "shop_profile",
                       [["--select", "tag:daily"], ["--vars", "{ds: overridden, extra: 1}"], ["-x", None]],
                       context_vars, full_refresh=True)
    assert cmd[:12] == ["dbt", "run", "--project-dir", "/p", "--profiles-dir", "/profiles", "--profile",
                        "shop_profile", "--target", "dop", "--select", "tag:daily"]
    assert cmd[12] == "-x"
    assert cmd[13] == "--vars" and json.loads(cmd[14]) == {"ds": "overridden", "extra": 1,
                                                           "ts": "2024-06-02T00:00:00+00:00"}
    assert cmd[-1] == "--full-refresh"
    test_cmd = command_line("dbt", "test", "/p", "/pr", "x", [], {}, full_refresh=True)
    assert "--full-refresh" not in test_cmd  # dbt test has no such flag
    docs = command_line("dbt", "docs generate", "/p", "/pr", "x", [], {}, full_refresh=False)
    assert docs[1:3] == ["docs", "generate"]
    deps = command_line("dbt", "deps", "/p", "/pr", "x", [], {"ds": "x"}, full_refresh=True)
    assert deps == ["dbt", "deps", "--project-dir", "/p"]


def test_the_run_id_reaches_dbt_in_its_environment_not_in_its_vars() -> None:
    import pendulum

    day = pendulum.datetime(2024, 6, 2, tz="UTC")
    first, second = ({"ds": "2024-06-02", "logical_date": day, "run_id": f"manual__2024-06-0{n}T10:00:00+00:00",
                      "params": {"full_refresh": False}} for n in (3, 4))
    # two runs of one date: the same --vars (dbt keeps its partial parse), each its own run id in DOP_RUN_ID
    assert airflow_vars(first) == airflow_vars(second)
    assert "run_id" not in airflow_vars(first)
    assert airflow_vars(first)["logical_date"] == "2024-06-02T00:00:00+00:00"
    assert run_env(first) == {"DOP_RUN_ID": "manual__2024-06-03T10:00:00+00:00"}


def test_the_profile_is_rewritten_only_when_it_changes(shop: Any, tmp_path: Any) -> None:
    from dop_core import resolve_target

    target = resolve_target(shop.project())
    folder = profiles.write(tmp_path / "p", "shop_profile", target, "shop", DbtSettings())
    written = folder / "profiles.yml"
    os.utime(written, ns=(0, 0))
    profiles.write(tmp_path / "p", "shop_profile", target, "shop", DbtSettings())
    assert written.stat().st_mtime_ns == 0  # unchanged: not written again
    profiles.write(tmp_path / "p", "shop_profile", target, "other", DbtSettings())
    assert written.stat().st_mtime_ns > 0 and '"schema": "other"' in written.read_text()


def test_profile_for_duckdb_is_the_warehouse_file_of_the_native_tasks(shop: Any) -> None:
    from dop_core import resolve_target

    target = resolve_target(shop.project())
    out = profiles.profile("shop_profile", target, "shop", DbtSettings())
    output = out["shop_profile"]["outputs"]["dop"]
    assert out["shop_profile"]["target"] == "dop"
    assert output == {"type": "duckdb", "path": str(shop.root / ".dop/warehouse.duckdb"), "schema": "shop",
                      "threads": 4}


def test_profile_for_bigquery_impersonates_without_keys(dop_project: Any) -> None:
    from dop_core import resolve_target

    dop_project.write("dop_project.yml", """\
        name: p
        default_target: prod
        targets:
          prod:
            engine: bigquery
            project: my-gcp-project
            location: EU
            impersonation_chain: [dop-composer@x.iam.gserviceaccount.com, dop-dbt@x.iam.gserviceaccount.com]
        """)
    target = resolve_target(dop_project.project(), "prod")
    output = profiles.output_for(target, "analytics", DbtSettings(threads=8))
    assert output == {"type": "bigquery", "method": "oauth", "project": "my-gcp-project", "location": "EU",
                      "dataset": "analytics", "threads": 8, "job_execution_timeout_seconds": 3600,
                      "impersonate_service_account": "dop-dbt@x.iam.gserviceaccount.com"}
    chosen = profiles.output_for(target, "a", DbtSettings(impersonate_service_account="other@x.iam.gserviceaccount.com"))
    assert chosen["impersonate_service_account"] == "other@x.iam.gserviceaccount.com"


def test_an_in_memory_duckdb_cannot_be_shared_with_dbt(dop_project: Any) -> None:
    from dop_core import resolve_target

    dop_project.write("dop_project.yml", "name: p\ntargets:\n  local: {engine: duckdb, path: ':memory:'}\n")
    with pytest.raises(profiles.ProfileError, match="in-memory DuckDB"):
        profiles.output_for(resolve_target(dop_project.project()), "s", DbtSettings())


@pytest.mark.parametrize(("wanted", "installed", "ok"), [
    ("1.11", "1.11.16", True), ("1.11.16", "1.11.16", True), ("1.10", "1.11.16", False),
    (">=1.10,<1.12", "1.11.2", True), ("0.19.1", "1.11.2", False)])
def test_versions_match(wanted: str, installed: str, ok: bool) -> None:
    assert versions.matches(wanted, installed) is ok


def test_versions_read_dbt_version_output() -> None:
    out = "Core:\n  - installed: 1.11.16\n  - latest:    1.12.6  - Update available!\n\nPlugins:\n  - duckdb: 1.11.1\n"
    assert versions.installed_version(out) == "1.11.16"
    assert versions.compatible("1.11", ["dbt-core>=1.10,<1.12"]) is None
    assert versions.compatible("1.12", ["dbt-core>=1.10,<1.12"]) is not None


MANIFEST = {
    "nodes": {
        "model.shop.stg_orders": {"resource_type": "model", "name": "stg_orders", "path": "staging/stg_orders.sql",
                                  "tags": ["daily"], "depends_on": {"nodes": ["source.shop.raw.orders"]}},
        "model.shop.daily_revenue": {"resource_type": "model", "name": "daily_revenue", "path": "daily_revenue.sql",
                                     "tags": [], "depends_on": {"nodes": ["model.shop.stg_orders"]}},
        "model.shop.unused": {"resource_type": "model", "name": "unused", "path": "other/unused.sql", "tags": [],
                              "depends_on": {"nodes": []}},
        "test.shop.unique_stg_orders_order_id.1": {"resource_type": "test", "name": "unique_stg_orders_order_id",
                                                   "depends_on": {"nodes": ["model.shop.stg_orders"]}},
    },
}


def test_expand_makes_one_task_per_model_and_a_test_task_after_it(shop: Any) -> None:
    target = shop.root / "dbt/shop/target"
    target.mkdir(parents=True)
    (target / "manifest.json").write_text(json.dumps(MANIFEST))
    shop.dag("expanded", """\
        schema: shop
        tasks:
          - identifier: start
            kind: {action: airflow_operator, target: airflow.providers.standard.operators.empty.EmptyOperator}
          - identifier: models
            kind: {action: dbt, target: run}
            dependencies: [start]
            options:
              project: shop
              expand: {select: ["tag:daily", daily_revenue]}
              arguments: [{option: --select, value: ignored_when_expanded}, {option: --threads, value: 2}]
          - identifier: after
            kind: {action: airflow_operator, target: airflow.providers.standard.operators.empty.EmptyOperator}
            dependencies: [models]
        """)
    dag = shop.build()["dop__expanded"]
    assert sorted(dag.task_ids) == ["after", "models.daily_revenue", "models.stg_orders", "models.stg_orders__test",
                                    "start"]
    run = dag.get_task("models.stg_orders")
    assert run.arguments == [["--threads", 2], ["--select", "stg_orders"]]
    test = dag.get_task("models.stg_orders__test")
    assert test.dbt_target == "test" and test.arguments[-1] == ["--select", "stg_orders"]
    assert dag.get_task("models.daily_revenue").upstream_task_ids == {"models.stg_orders__test"}
    assert dag.get_task("models.stg_orders").upstream_task_ids == {"start"}
    assert dag.get_task("after").upstream_task_ids == {"models.daily_revenue"}
    assert {t.pool for t in dag.tasks if t.task_id.startswith("models.")} == {"dop_dbt__test_project__shop"}
    # the manifest is read once and cached until it changes
    from dop_dbt import manifest

    first = manifest.load(target / "manifest.json")
    assert manifest.load(target / "manifest.json") is first
