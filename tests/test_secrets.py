"""No credential from a target appears in errors, logs or rendered fields."""

from __future__ import annotations

import attrs
import pytest

from dop_core import EngineType, hookimpl
from dop_core.project import Target
from dop_core.secrets import redact
from dop_core.validate import validate_project


def test_redact_hides_declared_secrets_and_url_passwords(register_plugin):
    @attrs.frozen
    class VaultTarget:
        api_key: str
        host: str = "localhost"

    class Vault:
        @hookimpl
        def dop_engines(self):
            return [EngineType(name="vault", dialect="postgres", connect=lambda t: None, options=VaultTarget,
                               secrets=("api_key",))]

    register_plugin(Vault(), name="vault")
    target = Target("v", "vault", {"api_key": "s3cr3t-k3y", "dsn": "postgresql://app:hunter2@db:5432/x"})
    text = "failed with key s3cr3t-k3y on postgresql://app:hunter2@db:5432/x and mysql://u:pw@h/db"
    shown = redact(text, target)
    assert "s3cr3t-k3y" not in shown and "hunter2" not in shown and ":pw@" not in shown
    assert shown == "failed with key *** on *** and mysql://u:***@h/db"  # a dsn key is secret as a whole


def test_validation_errors_do_not_echo_secret_values(register_plugin, tmp_path):
    @attrs.frozen
    class VaultTarget:
        api_key: int  # wrong type on purpose: the error must not print the value

    class Vault:
        @hookimpl
        def dop_engines(self):
            return [EngineType(name="vault", dialect="postgres", connect=lambda t: None, options=VaultTarget,
                               secrets=("api_key",))]

    register_plugin(Vault(), name="vault")
    (tmp_path / "dop_project.yml").write_text("name: p\ntargets:\n  local: {engine: vault, api_key: s3cr3t-k3y}\n")
    report = validate_project(tmp_path)
    shown = "\n".join(str(p) for p in report.problems)
    assert "dop_project.yml:3:35: error: '***' is not an integer" in shown
    assert "s3cr3t-k3y" not in shown


@pytest.mark.parametrize("field", ["sql", "doc_md"])
def test_targets_never_reach_rendered_fields(dop_project, field):
    dop_project.write("dop_project.yml", "name: p\ntargets:\n  local: {engine: duckdb, path: wh.duckdb}\n")
    dop_project.dag("d", "schema: s\ntasks:\n  - identifier: t\n    kind: {action: materialization, target: table}\n",
                    sql={"t": "SELECT 1 AS x"})
    task = dop_project.build()["dop__d"].get_task("t")
    assert "target" not in task.template_fields
    assert "wh.duckdb" not in str(getattr(task, field) or "")
