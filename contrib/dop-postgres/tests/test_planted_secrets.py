"""Secrets planted in every channel never show in clear, after real ``dop run``s on DuckDB and PostgreSQL.

One DAG uses each channel a DOP project has for a credential:

- an egress ``file`` URL with a user and password (``ftp://user:pass@...``, ``:`` and ``@`` in the
  password), exported to a real FTP server on loopback (dop-egress; pyftpdlib);
- an Airflow connection's password, through ``{{ conn.vault.password }}`` in a table's SQL and in an
  assertion's report;
- an Airflow Variable named ``api_secret`` (Airflow masks ``*secret*`` names), in the same SQL;
- a target secret: the ``password`` key of a postgres target (declared secret by dop-postgres);
- a PostgreSQL DSN whose password holds ``@``, ``:`` and ``/``, written raw in the URL.

The DAG runs on the DuckDB target and on two PostgreSQL targets (the server of ``postgres_server``).
Then stdout and stderr of every run, every file under the project's ``.dop/`` (run logs, task logs, the
warehouse) and every row of the Airflow database (serialized DAGs, rendered fields, XComs, the log
table...) are searched for each secret, as is and percent-encoded.

It lives with dop-postgres because it needs the PostgreSQL fixtures; its tox env installs dop-egress too.
"""

from __future__ import annotations

import json
import os
import pathlib
import socket
import subprocess
import sys
import time
import uuid

import psycopg
import pytest

from dop_core.testing import ProjectFactory, run_dop, secrets_in_clear

pytestmark = pytest.mark.slow

SECRETS = {
    "egress URL": "ftp:Pa55@w0rd-Kq71",
    "connection": "conn-Pa55word-Qx81",
    "Variable": "var-S3cret-Zt42",
    "target": "tgt P@ss w0rd'Mm93",
    "DSN": "dsn-p@ss:w/rd-Jw55",
}
FTP_USER = "deliveries"

CONFIG = """\
schema: planted
tasks:
  - identifier: planted
    kind: {action: materialization, target: schema}
  - identifier: orders
    kind: {action: materialization, target: table}
    dependencies: [planted]
  - identifier: orders_checked
    kind: {action: assertion, target: assertion}
    dependencies: [orders]
  - identifier: deliver
    kind: {action: egress, target: file}
    dependencies: [orders]
    options:
      source: planted.orders
      path: ftp://%(user)s:%(password)s@127.0.0.1:%(port)d/out/{{ ds }}/orders.csv
"""
ORDERS_SQL = ("SELECT 1 AS id, 'paid' AS status\n"
              "WHERE '{{ conn.vault.password }}' <> '{{ var.value.api_secret }}'\n")
CHECK_SQL = ("SELECT COUNT(*) = 1 AS success,\n"
             "  'checked with {{ conn.vault.password }} and {{ var.value.api_secret }}' AS description\n"
             "FROM planted.orders\n")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def ftp_server(tmp_path: pathlib.Path):
    """pyftpdlib on 127.0.0.1 with one user whose password is the egress URL's secret; yields (port, root)."""
    root = tmp_path / "ftp"
    root.mkdir()
    port = _free_port()
    log = tmp_path / "ftp.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "pyftpdlib", "-i", "127.0.0.1", "-p", str(port), "-w",
                                 "-d", str(root), "-u", FTP_USER, "-P", SECRETS["egress URL"]],
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while not _listening(port):
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"the FTP server did not listen:\n{log.read_text()}"
            time.sleep(0.1)
        yield port, root
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def roles(postgres_server, pg_database):
    """Two login roles of ``pg_database``: one for the DSN's password, one for the target's ``password``."""
    suffix = uuid.uuid4().hex[:8]
    names = {"DSN": f"dsn_role_{suffix}", "target": f"key_role_{suffix}"}
    dbname = pg_database.rsplit("/", 1)[1]
    with psycopg.connect(pg_database, autocommit=True) as con:
        for channel, role in names.items():
            password = SECRETS[channel].replace("'", "''")
            con.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'".encode())
            con.execute(f'GRANT ALL ON DATABASE "{dbname}" TO {role}'.encode())
        con.execute(f"GRANT {names['DSN']} TO {names['target']}".encode())  # both runs write one schema
    yield names, dbname
    with psycopg.connect(pg_database, autocommit=True) as con:
        for role in names.values():
            con.execute(f'REASSIGN OWNED BY {role} TO "{postgres_server.user}"'.encode())
            con.execute(f"DROP OWNED BY {role}".encode())
            con.execute(f"DROP ROLE {role}".encode())


def test_planted_secrets_never_show_in_clear(tmp_path, postgres_server, pg_database, roles, ftp_server):
    names, dbname = roles
    port, ftp_root = ftp_server
    server = f"127.0.0.1:{postgres_server.port}"
    target = SECRETS["target"].replace("\\", "\\\\").replace('"', '\\"')
    project = ProjectFactory(tmp_path / "planted", f"""\
        name: planted
        targets:
          local: {{engine: duckdb, path: .dop/warehouse.duckdb}}
          pg_url: {{engine: postgres, dsn: "postgresql://{names['DSN']}:{SECRETS['DSN']}@{server}/{dbname}"}}
          pg_key:
            engine: postgres
            dsn: "host=127.0.0.1 port={postgres_server.port} dbname={dbname} user={names['target']}"
            password: "{target}"
        """)
    project.dag("deliveries", CONFIG % {"user": FTP_USER, "password": SECRETS["egress URL"], "port": port},
                sql={"orders": ORDERS_SQL, "orders_checked": CHECK_SQL})
    env = {
        "AIRFLOW_CONN_VAULT": json.dumps({"conn_type": "generic", "host": "vault.example",
                                          "password": SECRETS["connection"]}),
        "AIRFLOW_VAR_API_SECRET": SECRETS["Variable"],
        "DOP_PARSE_CACHE_DIR": str(tmp_path / "parse-cache"),
        "PATH": os.environ["PATH"],
    }
    outputs, results = {}, {}
    runs = {"local": "2024-03-01", "pg_url": "2024-03-02", "pg_key": "2024-03-03"}
    for name, date in runs.items():
        results[name] = run_dop("run", "deliveries", "--date", date, "--target", name, cwd=project.root, env=env)
        outputs[f"dop run --target {name}: stdout"] = results[name].stdout
        outputs[f"dop run --target {name}: stderr"] = results[name].stderr

    # failed runs must not leak either: search first, then check that every run did its work
    leaks = secrets_in_clear(SECRETS, outputs=outputs, folders=(project.root / ".dop",))
    assert not leaks, "\n".join(leaks)
    for name, date in runs.items():
        assert results[name].returncode == 0, results[name].stdout + results[name].stderr
        assert "DAG run success" in results[name].stdout
        # the real credentials reached the FTP server
        assert (ftp_root / "out" / date / "orders.csv").read_text() == "id,status\n1,paid\n"
    with psycopg.connect(pg_database) as con:  # ... and PostgreSQL
        assert con.execute("SELECT id, status FROM planted.orders").fetchall() == [(1, "paid")]
    # where the secrets would be, the log shows the mask
    run_log = (project.root / ".dop" / "logs" / "runs" / "dop__deliveries" / "2024-03-01.log").read_text()
    assert f"ftp://{FTP_USER}:***@127.0.0.1:{port}/out/2024-03-01/orders.csv" in run_log
    assert "checked with *** and ***" in run_log
