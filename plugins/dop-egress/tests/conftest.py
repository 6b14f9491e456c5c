"""Real servers on loopback for the dop-egress tests: a GCS emulator and an OpenSSH server.

- ``gcs_emulator``: ``gcp-storage-emulator`` (PyPI) in its own virtualenv under ``$DOP_TEST_CACHE``
  (default ``~/.cache/dop-test/``; its pins stay out of Airflow's environment), started on 127.0.0.1.
- ``sshd``: Debian's OpenSSH server (``$DOP_TEST_SSHD``, default /usr/sbin/sshd), started
  on 127.0.0.1 with its own host key, config and an authorised client key in a temp folder. It
  listens on two ports; on the second, the SFTP server refuses renames (``internal-sftp -P``), a
  real server policy the atomicity test uses.

``.ci/test-servers gcs-emulator sshd`` installs and builds them (tox runs it first); a fixture whose
server is missing fails under CI=true and skips otherwise (``dop_core.testing.missing_server``).
"""

from __future__ import annotations

import json
import os
import pathlib
import socket
import subprocess
import time
from collections.abc import Iterator

import attrs
import pytest

from dop_core.testing import missing_server

CACHE = pathlib.Path(os.environ.get("DOP_TEST_CACHE") or pathlib.Path.home() / ".cache" / "dop-test")
EMULATOR = CACHE / "gcs-emulator"  # built by .ci/test-servers gcs-emulator (its .dop-ready stamp is written last)
SSHD = pathlib.Path(os.environ.get("DOP_TEST_SSHD") or "/usr/sbin/sshd")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(cmd: list[str], log: pathlib.Path) -> subprocess.Popen[bytes]:
    """Start a server with its output in ``log`` (a pipe nobody reads would fill up and block it)."""
    with open(log, "wb") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)


def wait_for_port(
    port: int, proc: subprocess.Popen[bytes], what: str, log: pathlib.Path, timeout: float = 30
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:.0f}s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# -- GCS emulator ---------------------------------------------------------------------------------
def _emulator() -> pathlib.Path:
    exe = EMULATOR / "bin" / "gcp-storage-emulator"
    if not (exe.exists() and (EMULATOR / ".dop-ready").exists()):
        missing_server(f"the GCS emulator (gcp-storage-emulator in {EMULATOR})", "run .ci/test-servers gcs-emulator")
    return exe


@attrs.frozen
class GcsEmulator:
    host: str  # the value of STORAGE_EMULATOR_HOST
    bucket: str

    def client(self):  # type: ignore[no-untyped-def]
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage

        return storage.Client(
            project="dop-test", credentials=AnonymousCredentials(), client_options={"api_endpoint": self.host}
        )

    def objects(self) -> dict[str, bytes]:
        client = self.client()
        return {b.name: b.download_as_bytes() for b in client.list_blobs(self.bucket)}


@pytest.fixture(scope="session")
def gcs_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GcsEmulator]:
    exe = _emulator()
    port = free_port()
    log = tmp_path_factory.mktemp("gcs") / "emulator.log"
    proc = start(
        [
            str(exe),
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--in-memory",
            "--default-bucket",
            "dop-test",
        ],
        log,
    )
    try:
        wait_for_port(port, proc, "gcp-storage-emulator", log)
        yield GcsEmulator(f"http://127.0.0.1:{port}", "dop-test")
    finally:
        stop(proc)


@pytest.fixture
def gcs(gcs_emulator: GcsEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[GcsEmulator]:
    """The emulator with STORAGE_EMULATOR_HOST set, and its bucket emptied after the test."""
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator.host)
    yield gcs_emulator
    for blob in gcs_emulator.client().list_blobs(gcs_emulator.bucket):
        blob.delete()


# -- OpenSSH server ------------------------------------------------------------------------------
def _ensure_sshd() -> None:
    if not SSHD.exists():
        missing_server(f"the OpenSSH server ({SSHD})",
                       "run .ci/test-servers sshd (as root it installs Debian's openssh-server)")
    if os.geteuid() != 0:
        missing_server("root for the OpenSSH test server (sshd switches to the logged-in user)",
                       "run the egress tests as root")


@attrs.frozen
class SshServer:
    port: int
    norename_port: int  # the same server; its SFTP subsystem refuses rename and posix-rename
    user: str
    key_file: pathlib.Path
    root: pathlib.Path  # a folder on the server (the same machine) for the tests' files

    def connection(self, port: int | None = None) -> str:
        """An Airflow connection (JSON, as in AIRFLOW_CONN_<ID>) for this server and key."""
        return json.dumps(
            {
                "conn_type": "sftp",
                "host": "127.0.0.1",
                "port": port or self.port,
                "login": self.user,
                "extra": {"key_file": str(self.key_file), "no_host_key_check": True},
            }
        )


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    _ensure_sshd()
    folder = tmp_path_factory.mktemp("sshd")
    for key in ("host_key", "client_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / key)], check=True)
    (folder / "authorized_keys").write_text((folder / "client_key.pub").read_text())
    port, norename = free_port(), free_port()
    config = folder / "sshd_config"
    config.write_text(f"""
Port {port}
Port {norename}
ListenAddress 127.0.0.1
HostKey {folder / "host_key"}
PidFile {folder / "sshd.pid"}
AuthorizedKeysFile {folder / "authorized_keys"}
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
Subsystem sftp internal-sftp
Match LocalPort {norename}
    ForceCommand internal-sftp -P rename,posix-rename
""")
    pathlib.Path("/run/sshd").mkdir(parents=True, exist_ok=True)  # sshd's privilege-separation folder
    log = folder / "sshd.log"
    proc = start([str(SSHD), "-D", "-e", "-f", str(config)], log)
    try:
        wait_for_port(port, proc, "sshd", log)
        wait_for_port(norename, proc, "sshd", log)
        root = folder / "remote"
        root.mkdir()
        yield SshServer(port, norename, "root", folder / "client_key", root)
    finally:
        stop(proc)


# -- a real DuckDB warehouse with a table, and export requests against it --------------------------
ORDERS_SQL = """
CREATE SCHEMA IF NOT EXISTS shop;
CREATE OR REPLACE TABLE shop.orders AS
SELECT i AS id, 'customer ' || (i % 7) AS customer, CAST(i * 1.25 AS DOUBLE) AS amount,
       DATE '2024-01-01' + CAST(i % 30 AS INTEGER) AS ordered_on
FROM range(1, 1001) t(i);
"""


@attrs.frozen
class Warehouse:
    root: pathlib.Path
    target: object

    def request(self, path: str, options: object, fmt: str = "parquet", **kwargs: object):  # type: ignore[no-untyped-def]
        from dop_core import ExportRequest, FileFormat, Relation

        compression = {".gz": "gzip", ".zst": "zstd"}.get(pathlib.PurePosixPath(path).suffix, "none")
        if "sql" not in kwargs and "source" not in kwargs:
            kwargs["source"] = Relation("shop", "orders")
        kwargs.setdefault("dialect", "duckdb")
        kwargs.setdefault("task_id", "export")
        return ExportRequest(
            target=self.target,
            path=path,  # type: ignore[arg-type]
            format=kwargs.pop("format", FileFormat(fmt, compression=compression)),  # type: ignore[arg-type]
            options=options,
            project_root=self.root,
            **kwargs,
        )  # type: ignore[arg-type]

    def rows(self, sql: str) -> list[tuple[object, ...]]:
        import duckdb

        con = duckdb.connect()
        try:
            return [tuple(r) for r in con.execute(sql).fetchall()]
        finally:
            con.close()

    def orders(self) -> list[tuple[object, ...]]:
        from dop_core import connect

        with connect(self.target) as engine:  # type: ignore[arg-type]
            return sorted(engine.query("SELECT * FROM shop.orders").rows)


@pytest.fixture
def warehouse(dop_project) -> Warehouse:  # type: ignore[no-untyped-def]
    from dop_core import connect, resolve_target

    target = resolve_target(dop_project.project())
    with connect(target) as engine:
        engine.execute(ORDERS_SQL)
    return Warehouse(dop_project.root, target)
