"""The execution API `dop run`'s runner gives `dag.test`: built for the newest API version only (the one the task SDK
of the same installation asks for), it answers that version as Airflow's own app does and no longer builds the
routers of the older ones. (The runs of tests/test_run_*.py go through it end to end.)"""

from __future__ import annotations

import pytest

pytest.importorskip("airflow.api_fastapi.execution_api.app")


@pytest.fixture
def newest_only(monkeypatch):
    """Airflow's execution API app as the runner builds it (the module state put back afterwards)."""
    from airflow.api_fastapi.execution_api import versions
    from airflow.api_fastapi.execution_api.app import create_task_execution_api_app
    from airflow.api_fastapi.execution_api.routes import execution_api_router

    from dop_core.cli.execution_api import latest_api_only

    monkeypatch.setattr(versions, "bundle", versions.bundle)
    monkeypatch.setattr(execution_api_router, "routes", list(execution_api_router.routes))
    older = [version.value for version in versions.bundle.versions[1:]]
    assert latest_api_only()
    return create_task_execution_api_app(), older


def get(app, path: str, version: str):
    from starlette.testclient import TestClient

    return TestClient(app).get(path, headers={"Airflow-API-Version": version})


def test_the_newest_version_is_answered_and_the_older_ones_are_not_built(newest_only):
    from airflow.sdk.api.datamodels._generated import API_VERSION

    app, older = newest_only
    assert older, "Airflow has a single API version: nothing to leave out"
    assert get(app, "/health", API_VERSION).status_code == 200
    assert get(app, "/health", older[-1]).status_code != 200
