"""`dop doctor` with dop-dbt: the dbt virtualenv the project's dbt tasks would run, built or not yet."""

from __future__ import annotations

import pathlib

from dop_core.testing import doctor_checks


def dbt_check(root: pathlib.Path):
    return {c.name: c for c in doctor_checks(str(root))}["dbt"]


def test_doctor_reports_the_dbt_virtualenv(shop, dop_plugin_manager, register_plugin, tmp_path, monkeypatch):
    import dop_dbt.plugin

    register_plugin(dop_dbt.plugin)
    monkeypatch.setenv("DOP_DBT_VENV_ROOT", str(tmp_path / "venvs"))
    missing = dbt_check(shop.root)
    assert missing.status == "warn" and "is not built yet" in missing.message, missing
    assert missing.message.startswith("the dbt virtualenv for target local (dbt-core")
    assert "the first dbt task builds it" in missing.fix and "python -m dop_dbt parse" in missing.fix

    venv = pathlib.Path(missing.message.rpartition(": ")[2])
    assert venv.parent == tmp_path / "venvs"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "dbt").write_text("#!/bin/sh\n")
    (venv / "lib" / "python3.11" / "site-packages" / "dbt_core-1.10.7.dist-info").mkdir(parents=True)
    built = dbt_check(shop.root)
    assert (built.status, built.message) == ("ok", f"dbt-core 1.10.7 in {venv}")
