"""BigQuery scripting interpreted on a real DuckDB: each construct gives the rows BigQuery documents."""

from __future__ import annotations

import pytest

from dop_core.engines.duckdb import DuckDBEngine
from dop_core.engines.targets import DuckDBTarget
from dop_core.project import Target
from dop_core.testing import SCRIPT_CASES, ScriptCase, check_script_case


@pytest.fixture
def engine(tmp_path):
    target = Target("local", "duckdb", {}, DuckDBTarget(path="wh.duckdb", lock_timeout=5), root=tmp_path)
    with DuckDBEngine(target) as eng:
        yield eng


@pytest.mark.parametrize("case", SCRIPT_CASES, ids=[c.name for c in SCRIPT_CASES])
def test_bigquery_scripting_semantics(engine, case: ScriptCase):
    check_script_case(engine, case)
