"""A real PostgreSQL server on 127.0.0.1 for the whole test session (Debian's postgresql package).

``postgres_server`` finds ``pg_ctl``, ``initdb`` and ``postgres`` (in ``$DOP_TEST_POSTGRES_BIN``, else on
PATH or in /usr/lib/postgresql/*/bin; ``.ci/test-servers postgres`` installs them), runs ``initdb`` and
``postgres`` as an unprivileged user in a temporary folder (the unix socket lives there too),
listening on a free port of 127.0.0.1 with password authentication, and stops the server at the end.
``pg_database`` gives each test a fresh database and its DSN. Without PostgreSQL the tests fail under
CI=true and are skipped otherwise, naming the script.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pathlib
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator

import attrs
import pytest

from dop_core.testing import missing_server

USER = "dop"
PASSWORD = "pg-s3cret-Zq7"  # tests assert this never shows in logs or errors


@attrs.frozen
class PostgresServer:
    host: str
    port: int
    user: str
    password: str
    bin_dir: pathlib.Path

    def dsn(self, dbname: str = "postgres", password: bool = True) -> str:
        secret = f":{self.password}" if password else ""
        return f"postgresql://{self.user}{secret}@{self.host}:{self.port}/{dbname}"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DOP_TARGET", "DOP_PROJECT_DIR", "DOP_PLUGINS", "DOP_DISABLE_PLUGINS", "DOP_STRICT_PLUGINS"):
        monkeypatch.delenv(name, raising=False)


def _find_bin_dir() -> pathlib.Path:
    configured = os.environ.get("DOP_TEST_POSTGRES_BIN")
    if configured:
        candidates = [pathlib.Path(configured)]
    else:
        found = shutil.which("pg_ctl")
        candidates = [pathlib.Path(found).resolve().parent] if found else []
        candidates += [pathlib.Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    for folder in candidates:
        if (folder / "pg_ctl").is_file() and (folder / "initdb").is_file() and (folder / "postgres").is_file():
            return folder
    missing_server(
        "PostgreSQL (pg_ctl, initdb and postgres, looked for in "
        + (f"DOP_TEST_POSTGRES_BIN={configured})" if configured else "PATH and /usr/lib/postgresql/*/bin)"),
        "run .ci/test-servers postgres (as root it installs Debian's postgresql)",
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_as() -> tuple[int | None, int | None]:
    """The unprivileged user (uid, gid) to run PostgreSQL as when we are root (postgres refuses root)."""
    if os.geteuid() != 0:
        return None, None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            entry = pwd.getpwnam(name)
            return entry.pw_uid, entry.pw_gid
    raise RuntimeError("running as root and no 'postgres' or 'nobody' user to run PostgreSQL as")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bin_dir = _find_bin_dir()
    uid, gid = _run_as()
    root = pathlib.Path(tempfile.mkdtemp(prefix="dop-pg-"))
    data, sock = root / "data", root / "socket"
    sock.mkdir()
    pwfile = root / "pwfile"
    pwfile.write_text(PASSWORD + "\n")
    if uid is not None:
        for path in (root, sock, pwfile):
            os.chown(path, uid, gid or -1)
    root.chmod(0o700)

    def run(*cmd: str) -> subprocess.CompletedProcess[str]:
        as_user = {} if uid is None else {"user": uid, "group": gid, "extra_groups": []}
        return subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120, cwd=root, **as_user)

    started = False
    try:
        initdb = [str(bin_dir / "initdb"), "-D", str(data), "-U", USER, f"--pwfile={pwfile}", "--auth-local=trust",
                  "--auth-host=scram-sha-256", "-E", "UTF8"]
        for locale in ("--locale=C.UTF-8", "--no-locale"):  # C.UTF-8 is missing on some images
            init = run(*initdb, locale)
            if init.returncode == 0:
                break
        assert init.returncode == 0, init.stdout + init.stderr
        port = _free_port()
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -k {sock} -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=60 -c shared_buffers=32MB"
        )
        start = run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"), "-o", options,
                    "-w", "-t", "60", "start")
        assert start.returncode == 0, start.stdout + start.stderr + (root / "server.log").read_text()
        started = True
        yield PostgresServer("127.0.0.1", port, USER, PASSWORD, bin_dir)
    finally:
        if started:
            run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_database(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh database for one test; returns its DSN (with the password)."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(postgres_server.dsn(), autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    yield postgres_server.dsn(name)
    with psycopg.connect(postgres_server.dsn(), autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
