"""``benchmarks/install_size.py`` keeps working, and what DOP adds to Airflow stays small: ``pip install dop-core
dop-dbt`` brings a few distributions beyond apache-airflow's own and no Google Cloud library (the figures
themselves are the benchmark's output, see docs/performance.md)."""

from __future__ import annotations

import json
import sys

import pytest
from packaging_support import REPO, run

pytestmark = pytest.mark.slow


def test_dop_adds_little_to_airflow(uv: str) -> None:
    out = run([sys.executable, REPO / "benchmarks" / "install_size.py", "--json", "--top", "3"], timeout=1800).stdout
    report = json.loads(out.splitlines()[-1])
    light, google = report["dop-core dop-dbt"], report["dop-core[google] dop-dbt"]
    (airflow,) = [v for k, v in report.items() if k.startswith("apache-airflow==")]
    assert {"dop-core", "dop-dbt", "duckdb"} <= set(light["beyond_airflow"])
    assert len(light["beyond_airflow"]) <= 10, light["beyond_airflow"]
    assert light["packages"] == airflow["packages"] + len(light["beyond_airflow"])
    assert not [name for name in light["beyond_airflow"] if "google" in name]
    assert light["megabytes"] <= 700
    assert google["packages"] > light["packages"]
