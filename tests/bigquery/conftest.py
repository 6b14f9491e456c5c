"""A BigQuery emulator server on loopback for the BigQuery engine's tests.

The emulator (bqemulator) lives in a virtualenv of its own, because its pins clash with Airflow's:
``~/.cache/dop-test/bqemulator-venv`` (or ``$DOP_TEST_CACHE/bqemulator-venv``), which
``.ci/test-servers bigquery-emulator`` builds (tox runs it first; the pins are there). It runs as a
separate server process through ``tests/support/bqemulator_launcher.py`` (which tolerates DuckDB's
spatial extension being unreachable offline). Tests talk to it through the official
google-cloud-bigquery client and through DOP's BigQuery engine.

Without that virtualenv the tests fail under CI=true and are skipped otherwise, naming the script;
any other failure (the server does not start or answer) fails them.
"""

from __future__ import annotations

import itertools
import os
import pathlib
import re
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from dop_core.testing import missing_server

PROJECT = "test-project"
LAUNCHER = pathlib.Path(__file__).resolve().parents[1] / "support" / "bqemulator_launcher.py"
READY = "BQEMULATOR-READY"
CALL_TIMEOUT = 60.0


def cache_dir() -> pathlib.Path:
    return pathlib.Path(os.environ.get("DOP_TEST_CACHE") or pathlib.Path.home() / ".cache" / "dop-test")


def emulator_python() -> pathlib.Path:
    """The emulator virtualenv's python (built by .ci/test-servers, which writes its stamp last)."""
    venv = cache_dir() / "bqemulator-venv"
    python = venv / "bin" / "python"
    if not (python.exists() and (venv / ".dop-ready").is_file()):
        missing_server(f"the BigQuery emulator (bqemulator in {venv})", "run .ci/test-servers bigquery-emulator")
    return python


@pytest.fixture(scope="session")
def bq_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The REST endpoint (``http://127.0.0.1:PORT``) of a running emulator, stopped after the session."""
    python = emulator_python()
    folder = tmp_path_factory.mktemp("bqemulator")
    log_path = folder / "emulator.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [str(python), str(LAUNCHER), "--project", PROJECT],
            cwd=folder,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        endpoint = _wait_ready(proc, log_path)
        yield endpoint
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def _wait_ready(proc: subprocess.Popen[bytes], log_path: pathlib.Path, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log_path.read_text(errors="replace")
        if m := re.search(rf"^{READY} (\S+)$", text, re.M):
            endpoint = m.group(1)
            # the REST API answers: list the (empty) datasets of the test project
            url = f"{endpoint}/bigquery/v2/projects/{PROJECT}/datasets"
            with urllib.request.urlopen(url, timeout=10) as response:
                assert response.status == 200, f"the emulator answered {response.status} on {url}"
            return endpoint
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-30:])
    state = f"exited {proc.returncode}" if proc.poll() is not None else f"not ready after {timeout:.0f}s"
    pytest.fail(f"the BigQuery emulator {state}; its log ({log_path}):\n{tail}", pytrace=False)


@pytest.fixture(scope="session")
def bq_client(bq_emulator: str) -> Iterator[Any]:
    """The official google-cloud-bigquery client, anonymous, talking to the emulator."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    client = bigquery.Client(
        project=PROJECT, credentials=AnonymousCredentials(), client_options={"api_endpoint": bq_emulator}
    )
    yield client
    client.close()


@pytest.fixture(scope="session")
def bq_rows(bq_client: Any) -> Any:
    """``bq_rows(sql)``: rows through the client, as dicts, with bounded waits (it retries 500s long)."""
    from google.cloud.bigquery.retry import DEFAULT_RETRY

    retry = DEFAULT_RETRY.with_timeout(CALL_TIMEOUT)

    def rows(sql: str) -> list[dict[str, Any]]:
        job = bq_client.query(sql, timeout=CALL_TIMEOUT, retry=retry)
        return [dict(row) for row in job.result(timeout=CALL_TIMEOUT, retry=retry)]

    return rows


@pytest.fixture
def bq_target(bq_emulator: str) -> Any:
    """``bq_target(**options)``: a ``bigquery`` target on the emulator (location US, label team=data)."""
    from dop_core.builtin.bigquery.target import BigQueryTarget
    from dop_core.config.models import Target

    def target(**options: Any) -> Target:
        raw = {
            "project": PROJECT,
            "api_endpoint": bq_emulator,
            "location": "US",
            "job_timeout": CALL_TIMEOUT,
            "labels": {"team": "data"},
            **options,
        }
        return Target("bq", "bigquery", raw, BigQueryTarget(**raw))

    return target


@pytest.fixture
def bq_engine(bq_target: Any) -> Iterator[Any]:
    """DOP's BigQuery engine connected to the emulator."""
    from dop_core.builtin.bigquery.engine import connect

    with connect(bq_target()) as engine:
        yield engine


_counter = itertools.count()


@pytest.fixture
def dataset(bq_engine: Any, request: pytest.FixtureRequest) -> str:
    """A fresh dataset for one test, created through the engine."""
    name = re.sub(r"\W", "_", request.node.name.removeprefix("test_"))[:60] + f"_{next(_counter)}"
    bq_engine.create_schema(name)
    return name


SALES_CONFIG = """\
schedule_interval: "0 4 * * *"
schema: sales
tasks:
  - identifier: create_schema_sales
    kind: {action: materialization, target: schema}
  - identifier: raw_orders
    kind: {action: materialization, target: seed}
    options:
      columns: {order_date: DATE, store: STRING, amount: INT64}
    dependencies: [create_schema_sales]
  - identifier: clean_store
    kind: {action: materialization, target: udf}
    options:
      arguments: [{name: str, type: STRING}]
      returns: STRING
    dependencies: [create_schema_sales]
  - identifier: daily_revenue
    kind: {action: materialization, target: table}
    partitioning: {field: order_date, data_type: date}
    dependencies: [raw_orders, clean_store]
  - identifier: top_stores
    kind: {action: materialization, target: view}
    dependencies: [daily_revenue]
  - identifier: checks
    kind: {action: assertion, target: assertion}
    dependencies: [daily_revenue]
  - identifier: flag_big_days
    kind: {action: materialization, target: stored_procedure}
    options:
      arguments: [{name: run_date, type: DATE}]
    dependencies: [daily_revenue]
  - identifier: invoke_flag_big_days
    kind: {action: invocation, target: stored_procedure}
    dependencies: [flag_big_days]
"""

SALES_SQL = {
    "clean_store": "LOWER(TRIM(str))\n",
    "daily_revenue": """\
SELECT order_date, sales.clean_store(store) AS store, SUM(amount) AS revenue
FROM sales.raw_orders
{% if is_incremental() %}WHERE order_date = DATE '{{ ds }}'{% endif %}
GROUP BY 1, 2
""",
    "top_stores": "SELECT store, SUM(revenue) AS revenue FROM sales.daily_revenue\n"
    "GROUP BY store HAVING SUM(revenue) >= 50\n",
    "checks": """\
SELECT COUNT(*) > 0 AS success, 'daily_revenue has rows for {{ ds }}' AS description
FROM sales.daily_revenue WHERE order_date = DATE '{{ ds }}'
""",
    "flag_big_days": """\
CREATE TABLE IF NOT EXISTS sales.big_days (order_date DATE, store STRING, revenue INT64);
DELETE FROM sales.big_days WHERE order_date = run_date;
INSERT INTO sales.big_days (order_date, store, revenue)
SELECT order_date, store, revenue FROM sales.daily_revenue WHERE order_date = run_date AND revenue >= 30;
""",
    "invoke_flag_big_days": "CALL sales.flag_big_days(DATE '{{ ds }}');\n",
}


@pytest.fixture
def sales_project(dop_project: Any) -> Any:
    """``sales_project(targets_yaml)``: a project with one DAG ``sales`` using every native task kind."""

    def make(targets: str, orders_csv: str = "order_date,store,amount\n") -> Any:
        dop_project.write("dop_project.yml", f"name: sales_project\ndialect: bigquery\ntargets:\n{targets}")
        dop_project.dag("sales", SALES_CONFIG, sql=SALES_SQL, files={"data/raw_orders.csv": orders_csv})
        return dop_project

    return make
