"""Fixtures of dop-dbt's tests: a small service project with a native seed, a dbt project and dbt tasks.

The end-to-end tests run real dbt-core + dbt-duckdb from the virtualenv DOP builds; it is cached in
``~/.cache/dop-test/dbt-venv/<hash of the requirement>`` (``DOP_DBT_VENV_ROOT``) so a machine builds
it once, not once per test.
"""

from __future__ import annotations

import os
import pathlib
from typing import Any

import pytest
from dbt_shop import write_shop

VENV_ROOT = pathlib.Path(os.environ.get("DOP_TEST_CACHE", pathlib.Path.home() / ".cache" / "dop-test")) / "dbt-venv"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DOP_TARGET", "DOP_PROJECT_DIR", "DOP_PLUGINS", "DOP_DISABLE_PLUGINS", "DOP_STRICT_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DOP_DBT_VENV_ROOT", str(VENV_ROOT))
    # the dbt server a first dbt command starts (see dop_dbt.operator) serves the tests' later ones, then exits
    # soon after the last, not ten minutes after the tests
    monkeypatch.setenv("DOP_DBT_SERVER_IDLE", "30")


@pytest.fixture
def shop(dop_project: Any) -> Any:
    return write_shop(dop_project)
