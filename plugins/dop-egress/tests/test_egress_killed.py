"""A killed export leaves temporary files behind (SIGKILL runs no cleanup); the next run of the same task
removes them, and never another task's. Real kills of a child process, on local files, the OpenSSH
server and the GCS emulator."""

from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable

import pytest
from dop_egress.options import FileOptions, GcsOptions, SftpOptions

from dop_core import task_token, temp_name

DAG = "dop__shop"
TASK = "export_big"
#: ~100 MB of CSV, written and uploaded in seconds: long enough to be killed halfway
BIG_SQL = "SELECT i, repeat('x', 60) AS pad FROM range(1500000) t(i)"

CHILD = textwrap.dedent("""\
    import pathlib, sys

    from dop_core import ExportRequest, FileFormat, get_registry, load_project, resolve_target
    import dop_egress.options as options

    root, destination, model, path, sql = sys.argv[1:]
    target = resolve_target(load_project(root))
    request = ExportRequest(task_id="export_big", dag_id="dop__shop", target=target, dialect="duckdb", path=path,
                            format=FileFormat(kind="csv"), options=getattr(options, model)(
                                **({"conn_id": "egress_sftp"} if model == "SftpOptions" else {})),
                            project_root=pathlib.Path(root), sql=sql)
    get_registry().named("egress", destination).export(request)
    """)


def _kill_when(
    warehouse, tmp_path: pathlib.Path, destination: str, model: str, path: str, ready: Callable[[], bool]
) -> pathlib.Path:
    """Run an export of BIG_SQL in a child process, SIGKILL it once ``ready()``; return its temp folder."""
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    scratch = tmp_path / "tmp"
    scratch.mkdir(exist_ok=True)
    env = {**os.environ, "TMPDIR": str(scratch)}
    child = subprocess.Popen(
        [sys.executable, str(script), str(warehouse.root), destination, model, path, BIG_SQL],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while not ready():
            if child.poll() is not None:
                output = child.stdout.read().decode() if child.stdout else ""
                pytest.fail(f"the export ended ({child.returncode}) before it could be killed:\n{output}")
            assert time.monotonic() < deadline, "the export never got to the point where it is killed"
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait()
        if child.stdout:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    return scratch


def _request(warehouse, path: str, options: object, **kwargs: object):  # type: ignore[no-untyped-def]
    return warehouse.request(path, options, fmt="csv", sql="SELECT 42 AS answer", dag_id=DAG, task_id=TASK, **kwargs)


def _temps(folder: pathlib.Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".dop-tmp-" in p.name) if folder.is_dir() else []


def test_a_killed_local_export_leaves_a_temp_file_the_next_run_removes(warehouse, tmp_path: pathlib.Path) -> None:
    from dop_egress.file import export

    out = warehouse.root / "exports"
    out.mkdir()
    ours = f".big.csv.dop-tmp-{task_token(DAG, TASK)}-"
    others = [out / temp_name("big.csv", task_token(DAG, "another_task")), out / temp_name("other.csv")]
    for other in others:  # another task's export in progress, and one of another file
        other.write_text("not ours\n")

    def started() -> bool:
        return any(p.name.startswith(ours) and p.stat().st_size > 1_000_000 for p in out.iterdir())

    _kill_when(warehouse, tmp_path, "file", "FileOptions", "exports/big.csv", started)
    left = [name for name in _temps(out) if name.startswith(ours)]
    assert len(left) == 1, "SIGKILL leaves the half-written file behind"
    assert not (out / "big.csv").exists()

    result = export(_request(warehouse, "exports/big.csv", FileOptions()))
    assert result.rows == 1
    assert (out / "big.csv").read_text() == "answer\n42\n"
    assert _temps(out) == sorted(p.name for p in others)  # ours removed, the others untouched


def test_a_killed_sftp_upload_is_removed_from_the_server_by_the_next_run(
    warehouse, sshd, monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    from dop_egress.sftp import export

    monkeypatch.setenv("AIRFLOW_CONN_EGRESS_SFTP", sshd.connection())
    remote = sshd.root / "killed"
    remote.mkdir()
    other = remote / temp_name("big.csv", task_token(DAG, "another_task"))
    other.write_text("another task's upload in progress\n")
    prefix = f".big.csv.dop-tmp-{task_token(DAG, TASK)}-"

    def uploading() -> bool:
        return any(p.name.startswith(prefix) and p.stat().st_size > 1_000_000 for p in remote.iterdir())

    scratch = _kill_when(warehouse, tmp_path, "sftp", "SftpOptions", f"{remote}/big.csv", uploading)
    assert [n for n in _temps(remote) if n.startswith(prefix)], "the killed upload is left on the server"
    assert [p.name for p in scratch.iterdir()], "and the local copy in the temporary folder"

    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    export(_request(warehouse, f"{remote}/big.csv", SftpOptions(conn_id="egress_sftp")))
    assert (remote / "big.csv").read_text() == "answer\n42\n"
    assert _temps(remote) == [other.name]
    assert list(scratch.iterdir()) == []


def test_a_killed_gcs_export_leaves_nothing_once_the_task_runs_again(
    warehouse, gcs, monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    from dop_egress.gcs import export

    url = f"gs://{gcs.bucket}/exports/big.csv"
    bucket = gcs.client().bucket(gcs.bucket)
    # what a killed BigQuery EXPORT DATA of this task leaves (a temporary prefix), and another task's
    ours = temp_name("exports/big.csv", task_token(DAG, TASK)) + "/part-000.csv"
    theirs = temp_name("exports/big.csv", task_token(DAG, "another_task")) + "/part-000.csv"
    for name in (ours, theirs):
        bucket.blob(name).upload_from_string(b"1,2\n")
    scratch_prefix = f"dop-egress-{task_token(DAG, TASK)}-"

    def writing() -> bool:
        scratch = tmp_path / "tmp"
        return scratch.is_dir() and any(
            f.stat().st_size > 1_000_000 for d in scratch.glob(scratch_prefix + "*") for f in d.iterdir()
        )

    scratch = _kill_when(warehouse, tmp_path, "gcs", "GcsOptions", url, writing)
    assert [p.name for p in scratch.iterdir() if p.name.startswith(scratch_prefix)], "the killed run's scratch folder"
    assert "exports/big.csv" not in gcs.objects()  # GCS objects appear whole or not at all

    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    export(_request(warehouse, url, GcsOptions()))
    objects = gcs.objects()
    assert objects["exports/big.csv"] == b"answer\n42\n"
    assert ours not in objects and theirs in objects
    assert list(scratch.iterdir()) == []
