"""DOP's redaction layer: no credential appears in errors, logs, output, rendered fields or serialized DAGs."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from urllib.parse import quote, quote_plus

import attrs
import pytest

from dop_core import EgressType, EngineType, hookimpl
from dop_core.config.models import Target
from dop_core.contract.runtime import target_secrets
from dop_core.secrets import hide_credentials, redact, register_secrets, reveal_credentials
from dop_core.testing import run_dop, secrets_in_clear
from dop_core.validate.project import validate_project


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
    shown = redact(text, *target_secrets(target))
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


# -- the redaction layer -----------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "shown"), [
    ("ftp://user:pass@127.0.0.1:2121/out/x.csv", "ftp://user:***@127.0.0.1:2121/out/x.csv"),
    # any character in the password, raw: up to the last "@" before the host
    ("sftp://u:p@ss:w/rd@host/in/a.csv failed", "sftp://u:***@host/in/a.csv failed"),
    ("s3://KEY:SECRET%2Fx%40y@bucket/key", "s3://KEY:***@bucket/key"),
    ("postgresql://dop:pw@x/y@db:5432/warehouse", "postgresql://dop:***@db:5432/warehouse"),
    ("'ftp://a:one1@h1/x' and 'ftp://b:two2@h2/y'", "'ftp://a:***@h1/x' and 'ftp://b:***@h2/y'"),
    ("host=h password='a b\\' c' dbname=d", "host=h password=*** dbname=d"),
    ('host=h PASSWORD="x y" dbname=d', "host=h PASSWORD=*** dbname=d"),
    ("Authorization: Bearer ya29.a0AfH6SMBx", "Authorization: Bearer ***"),
    # nothing secret: kept as written
    ("postgresql://dop@db:5432/warehouse", "postgresql://dop@db:5432/warehouse"),
    ("http://host/a:b@c/d", "http://host/a:b@c/d"),
    ("ftp://user:***@host/x", "ftp://user:***@host/x"),
])
def test_redact_masks_credentials_in_urls_dsns_and_tokens(text, shown):
    assert redact(text) == shown


def test_a_registered_secret_is_masked_in_every_spelling():
    secret = "reg-p@ss w/rd:1"
    register_secrets(secret)
    text = f"raw {secret} path {quote(secret, safe='')} form {quote_plus(secret)}"
    assert redact(text) == "raw *** path *** form ***"


def test_hidden_credentials_come_back_after_rendering_and_templates_are_left_alone():
    shown, credentials = hide_credentials("ftp://deliveries:Hid@den:pw@ftp.example:21/out/{{ ds }}.csv")
    assert shown == "ftp://deliveries:***@ftp.example:21/out/{{ ds }}.csv"
    rendered = shown.replace("{{ ds }}", "2024-05-01")
    assert reveal_credentials(rendered, credentials) == "ftp://deliveries:Hid@den:pw@ftp.example:21/out/2024-05-01.csv"
    assert redact("Hid@den:pw") == "***"  # registered: masked wherever it shows
    template = "ftp://deliveries:{{conn.partner.password}}@ftp.example/out.csv"
    assert hide_credentials(template) == (template, ())  # a template, not a credential: hidden once rendered


def test_redacted_fds_mask_what_the_process_and_its_subprocesses_write():
    code = textwrap.dedent("""\
        import os, subprocess, sys
        from dop_core.secrets import redacted_fds, register_secrets
        register_secrets("fd-s3cret-value")
        with redacted_fds():
            print("python: fd-s3cret-value", flush=True)
            os.write(2, b"fd 2: ftp://u:fd-url-pw@h/x\\n")
            subprocess.run(["echo", "child: host=h password=fd-kv-pw"], check=True)
        print("after")
        """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    out = done.stdout + done.stderr
    assert "python: ***" in out and "fd 2: ftp://u:***@h/x" in out and "child: host=h password=***" in out
    assert "after" in out
    for secret in ("fd-s3cret-value", "fd-url-pw", "fd-kv-pw"):
        assert secret not in out


def test_cli_output_goes_through_the_redaction_layer(register_plugin, dop_project):
    from click.testing import CliRunner

    from dop_core.cli.main import main

    register_plugin(SpyDestination(), name="spy")
    dop_project.dag("d", EGRESS_CONFIG.replace("/out/{{ ds }}/orders.csv", "/out/orders"))  # no file extension
    result = CliRunner().invoke(main, ["validate", "--project", str(dop_project.root)])
    assert result.exit_code == 1
    assert "cannot tell the file format from the path 'ftp://deliveries:***@127.0.0.1:2121/out/orders'" in \
        result.output
    assert URL_PASSWORD not in result.output


# -- operators: the serialized DAG, rendered fields, logs and XCom -------------------------------------
URL_PASSWORD = "Op-S3cret@pw:x"
EGRESS_CONFIG = f"""\
schema: shop
tasks:
  - identifier: deliver
    kind: {{action: egress, target: spy}}
    options:
      source: shop.orders
      path: ftp://deliveries:{URL_PASSWORD}@127.0.0.1:2121/out/{{{{ ds }}}}/orders.csv
"""


@attrs.frozen
class SpyOptions:
    pass


class SpyDestination:
    """Records the path it gets and says it wrote there."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def export(self, request):
        from dop_core.contract.egress import ExportResult

        self.paths.append(request.path)
        return ExportResult(1, 10, request.path)

    @hookimpl
    def dop_egress_types(self):
        return [EgressType(name="spy", export=self.export, options=SpyOptions)]


def _serialized(dag) -> str:
    from airflow.serialization.serialized_objects import DagSerialization

    return json.dumps(DagSerialization.to_dict(dag))


def test_an_egress_url_password_reaches_the_destination_only(register_plugin, dop_project, capsys):
    from dop_core.build.dags import build_one

    spy = SpyDestination()
    register_plugin(spy, name="spy")
    dop_project.dag("d", EGRESS_CONFIG)
    dag = build_one(dop_project.project(), "d")
    assert URL_PASSWORD not in _serialized(dag)
    op = dag.get_task("deliver")
    assert op.path == "ftp://deliveries:***@127.0.0.1:2121/out/{{ ds }}/orders.csv"
    op.render_template_fields({"ds": "2024-05-01", "params": {}})
    assert op.path == "ftp://deliveries:***@127.0.0.1:2121/out/2024-05-01/orders.csv"  # the rendered field
    xcom = op.execute({"ds": "2024-05-01", "params": {}})
    assert spy.paths == [f"ftp://deliveries:{URL_PASSWORD}@127.0.0.1:2121/out/2024-05-01/orders.csv"]
    assert xcom["where"] == "ftp://deliveries:***@127.0.0.1:2121/out/2024-05-01/orders.csv"
    logged = capsys.readouterr()
    assert "to ftp://deliveries:***@127.0.0.1:2121/out/2024-05-01/orders.csv" in logged.out
    assert URL_PASSWORD not in logged.out + logged.err


def test_a_password_rendered_into_an_egress_url_is_hidden_from_the_rendered_field(register_plugin, dop_project):
    from dop_core.build.dags import build_one

    spy = SpyDestination()
    register_plugin(spy, name="spy")
    dop_project.dag("d", EGRESS_CONFIG.replace(URL_PASSWORD, "{{ params.pw }}"))
    op = build_one(dop_project.project(), "d").get_task("deliver")
    op.render_template_fields({"ds": "2024-05-01", "params": {"pw": "Rendered-pw-77"}})
    assert op.path == "ftp://deliveries:***@127.0.0.1:2121/out/2024-05-01/orders.csv"
    op.execute({"ds": "2024-05-01", "params": {}})
    assert spy.paths == ["ftp://deliveries:Rendered-pw-77@127.0.0.1:2121/out/2024-05-01/orders.csv"]


def test_a_url_password_in_sql_runs_but_stays_out_of_airflow(dop_project):
    from dop_core.contract.runtime import connect
    from dop_core.validate.targets import resolve_target

    sql = "SELECT 'https://reader:Sql-S3cret-pw@files.example/data.csv' AS url"
    dop_project.dag("d", "schema: s\ntasks:\n  - identifier: s\n    kind: {action: materialization, target: schema}\n"
                         "  - identifier: t\n    kind: {action: materialization, target: table}\n"
                         "    dependencies: [s]\n", sql={"t": sql})
    dag = dop_project.build()["dop__d"]
    assert "Sql-S3cret-pw" not in _serialized(dag)
    schema, table = dag.get_task("s"), dag.get_task("t")
    context = {"ds": "2024-05-01", "params": {}}
    table.render_template_fields(context)
    assert "Sql-S3cret-pw" not in table.sql  # what Airflow stores as the rendered field
    schema.execute(context)
    table.execute(context)
    with connect(resolve_target(dop_project.project())) as engine:
        assert engine.query("SELECT url FROM s.t").rows == [("https://reader:Sql-S3cret-pw@files.example/data.csv",)]


def test_a_file_trigger_url_password_is_used_but_never_shown(capsys):
    import fsspec

    from dop_core.builtin.triggers.operators import DopFileSensor

    url = "memory://watcher:File-S3cret-pw@host/landing/orders.csv"
    fs, path = fsspec.core.url_to_fs(url)
    fs.pipe(path, b"id\n1\n")
    try:
        sensor = DopFileSensor(task_id="wait", filepath=url)
        assert sensor.filepath == "memory://watcher:***@host/landing/orders.csv"
        done = sensor.poke({})
        assert done.is_done and "File-S3cret-pw" not in repr(done.xcom_value)
        assert "File-S3cret-pw" not in capsys.readouterr().out
    finally:
        fs.rm(path)


def test_a_broken_dag_shows_its_error_without_credentials(register_plugin, dop_project):
    register_plugin(SpyDestination(), name="spy")
    dop_project.dag("d", EGRESS_CONFIG.replace("/out/{{ ds }}/orders.csv", "/out/orders"))
    dag = dop_project.build()["dop__d"]
    assert "dop:config-error" in dag.tags
    assert "ftp://deliveries:***@127.0.0.1:2121/out/orders" in dag.doc_md
    assert URL_PASSWORD not in _serialized(dag)


# -- dop run ----------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_dop_run_masks_connection_passwords_and_secret_variables(dop_project, tmp_path):
    """What Airflow masks in its own task logs (a connection password, a *secret* Variable) is masked in
    dop run's output and run log too: in DOP's SQL as sent and reports, and in a BashOperator's output."""
    secrets = {"connection": "Run-conn-pw-4411", "Variable": "Run-var-secret-8822"}
    dop_project.dag("d", textwrap.dedent("""\
        schema: s
        tasks:
          - identifier: s
            kind: {action: materialization, target: schema}
          - identifier: t
            kind: {action: materialization, target: table}
            dependencies: [s]
          - identifier: checked
            kind: {action: assertion, target: assertion}
            dependencies: [t]
          - identifier: notify
            kind: {action: airflow_operator, target: airflow.providers.standard.operators.bash.BashOperator}
            options:
              arguments:
                bash_command: "echo 'calling with {{ conn.vault.password }}' && echo 'key {{ var.value.api_secret }}'"
                do_xcom_push: false  # Airflow stores an operator's return value (its last line) as is
        """), sql={
        "t": "SELECT 1 AS x WHERE '{{ conn.vault.password }}' <> '{{ var.value.api_secret }}'",
        "checked": "SELECT COUNT(*) = 1 AS success, 'with {{ conn.vault.password }} and "
                   "{{ var.value.api_secret }}' AS description FROM s.t",
    })
    env = {"AIRFLOW_CONN_VAULT": json.dumps({"conn_type": "generic", "password": secrets["connection"]}),
           "AIRFLOW_VAR_API_SECRET": secrets["Variable"], "DOP_PARSE_CACHE_DIR": str(tmp_path / "cache")}
    result = run_dop("run", "d", "--date", "2024-05-01", cwd=dop_project.root, env=env)
    leaks = secrets_in_clear(secrets, outputs={"stdout": result.stdout, "stderr": result.stderr},
                             folders=(dop_project.root / ".dop",))
    assert not leaks, "\n".join(leaks)
    assert result.returncode == 0, result.stdout + result.stderr
    log = (dop_project.root / ".dop" / "logs" / "runs" / "dop__d" / "2024-05-01.log").read_text()
    assert "'***' <> '***'" in log  # the SQL as sent to DuckDB
    assert "with *** and ***" in log  # the assertion's report
    assert "calling with ***" in log and "key ***" in log  # what a task's own process printed
