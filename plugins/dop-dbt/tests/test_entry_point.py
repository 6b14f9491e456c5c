"""dop-dbt through its installed entry point, as a user meets it: `dop plugins`, `dop validate`."""

from __future__ import annotations

import json
from typing import Any

from dop_core.testing import run_dop

TARGETS = ["run", "test", "build", "seed", "snapshot", "source freshness", "docs generate", "deps", "compile",
           "parse"]


def test_dop_plugins_lists_dop_dbt_and_its_targets() -> None:
    result = run_dop("plugins", "--format", "json")
    assert result.returncode == 0, result.stderr
    dbt = {p["name"]: p for p in json.loads(result.stdout)}["dbt"]
    assert dbt["distribution"] == "dop-dbt" and dbt["version"] == "0.1.0"
    assert dbt["error"] is None and not dbt["builtin"]
    assert dbt["registers"] == [*(f"task_types:dbt/{t}" for t in TARGETS), "plugin_settings:dbt"]
    text = run_dop("plugins").stdout
    assert "dbt  (dop-dbt 0.1.0)" in text and "  task_types:dbt/docs generate" in text


def test_without_dop_dbt_a_dbt_task_is_a_validation_error_saying_to_install_it(shop: Any) -> None:
    ok = run_dop("validate", "--project", str(shop.root))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    result = run_dop("validate", "--project", str(shop.root), env={"DOP_DISABLE_PLUGINS": "dbt"})
    assert result.returncode == 1
    config = shop.root / "orchestration/daily/config.yaml"
    for line in (9, 16):  # the `action: dbt` of dbt_run and of dbt_test
        assert (f"{config}:{line}:20: error: action 'dbt' is provided by the dop-dbt plugin, which is not "
                "installed" in result.stderr)
    assert "fix: pip install dop-dbt" in result.stderr
    assert "2 error(s)" in result.stderr  # dbt_run and dbt_test


def test_registering_dop_dbt_imports_only_its_plugin_module() -> None:
    """Every parse of the DAG files imports the plugin, dbt tasks or not: the options model, settings,
    validator and builder load when a dbt task is validated or built."""
    from dop_dbt.options import TARGETS as SUBCOMMANDS
    from dop_dbt.plugin import DESCRIPTIONS

    from dop_core.testing import registration_imports

    assert registration_imports("dop_dbt.plugin") == ["dop_dbt", "dop_dbt.plugin"]
    assert list(DESCRIPTIONS) == list(SUBCOMMANDS) == TARGETS
