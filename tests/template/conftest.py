"""Fixtures of the service-project template tests: a project rendered by ``dop init``, and servers on
loopback (the project's Airflow, a GCS emulator)."""

from __future__ import annotations

import pathlib
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
from template_support import EMULATOR_VENV, dop, free_port


@pytest.fixture(scope="module")
def new_project(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """A project made by ``dop init my_project --no-input`` (without the dbt example), shared by a module."""
    out = tmp_path_factory.mktemp("init")
    result = dop("init", "my_project", "--no-input", "--no-dbt", "--output-dir", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    return out / "my_project"


@pytest.fixture(scope="session")
def gcs_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``gcp-storage-emulator`` on 127.0.0.1 (its own venv, cached under ~/.cache/dop-test/, so its pins
    never meet Airflow's); yields the value for STORAGE_EMULATOR_HOST."""
    python = EMULATOR_VENV / "bin" / "python"
    server = EMULATOR_VENV / "bin" / "gcp-storage-emulator"
    if not server.exists():
        subprocess.run(["uv", "venv", "-q", str(EMULATOR_VENV)], check=True)
        subprocess.run(
            ["uv", "pip", "install", "-q", "--python", str(python), "gcp-storage-emulator"], check=True
        )
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
