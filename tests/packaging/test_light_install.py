"""``pip install dop-core dop-dbt`` is light: no Google Cloud library comes with it, the local journey runs, and
a project that asks for Google Cloud is told at ``dop validate``, on the config line that asks, what to install.

A fresh virtualenv gets the wheels ``uv build`` makes (dependencies pinned to this environment's versions, so
they come from uv's cache), as a user installing from PyPI would; then ``dop-core[google]`` brings BigQuery back.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest
from packaging_support import artifacts, run

from dop_core.extras import GOOGLE_EXTRA

pytestmark = pytest.mark.slow

PROJECT_YML = """\
name: shop
targets:
  local: {engine: duckdb, path: .dop/warehouse.duckdb}
  prod: {engine: bigquery, project: my-gcp-project, location: EU}
default_target: local
"""
CONFIG = """\
schema: shop
triggers:
  - kind: gcs_object
    options: {bucket: landing, object: "orders/{{ ds }}.csv"}
tasks:
  - identifier: export_orders
    kind: {action: egress, target: gcs}
    options: {source: shop.orders, path: "gs://exports/orders.csv"}
"""
INSTALL = "fix: pip install 'dop-core[google]'"


def at(text: str, needle: str, path: str) -> str:
    """``path:line:column`` of the first ``needle`` in ``text``."""
    before = text[:text.index(needle)]
    return f"{path}:{before.count(chr(10)) + 1}:{len(before) - before.rfind(chr(10))}"


@pytest.fixture(scope="module")
def light(dist: pathlib.Path, uv: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, pathlib.Path]:
    """A fresh virtualenv holding dop-core, dop-dbt and dop-egress as `pip install` gives them: no extras."""
    work = tmp_path_factory.mktemp("light")
    frozen = run([uv, "pip", "freeze", "--python", sys.executable]).stdout.splitlines()
    pins = [line for line in frozen if "==" in line and not line.startswith(("-e", "dop-"))]
    (work / "constraints.txt").write_text("\n".join(pins) + "\n")
    venv = work / "venv"
    run([uv, "venv", "--quiet", "--python", sys.executable, venv])
    wheels = [artifacts(dist, name)[0] for name in ("dop-core", "dop-dbt", "dop-egress")]
    run([uv, "pip", "install", "--quiet", "--python", venv / "bin" / "python", "-c", work / "constraints.txt",
         *wheels])
    return {"venv": venv, "work": work, "constraints": work / "constraints.txt"}


def dop(light: dict[str, pathlib.Path], *args: str, cwd: pathlib.Path,
        check: bool = False) -> subprocess.CompletedProcess[str]:
    return run([light["venv"] / "bin" / "dop", *args], cwd=cwd, check=check,
               env={"AIRFLOW_HOME": str(cwd / ".airflow-home")})


def test_no_google_cloud_library_is_installed(light: dict[str, pathlib.Path], uv: str) -> None:
    listed = run([uv, "pip", "list", "--python", light["venv"] / "bin" / "python", "--format", "freeze"]).stdout
    names = {line.split("==")[0].lower() for line in listed.splitlines()}
    assert {"dop-core", "dop-dbt", "dop-egress", "apache-airflow", "duckdb"} <= names
    assert not [n for n in names if n.startswith(("google-cloud", "apache-airflow-providers-google"))], names


@pytest.fixture(scope="module")
def shop(light: dict[str, pathlib.Path]) -> pathlib.Path:
    """A project asking for Google Cloud: a BigQuery target (not the default), a GCS trigger, a GCS export."""
    root = light["work"] / "shop"
    (root / "orchestration" / "landing").mkdir(parents=True)
    (root / "dop_project.yml").write_text(PROJECT_YML)
    (root / "orchestration" / "landing" / "config.yaml").write_text(CONFIG)
    return root


def test_validate_names_what_to_install_where_the_config_asks(light: dict[str, pathlib.Path],
                                                              shop: pathlib.Path) -> None:
    root = shop
    config = "orchestration/landing/config.yaml"

    local = dop(light, "validate", cwd=root)
    out = local.stdout + local.stderr
    assert local.returncode == 1, out
    assert "Traceback" not in out and "ModuleNotFoundError" not in out and "ImportError" not in out
    missing = ", ".join(GOOGLE_EXTRA.distributions)
    assert (f"{at(CONFIG, 'gcs_object', config)}: error: trigger kind gcs_object needs Google Cloud support, "
            f"which is not installed here (missing: {missing})\n    expected: dop-core[google] installed\n"
            f"    {INSTALL}") in out
    assert f"{at(CONFIG, 'gcs}', config)}: error: egress destination 'gcs' needs Google Cloud support" in out
    # the prod target is not used here: a warning, so that local work goes on
    assert (f"{at(PROJECT_YML, 'bigquery', 'dop_project.yml')}: warning: target 'prod' (engine bigquery) needs "
            "Google Cloud support") in out

    prod = dop(light, "validate", "--target", "prod", cwd=root)
    assert (f"{at(PROJECT_YML, 'bigquery', 'dop_project.yml')}: error: target 'prod' (engine bigquery) needs "
            "Google Cloud support") in prod.stderr

    deploy = dop(light, "deploy", "--bucket", "gs://composer-bucket", cwd=root)
    assert deploy.returncode == 1
    assert deploy.stderr.startswith("error: dop deploy (it uploads to Cloud Composer's bucket) needs Google Cloud "
                                    "support")
    assert "install it: pip install 'dop-core[google]'" in deploy.stderr
    assert "Traceback" not in deploy.stderr


def test_the_example_runs_without_google_cloud(light: dict[str, pathlib.Path]) -> None:
    """The issue's check: `dop init p && cd p && dop run example_covid19 --date 2024-06-01`."""
    dop(light, "init", "p", "--no-input", cwd=light["work"], check=True)
    ran = dop(light, "run", "example_covid19", "--date", "2024-06-01", cwd=light["work"] / "p")
    assert ran.returncode == 0, ran.stdout[-4000:]
    assert (light["work"] / "p" / ".dop" / "warehouse.duckdb").is_file()


def test_the_google_extra_brings_bigquery_back(light: dict[str, pathlib.Path], shop: pathlib.Path,
                                               dist: pathlib.Path, uv: str) -> None:
    """Last in this module: it installs the extra into the shared virtualenv."""
    core = artifacts(dist, "dop-core")[0]
    root = shop
    run([uv, "pip", "install", "--quiet", "--python", light["venv"] / "bin" / "python", "-c", light["constraints"],
         f"dop-core[google] @ {core.as_uri()}"])
    prod = dop(light, "validate", "--target", "prod", cwd=root)
    out = prod.stdout + prod.stderr
    assert "Google Cloud support" not in out, out
    assert prod.returncode == 0, out
