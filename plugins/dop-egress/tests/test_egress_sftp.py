"""The ``sftp`` destination against a real OpenSSH server on loopback (see conftest.sshd)."""

from __future__ import annotations

import pathlib

import pytest
from conftest import free_port
from dop_egress.options import SftpOptions
from dop_egress.sftp import export

from dop_core import DopError


@pytest.fixture
def sftp_conn(sshd, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AIRFLOW_CONN_EGRESS_SFTP", sshd.connection())
    monkeypatch.setenv("AIRFLOW_CONN_EGRESS_NORENAME", sshd.connection(sshd.norename_port))
    return sshd


def _remote_files(folder: pathlib.Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_the_file_arrives_whole_under_its_final_name(warehouse, sftp_conn) -> None:
    remote = sftp_conn.root / "t1"
    path = f"{remote}/exports/2024-01-02/orders.csv"
    result = export(
        warehouse.request(path, SftpOptions(conn_id="egress_sftp"), fmt="csv", success_marker=True)
    )
    assert result.rows == 1000
    assert result.where == f"sftp://root@127.0.0.1:{sftp_conn.port}{path}"
    assert _remote_files(remote) == ["exports/2024-01-02/_SUCCESS", "exports/2024-01-02/orders.csv"]
    # the same rows written locally by the same code: byte for byte what the server received
    from dop_egress.file import export as export_file
    from dop_egress.options import FileOptions

    export_file(warehouse.request("local.csv", FileOptions(), fmt="csv"))
    received = (remote / "exports/2024-01-02/orders.csv").read_bytes()
    assert received == (warehouse.root / "local.csv").read_bytes()
    assert len(received) == result.bytes
    assert (
        sorted(warehouse.rows(f"SELECT * FROM read_csv('{remote / 'exports/2024-01-02/orders.csv'}')"))
        == warehouse.orders()
    )


def test_replacing_an_existing_file_and_the_overwrite_policy(warehouse, sftp_conn) -> None:
    remote = sftp_conn.root / "t2"
    remote.mkdir()
    (remote / "orders.parquet").write_bytes(b"old")
    path = f"{remote}/orders.parquet"
    with pytest.raises(DopError, match="already exists and the task's overwrite policy is 'fail'"):
        export(warehouse.request(path, SftpOptions(conn_id="egress_sftp"), overwrite="fail"))
    assert (remote / "orders.parquet").read_bytes() == b"old"
    export(warehouse.request(path, SftpOptions(conn_id="egress_sftp")))
    assert (remote / "orders.parquet").read_bytes()[:4] == b"PAR1"
    assert _remote_files(remote) == ["orders.parquet"]


def test_a_refused_rename_publishes_nothing_and_removes_the_upload(warehouse, sftp_conn) -> None:
    """On this port the server's policy refuses renames: the upload succeeds, moving it into place fails."""
    remote = sftp_conn.root / "t3"
    remote.mkdir()
    (remote / "orders.csv").write_text("previous\n")
    with pytest.raises(
        DopError,
        match=r"uploading .*/t3/orders.csv to the SFTP server root@127.0.0.1:\d+ failed, "
        r"nothing was published .*PermissionError",
    ) as failed:
        export(warehouse.request(f"{remote}/orders.csv", SftpOptions(conn_id="egress_norename"), fmt="csv"))
    assert f":{sftp_conn.norename_port}" in str(failed.value)
    assert _remote_files(remote) == ["orders.csv"]  # the temporary upload was removed
    assert (remote / "orders.csv").read_text() == "previous\n"


def test_a_refused_connection_names_the_server(warehouse, sshd, monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()  # nobody listens there
    monkeypatch.setenv("AIRFLOW_CONN_EGRESS_CLOSED", sshd.connection(port))
    with pytest.raises(
        DopError,
        match=rf"cannot connect to the SFTP server 127\.0\.0\.1:{port} \(Airflow connection "
        r"'egress_closed', 1 attempt\(s\)\)",
    ):
        export(
            warehouse.request(
                "/tmp/never.csv", SftpOptions(conn_id="egress_closed", connect_attempts=1), fmt="csv"
            )
        )
