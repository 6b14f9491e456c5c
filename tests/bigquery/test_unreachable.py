"""A BigQuery endpoint that does not answer, or refuses connections, fails a statement within seconds
with a message naming the target and the endpoint; every retry is logged as it happens.

Real google-cloud-bigquery clients against loopback ports (``dop_core.testing``'s ``unanswering_port``
and ``refusing_port``): no server, nothing mocked.
"""

from __future__ import annotations

import logging
import time

import pytest

from dop_core.builtin.bigquery.engine import BigQueryEngine
from dop_core.builtin.bigquery.target import BigQueryTarget
from dop_core.config.models import Target
from dop_core.errors import EngineError

pytestmark = pytest.mark.timeout(120)


def engine_at(port: int, **options: object) -> BigQueryEngine:
    raw = {"project": "p", "api_endpoint": f"http://127.0.0.1:{port}", **options}
    return BigQueryEngine(Target("prod", "bigquery", raw, BigQueryTarget(**raw)))  # type: ignore[arg-type]


def fail(engine: BigQueryEngine) -> tuple[str, float]:
    started = time.monotonic()
    with engine, pytest.raises(EngineError) as info:
        engine.execute("SELECT 1")
    return str(info.value), time.monotonic() - started


def retries_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "dop_core.builtin.bigquery.engine"]


def test_an_endpoint_that_never_answers_fails_after_its_retries(unanswering_port, caplog):
    caplog.set_level(logging.WARNING)
    endpoint = f"http://127.0.0.1:{unanswering_port}"
    message, took = fail(engine_at(unanswering_port, request_timeout=1, retries=2))
    assert message.startswith(f"target 'prod': the BigQuery API at {endpoint} did not answer within 1s "
                              "(request_timeout) in 3 attempt(s)"), message
    assert "raise request_timeout or retries on the target" in message and "  1 | SELECT 1" in message
    assert retries_logged(caplog) == [f"BigQuery request to {endpoint} failed (ReadTimeout); retry 1 of 2",
                                      f"BigQuery request to {endpoint} failed (ReadTimeout); retry 2 of 2"]
    assert 3 <= took < 30  # three 1 s attempts and two short back-offs, not the client's 10 minutes


def test_a_refused_connection_fails_within_seconds_with_the_default_options(refusing_port, caplog):
    caplog.set_level(logging.WARNING)
    endpoint = f"http://127.0.0.1:{refusing_port}"
    message, took = fail(engine_at(refusing_port))
    assert message.startswith(f"target 'prod': the BigQuery API at {endpoint} cannot be reached (ConnectionError: "
                              "[Errno 111] Connection refused) in 3 attempt(s)"), message
    logged = retries_logged(caplog)
    assert len(logged) == 2 and logged[1].endswith("[Errno 111] Connection refused); retry 2 of 2"), logged
    assert took < 30


def test_the_default_timeouts_are_seconds_not_hours():
    options = BigQueryTarget()
    assert options.request_timeout * (options.retries + 1) <= 60
