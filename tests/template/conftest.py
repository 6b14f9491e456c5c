"""Fixtures of the service-project template tests: a project rendered by ``dop init``, servers on
loopback (a GCS emulator) and the tools some tests drive (uv, Chromium).

``.ci/test-servers uv chromium gcs-emulator`` installs and builds them (tox runs it first); a fixture
whose server or tool is missing fails under CI=true and skips otherwise, naming that command.
"""

from __future__ import annotations

import os
import pathlib
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
from template_support import dop, free_port

from dop_core.testing import missing_server

CACHE = pathlib.Path(os.environ.get("DOP_TEST_CACHE") or pathlib.Path.home() / ".cache" / "dop-test")
EMULATOR_VENV = CACHE / "gcs-emulator"  # built by .ci/test-servers gcs-emulator (its .dop-ready stamp last)
CHROMIUM = pathlib.Path(os.environ.get("DOP_TEST_CHROMIUM") or "/usr/bin/chromium")


@pytest.fixture(scope="module")
def new_project(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """A project made by ``dop init my_project --no-input`` (without the dbt example), shared by a module."""
    out = tmp_path_factory.mktemp("init")
    result = dop("init", "my_project", "--no-input", "--no-dbt", "--output-dir", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    return out / "my_project"


@pytest.fixture(scope="session")
def gcs_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``gcp-storage-emulator`` on 127.0.0.1 (its own venv under the test cache, so its pins never meet
    Airflow's); yields the value for STORAGE_EMULATOR_HOST."""
    server = EMULATOR_VENV / "bin" / "gcp-storage-emulator"
    if not (server.exists() and (EMULATOR_VENV / ".dop-ready").is_file()):
        missing_server(f"the GCS emulator (gcp-storage-emulator in {EMULATOR_VENV})",
                       "run .ci/test-servers gcs-emulator")
    port = free_port()
    data = tmp_path_factory.mktemp("gcs")
    log = open(data / "emulator.log", "wb")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen(
        [
            str(server),
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--in-memory",
            "--default-bucket",
            "composer-bucket",
        ],
        cwd=data,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while True:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("the GCS emulator did not start:\n" + (data / "emulator.log").read_text())
        time.sleep(0.2)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="session")
def chromium() -> pathlib.Path:
    """Debian's Chromium (``$DOP_TEST_CHROMIUM``, default /usr/bin/chromium), for Playwright's ``executable_path``."""
    if not CHROMIUM.is_file():
        missing_server(f"Chromium ({CHROMIUM})",
                       "run .ci/test-servers chromium (as root it installs Debian's chromium)")
    return CHROMIUM
