"""run_results.json into the warehouse (real DuckDB), docs publishing, and the Kubernetes pod's outcome."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest
from dop_dbt import artifacts, kubernetes
from dop_dbt.operator import DbtFailed

RUN_RESULTS = {
    "metadata": {"dbt_version": "1.11.16", "generated_at": "2024-06-02T00:00:00Z", "invocation_id": "inv-1"},
    "results": [
        {"unique_id": "model.shop.stg_orders", "status": "success", "execution_time": 0.5, "message": "OK",
         "failures": None, "adapter_response": {"rows_affected": 3}},
        {"unique_id": "test.shop.unique_x.1", "status": "fail", "execution_time": 0.1,
         "message": "Got 1 result, configured to fail if != 0", "failures": 1, "adapter_response": {}},
    ],
}


@pytest.fixture
def results_file(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "run_results.json"
    path.write_text(json.dumps(RUN_RESULTS))
    return path


def _target(dop_project: Any) -> Any:
    from dop_core import resolve_target

    return resolve_target(dop_project.project())


def test_results_are_summarised_and_appended_to_the_warehouse(dop_project: Any, results_file: pathlib.Path) -> None:
    from dop_core import connect

    results = artifacts.read(results_file)
    text = artifacts.summary(results)
    assert "2 node(s), 1 failed" in text
    assert "FAIL" in text and "test.shop.unique_x.1  -- Got 1 result" in text
    target = _target(dop_project)
    context = {"dag_id": "dop__d", "task_id": "t", "run_id": "r1", "ds": "2024-06-02", "dbt_project": "shop",
               "dbt_command": "build", "dop_target": "local"}
    with connect(target) as engine:
        assert artifacts.append(engine, "audit", "dbt_run_results", None, results, context) == 2
        assert artifacts.append(engine, "audit", "dbt_run_results", None, results, context) == 2
        rows = engine.query("SELECT unique_id, resource_type, status, failures, rows_affected, logical_date, "
                            "dbt_version FROM audit.dbt_run_results ORDER BY unique_id").rows
    assert rows == [("model.shop.stg_orders", "model", "success", None, 3, "2024-06-02", "1.11.16")] * 2 + \
        [("test.shop.unique_x.1", "test", "fail", 1, None, "2024-06-02", "1.11.16")] * 2


def test_docs_are_published_to_a_folder(tmp_path: pathlib.Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    for name in ("index.html", "manifest.json", "catalog.json", "graph.gpickle"):
        (target / name).write_text(name)
    where = artifacts.publish_docs(target, "site/docs", tmp_path)
    assert sorted(p.name for p in (tmp_path / "site/docs").iterdir()) == ["catalog.json", "index.html",
                                                                          "manifest.json"]
    assert where == str(tmp_path / "site/docs")
    (target / "index.html").unlink()
    with pytest.raises(FileNotFoundError, match=r"no index\.html"):
        artifacts.publish_docs(target, "elsewhere", tmp_path)


def test_pod_script_writes_the_profile_runs_dbt_and_hands_back_the_outcome() -> None:
    script = kubernetes.pod_script(["dbt", "run", "--vars", '{"ds": "2024-06-02"}'], "/opt/dop/project/dbt/shop")
    assert 'printf "%s" "$DOP_DBT_PROFILE" > /tmp/dop-dbt-profiles/profiles.yml' in script
    assert "dbt run --vars '{\"ds\": \"2024-06-02\"}'" in script
    assert script.rstrip().endswith("exit 0") and "/airflow/xcom/return.json" in script


def test_the_pod_outcome_is_recorded_and_a_failed_node_fails_the_task(dop_project: Any) -> None:
    # The pod itself needs a Kubernetes cluster (none here); what the operator does with the pod's
    # outcome is the same code, run here on the real local warehouse.
    from dop_core import connect

    target = _target(dop_project)
    record = {"dop_target": target, "schema": "shop", "database": None, "results_table": "dbt_run_results",
              "dbt_project": "shop", "dbt_command": "build"}
    with pytest.raises(DbtFailed, match=r"exit 1\): test.shop.unique_x.1"):
        kubernetes.handle_outcome(json.dumps({"exit_code": 1, "run_results": RUN_RESULTS}), record,
                                  {"ds": "2024-06-02", "run_id": "r"}, "dbt_build")
    ok = {"exit_code": 0, "run_results": {**RUN_RESULTS, "results": RUN_RESULTS["results"][:1]}}
    assert kubernetes.handle_outcome(ok, record, {}, "dbt_build") == ok
    with connect(target) as engine:
        assert engine.query("SELECT COUNT(*) FROM shop.dbt_run_results").rows == [(3,)]
    with pytest.raises(DbtFailed, match="returned no outcome"):
        kubernetes.handle_outcome(None, record, {}, "dbt_build")
