"""``dop deploy`` against a GCS emulator on loopback: upload, skip unchanged, delete removed, dry run."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest
from template_support import dop

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
    from dop_core.deploy import storage_client

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
    (project / ".dop").mkdir()
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
