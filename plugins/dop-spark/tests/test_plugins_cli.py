"""dop-spark through its installed entry point, as a user sees it (`dop plugins`, `dop validate`)."""

from __future__ import annotations

import json

from conftest import write_shop

from dop_core.testing import run_dop


def test_dop_plugins_lists_dop_spark_and_its_task_types():
    result = run_dop("plugins", "--format", "json")
    assert result.returncode == 0, result.stderr
    spark = next(p for p in json.loads(result.stdout) if p["name"] == "spark")
    assert spark["distribution"] == "dop-spark"
    assert spark["error"] is None
    assert spark["registers"] == ["task_types:spark/sql", "task_types:spark/pyspark", "plugin_settings:spark"]


def test_spark_tasks_validate_with_the_plugin_installed(dop_project):
    write_shop(dop_project)
    result = run_dop("validate", cwd=dop_project.root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: 1 DAG(s) valid" in result.stdout


def test_without_dop_spark_a_spark_task_says_to_install_it(dop_project):
    folder = write_shop(dop_project)
    result = run_dop("validate", cwd=dop_project.root, env={"DOP_DISABLE_PLUGINS": "spark"})
    assert result.returncode == 1
    config = folder / "config.yaml"
    lines = config.read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "identifier: customer_totals" in text) + 1
    assert (
        f"{config}:{line}:20: error: action 'spark' is provided by the dop-spark plugin, "
        "which is not installed" in result.stderr
    ), result.stderr
    assert "fix: pip install dop-spark" in result.stderr


def test_registering_dop_spark_imports_only_its_plugin_module() -> None:
    """Every parse of the DAG files imports the plugin: options, settings and validator load when used."""
    from dop_core.testing import registration_imports

    assert registration_imports("dop_spark.plugin") == ["dop_spark", "dop_spark.plugin"]
