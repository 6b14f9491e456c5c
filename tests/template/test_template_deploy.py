"""``dop deploy`` against a GCS emulator on loopback: upload, skip unchanged, delete removed, dry run."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest
from template_support import dop

from dop_core.testing import clean_env

BUCKET = "composer-bucket"


@pytest.fixture
def project(new_project: pathlib.Path, tmp_path: pathlib.Path) -> pathlib.Path:
    import shutil

    copy = tmp_path / "my_project"
    shutil.copytree(new_project, copy)
    return copy


@pytest.fixture
def bucket(gcs_emulator: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator)
    from dop_core.cli.deploy import storage_client

    client = storage_client()
    for blob in client.list_blobs(BUCKET):
        blob.delete()
    # another team's DAGs, next to ours in the Composer bucket
    client.bucket(BUCKET).blob("dags/other_team/dags/their_dag.py").upload_from_string(b"# theirs\n")
    client.bucket(BUCKET).blob("dags/my_project_old/keep.txt").upload_from_string(b"not ours either\n")
    return client.bucket(BUCKET)


def objects(bucket: Any) -> dict[str, bytes]:
    return {blob.name: blob.download_as_bytes() for blob in bucket.client.list_blobs(bucket.name)}


def deploy(project: pathlib.Path, emulator: str, *args: str) -> Any:
    return dop(
        "deploy", "--bucket", f"gs://{BUCKET}", *args, cwd=project, env={"STORAGE_EMULATOR_HOST": emulator}
    )


def test_deploy_uploads_skips_unchanged_and_deletes_removed(
    project: pathlib.Path, bucket: Any, gcs_emulator: str
) -> None:
    (project / ".dop").mkdir(exist_ok=True)  # dop init made it (the editor schemas)
    (project / ".dop" / "warehouse.duckdb").write_bytes(b"local state, never deployed")
    (project / "dags" / "__pycache__").mkdir()
    (project / "dags" / "__pycache__" / "dop_dags.cpython-312.pyc").write_bytes(b"\0")

    first = deploy(project, gcs_emulator)
    assert first.returncode == 0, first.stdout + first.stderr
    stored = objects(bucket)
    prefix = "dags/my_project/"
    ours = {name[len(prefix) :] for name in stored if name.startswith(prefix)}
    expected = {
        "dop_project.yml",
        "dags/dop_dags.py",
        ".airflowignore",
        *(p.relative_to(project).as_posix() for p in (project / "orchestration").rglob("*") if p.is_file()),
    }
    assert ours == expected
    assert (
        stored[prefix + "orchestration/example_covid19/sql/daily_cases.sql"]
        == (project / "orchestration/example_covid19/sql/daily_cases.sql").read_bytes()
    )
    assert stored[prefix + ".airflowignore"].decode().splitlines()[1:] == ["orchestration/", "dbt/"]
    assert f"{len(expected)} to upload, 0 to delete, 0 unchanged" in first.stdout
    assert stored["dags/other_team/dags/their_dag.py"] == b"# theirs\n"

    # nothing changed: nothing uploaded
    again = deploy(project, gcs_emulator)
    assert again.returncode == 0, again.stderr
    assert f"0 to upload, 0 to delete, {len(expected)} unchanged" in again.stdout
    assert "Nothing to do" in again.stdout

    # one file changed, one added, one removed
    sql = project / "orchestration/example_covid19/sql/v_country_summary.sql"
    sql.write_text(sql.read_text() + "-- changed\n")
    (project / "orchestration/example_covid19/sql/new_view.sql").write_text("SELECT 1 AS x\n")
    (project / "orchestration/example_covid19/sql/call_sp_refresh_country_totals.sql").unlink()

    dry = deploy(project, gcs_emulator, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "2 to upload, 1 to delete" in dry.stdout and "dry run" in dry.stdout
    assert (
        f"upload  gs://{BUCKET}/{prefix}orchestration/example_covid19/sql/v_country_summary.sql  (changed)"
        in dry.stdout
    )
    assert (
        f"upload  gs://{BUCKET}/{prefix}orchestration/example_covid19/sql/new_view.sql  (new)" in dry.stdout
    )
    assert (
        f"delete  gs://{BUCKET}/{prefix}orchestration/example_covid19/sql/call_sp_refresh_country_totals.sql"
        "  (removed locally)"
    ) in dry.stdout
    assert objects(bucket) == stored  # the dry run changed nothing

    third = deploy(project, gcs_emulator)
    assert third.returncode == 0, third.stderr
    after = objects(bucket)
    assert after[prefix + "orchestration/example_covid19/sql/v_country_summary.sql"].endswith(b"-- changed\n")
    assert prefix + "orchestration/example_covid19/sql/new_view.sql" in after
    assert prefix + "orchestration/example_covid19/sql/call_sp_refresh_country_totals.sql" not in after
    # other prefixes, even one starting with our name, are untouched
    assert after["dags/other_team/dags/their_dag.py"] == b"# theirs\n"
    assert after["dags/my_project_old/keep.txt"] == b"not ours either\n"
    assert "2 uploaded, 1 deleted" in third.stdout


def test_deploy_with_a_prefix(project: pathlib.Path, bucket: Any, gcs_emulator: str) -> None:
    result = deploy(project, gcs_emulator, "--prefix", "dags/teams/sales")
    assert result.returncode == 0, result.stderr
    assert "dags/teams/sales/dags/dop_dags.py" in objects(bucket)


def test_deploy_to_composers_dag_prefix(project: pathlib.Path, bucket: Any, gcs_emulator: str) -> None:
    """`gcloud composer environments describe` prints the DAG folder as gs://BUCKET/dags: same place."""
    result = dop(
        "deploy",
        "--bucket",
        f"gs://{BUCKET}/dags",
        "--dry-run",
        cwd=project,
        env={"STORAGE_EMULATOR_HOST": gcs_emulator},
    )
    assert result.returncode == 0, result.stderr
    assert f"upload  gs://{BUCKET}/dags/my_project/dags/dop_dags.py  (new)" in result.stdout
    assert "dags/dags/" not in result.stdout


def test_a_bucket_that_is_not_a_gs_url_is_refused(project: pathlib.Path) -> None:
    result = dop("deploy", "--bucket", "composer-bucket", cwd=project)
    assert result.returncode == 1
    assert "is not a gs:// URL" in result.stderr


# -- nothing outside the project's own prefix is ever lost ------------------------------------------
@pytest.mark.parametrize(
    ("bucket_url", "prefix", "said"),
    [
        (f"gs://{BUCKET}/dags", "", "names no folder"),
        (f"gs://{BUCKET}", "dags", "refusing to deploy to dags/, a top-level folder of the bucket"),
        (f"gs://{BUCKET}", "/", "names no folder"),
        (f"gs://{BUCKET}", "data/", "refusing to deploy to data/, a top-level folder"),
        (f"gs://{BUCKET}", "dags/../x", "has an empty, '.' or '..' folder"),
    ],
)
def test_a_prefix_shared_with_other_teams_is_refused(
    project: pathlib.Path, bucket: Any, gcs_emulator: str, bucket_url: str, prefix: str, said: str
) -> None:
    before = objects(bucket)
    for extra in ((), ("--dry-run",)):
        result = dop(
            "deploy", "--bucket", bucket_url, "--prefix", prefix, *extra,
            cwd=project, env={"STORAGE_EMULATOR_HOST": gcs_emulator},
        )
        assert result.returncode == 1, result.stdout
        assert said in result.stderr
        assert "Traceback" not in result.stderr
    assert objects(bucket) == before  # the other team's DAGs are all there


def test_a_prefix_holding_someone_elses_files_is_refused(
    project: pathlib.Path, bucket: Any, gcs_emulator: str
) -> None:
    before = objects(bucket)
    result = deploy(project, gcs_emulator, "--prefix", "dags/other_team")
    assert result.returncode == 1
    assert (
        f"refusing to deploy to gs://{BUCKET}/dags/other_team/: it holds 1 object(s) and no dop_project.yml "
        "of project 'my_project'"
    ) in result.stderr
    assert objects(bucket) == before
    # another DOP project's folder is not ours either
    bucket.blob("dags/sales/dop_project.yml").upload_from_string(b"name: sales\n")
    result = deploy(project, gcs_emulator, "--prefix", "dags/sales")
    assert result.returncode == 1 and "and project 'sales'" in result.stderr


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("gs:///x", "names no bucket"),
        ("gs://b?x=1#y", "is not a bucket name"),
        ("gs://Composer_Bucket", "is not a bucket name"),
        ("gs://ab", "is not a bucket name"),
        ("gs://my-google-bucket", "which GCS does not allow"),
        ("gs://composer-bucket/dags?x=1", "has a folder name with a control character, #, ?"),
        ("s3://composer-bucket", "is not a gs:// URL"),
    ],
)
def test_a_bucket_url_that_is_not_a_bucket_is_a_clear_error(project: pathlib.Path, url: str, said: str) -> None:
    result = dop("deploy", "--bucket", url, "--dry-run", cwd=project)
    assert result.returncode == 1
    assert f"error: --bucket {url!r} " in result.stderr and said in result.stderr
    assert "Traceback" not in result.stderr and "IndexError" not in result.stderr


def test_only_the_projects_regular_files_are_uploaded(
    project: pathlib.Path, bucket: Any, gcs_emulator: str, tmp_path: pathlib.Path
) -> None:
    import os

    (project / "dags" / ".env").write_text("API_TOKEN=DOP-TEST-SECRET\n")  # a dotfile: never uploaded
    (project / "dags" / ".airflowignore").write_text("scratch/\n")  # listed in deploy.include: uploaded
    (project / "orchestration" / ".cache").mkdir()
    (project / "orchestration" / ".cache" / "x.json").write_text("{}")
    os.mkfifo(project / "dags" / "a_pipe")  # neither read (it would block) nor uploaded
    with (project / "dop_project.yml").open("a") as handle:
        handle.write("deploy:\n  include: [dags/.airflowignore]\n")
    result = deploy(project, gcs_emulator, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert f"gs://{BUCKET}/dags/my_project/dags/.airflowignore  (new)" in result.stdout
    assert ".env" not in result.stdout and ".cache" not in result.stdout and "a_pipe" not in result.stdout

    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0:DOP-TEST-SECRET\n")
    (project / "orchestration" / "example_covid19" / "sql" / "stolen.sql").symlink_to(secret)
    (project / "dags" / "shared").symlink_to(tmp_path)
    before = objects(bucket)
    result = deploy(project, gcs_emulator)
    assert result.returncode == 1
    assert "refusing to deploy symbolic links that point outside the project" in result.stderr
    assert f"orchestration/example_covid19/sql/stolen.sql -> {secret}" in result.stderr
    assert f"dags/shared -> {tmp_path}" in result.stderr
    assert "DOP-TEST-SECRET" not in result.stdout + result.stderr
    assert objects(bucket) == before  # nothing was uploaded


def test_the_dry_run_lists_deletions_first(project: pathlib.Path, bucket: Any, gcs_emulator: str) -> None:
    assert deploy(project, gcs_emulator).returncode == 0
    sql = project / "orchestration/example_covid19/sql"
    (sql / "call_sp_refresh_country_totals.sql").unlink()
    (sql / "v_country_summary.sql").write_text("SELECT 2 AS y\n")
    dry = deploy(project, gcs_emulator, "--dry-run")
    changes = [line.split()[0] for line in dry.stdout.splitlines() if line.startswith("  ")]
    assert changes == ["delete", "upload"], dry.stdout


def test_a_deploy_killed_at_any_point_loses_nothing_and_the_next_one_finishes(
    project: pathlib.Path, bucket: Any, gcs_emulator: str
) -> None:
    """SIGKILL while it starts, then halfway through its uploads (after a random number of them):
    every object stays whole, the prefix always says whose it is, and the next deploy finishes."""
    import base64
    import hashlib
    import random
    import signal
    import subprocess
    import sys
    import time

    extra = project / "orchestration" / "example_covid19" / "extra"
    extra.mkdir()
    env = clean_env()
    env["STORAGE_EMULATOR_HOST"] = gcs_emulator
    command = [sys.executable, "-m", "dop_core.cli.main", "deploy", "--bucket", f"gs://{BUCKET}"]
    prefix = "dags/my_project/"
    rng = random.Random(1515)
    written: dict[str, set[bytes]] = {}

    def write_round(n: int) -> dict[str, str]:
        """Give every extra file new content; return the MD5 (as GCS shows it) each object must get."""
        md5s = {}
        for i in range(150):
            data = f"SELECT {i} AS n -- round {n}\n".encode()
            (extra / f"file_{i:03}.sql").write_bytes(data)
            name = f"orchestration/example_covid19/extra/file_{i:03}.sql"
            written.setdefault(name, set()).add(data)
            md5s[prefix + name] = base64.b64encode(hashlib.md5(data).digest()).decode()
        return md5s

    for path in project.rglob("*"):
        if path.is_file():
            written.setdefault(path.relative_to(project).as_posix(), set()).add(path.read_bytes())
    for n in range(4):
        md5s = write_round(n)
        # round 0: killed at a random moment of its start (planning); then after a random number of uploads
        goal = rng.randint(5, 100)
        deadline = time.monotonic() + (rng.uniform(0.1, 0.6) if n == 0 else 120)
        proc = subprocess.Popen(command, cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while proc.poll() is None and time.monotonic() < deadline:
            if n and sum(b.md5_hash == md5s.get(b.name) for b in bucket.client.list_blobs(BUCKET)) >= goal:
                break
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL, f"round {n}: the deploy ended before it could be killed"
        stored = objects(bucket)
        assert stored["dags/other_team/dags/their_dag.py"] == b"# theirs\n"
        ours = {k.removeprefix(prefix): v for k, v in stored.items() if k.startswith(prefix)}
        assert not ours or "dop_project.yml" in ours  # uploaded first: the prefix always says whose it is
        for name, data in ours.items():  # every object there is whole: a version the file once had
            assert name == ".airflowignore" or data in written[name], name
    final = deploy(project, gcs_emulator)
    assert final.returncode == 0, final.stderr
    stored = objects(bucket)
    ours = {k.removeprefix(prefix): v for k, v in stored.items() if k.startswith(prefix)}
    local = {p.relative_to(project).as_posix(): p.read_bytes() for p in (project / "orchestration").rglob("*")
             if p.is_file()}
    assert set(ours) == {"dop_project.yml", "dags/dop_dags.py", ".airflowignore", *local}
    assert all(ours[name] == data for name, data in local.items())
    assert stored["dags/other_team/dags/their_dag.py"] == b"# theirs\n"
    assert stored["dags/my_project_old/keep.txt"] == b"not ours either\n"
