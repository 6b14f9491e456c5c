"""``dop deploy``: sync a service project to a Cloud Composer environment's bucket, rsync-style.

What Composer needs goes under one prefix per project (default ``dags/<project name>``), so other
teams' DAGs in the same bucket are never touched: ``dop_project.yml``, ``dags/``, ``orchestration/``
and ``dbt/``. Composer mounts ``gs://<bucket>/dags`` at ``/home/airflow/gcs/dags`` and scans it
recursively, so Airflow reads ``dags/<project>/dags/dop_dags.py``, whose ``build_dags(__file__)``
finds ``dop_project.yml`` two folders up. A generated ``.airflowignore`` keeps Airflow's DAG scan out
of ``orchestration/`` and ``dbt/``.

Files whose checksum (MD5, else CRC32C, from the object's metadata) matches are skipped; objects
under the prefix with no local file are deleted; ``dry_run`` lists the changes and makes none.
google-cloud-storage is imported only here, when deploying; ``STORAGE_EMULATOR_HOST`` points it at an
emulator (tests) and then anonymous credentials are used.
"""

from __future__ import annotations

import base64
import hashlib
import os
import pathlib
from collections.abc import Callable, Iterator
from typing import Any

import attrs

from dop_core.errors import DopError
from dop_core.project import PROJECT_FILE, Project

#: what is deployed: the project file and these folders
DEPLOYED_FOLDERS = ("dags", "orchestration", "dbt")
#: never deployed: local state, caches, dbt build output
SKIPPED_PARTS = frozenset({".dop", "__pycache__", ".pytest_cache", "target", "logs", "dbt_packages", ".venv",
                           ".git", ".user.yml"})
SKIPPED_SUFFIXES = (".pyc", ".pyo", ".duckdb", ".duckdb.wal", ".lock")
AIRFLOWIGNORE = ("# written by `dop deploy`: only dags/ holds DAG files\n"
                 "orchestration/\n"
                 "dbt/\n")


@attrs.frozen
class Change:
    action: str  # "upload" or "delete"
    name: str  # object name in the bucket
    reason: str  # "new", "changed", "removed locally"
    local: pathlib.Path | None = None
    data: bytes | None = None  # for generated files


@attrs.frozen
class Plan:
    bucket: str
    prefix: str
    changes: list[Change]
    unchanged: int

    @property
    def uploads(self) -> list[Change]:
        return [c for c in self.changes if c.action == "upload"]

    @property
    def deletes(self) -> list[Change]:
        return [c for c in self.changes if c.action == "delete"]


def parse_bucket(url: str) -> tuple[str, str]:
    """``gs://bucket[/base]`` -> ``(bucket, base)``."""
    if not url.startswith("gs://") or len(url) <= len("gs://"):
        raise DopError(f"--bucket {url!r} is not a gs:// URL; write gs://<composer-environment-bucket>, "
                       "as `gcloud composer environments describe ENV --format='value(config.dagGcsPrefix)'` "
                       "prints it")
    bucket, _, base = url[len("gs://"):].partition("/")
    return bucket, base.strip("/")


def _skipped(relative: pathlib.PurePosixPath) -> bool:
    if any(part in SKIPPED_PARTS for part in relative.parts[:-1]):
        return True
    return relative.name.endswith(SKIPPED_SUFFIXES)


def local_files(project: Project) -> dict[str, pathlib.Path]:
    """``relative posix path -> file`` of everything deployed."""
    root = project.root
    files: dict[str, pathlib.Path] = {}
    if (root / PROJECT_FILE).is_file():
        files[PROJECT_FILE] = root / PROJECT_FILE
    orchestration = os.path.relpath(project.orchestration_dir, root)
    for folder in dict.fromkeys((*DEPLOYED_FOLDERS, orchestration)):
        base = root / folder
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            rel = pathlib.PurePosixPath(path.relative_to(root).as_posix())
            if path.is_file() and not _skipped(rel):
                files[str(rel)] = path
    return files


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def crc32c_b64(data: bytes) -> str:
    import google_crc32c

    return base64.b64encode(google_crc32c.Checksum(data).digest()).decode()


def same_content(data: bytes, blob: Any) -> bool:
    """Whether ``blob`` (an object's metadata) holds ``data``: by MD5, else CRC32C (composite objects)."""
    if getattr(blob, "md5_hash", None):
        return bool(blob.md5_hash == md5_b64(data))
    if getattr(blob, "crc32c", None):
        return bool(blob.crc32c == crc32c_b64(data))
    return False


def storage_client() -> Any:
    from google.cloud import storage

    if os.environ.get("STORAGE_EMULATOR_HOST"):
        from google.auth.credentials import AnonymousCredentials

        return storage.Client(project=os.environ.get("GOOGLE_CLOUD_PROJECT", "dop-local"),
                              credentials=AnonymousCredentials())
    return storage.Client()


def plan_deploy(project: Project, bucket_url: str, prefix: str | None = None, client: Any = None) -> Plan:
    bucket_name, base = parse_bucket(bucket_url)
    if prefix is None:
        # gs://BUCKET -> dags/<name>; gs://BUCKET/dags (Composer's dagGcsPrefix) -> dags/<name> too
        prefix = project.name if base else f"dags/{project.name}"
    prefix = prefix.strip("/")
    if base:
        prefix = f"{base}/{prefix}" if prefix else base
    if not prefix:
        raise DopError("refusing to deploy at the root of the bucket: "
                       "give --prefix (default dags/<project name>)")
    client = client or storage_client()
    remote = {blob.name: blob for blob in client.list_blobs(bucket_name, prefix=prefix + "/")}
    wanted: dict[str, tuple[pathlib.Path | None, bytes]] = {
        f"{prefix}/{rel}": (path, path.read_bytes()) for rel, path in local_files(project).items()}
    wanted.setdefault(f"{prefix}/.airflowignore", (None, AIRFLOWIGNORE.encode()))
    changes: list[Change] = []
    unchanged = 0
    for name, (path, data) in wanted.items():
        blob = remote.get(name)
        if blob is not None and same_content(data, blob):
            unchanged += 1
            continue
        changes.append(Change("upload", name, "new" if blob is None else "changed", path,
                              data if path is None else None))
    changes += [Change("delete", name, "removed locally") for name in sorted(set(remote) - set(wanted))]
    return Plan(bucket_name, prefix, changes, unchanged)


def _lines(plan: Plan) -> Iterator[str]:
    for change in plan.changes:
        yield f"  {change.action:6}  gs://{plan.bucket}/{change.name}  ({change.reason})"


def deploy_project(project: Project, bucket_url: str, prefix: str | None = None, dry_run: bool = False,
                   echo: Callable[[str], None] = print, client: Any = None) -> Plan:
    """Upload new and changed files, delete removed ones (only under the project's prefix)."""
    try:
        client = client or storage_client()
        plan = plan_deploy(project, bucket_url, prefix, client)
    except DopError:
        raise
    except Exception as exc:
        bucket_name = parse_bucket(bucket_url)[0]
        raise DopError(f"cannot list gs://{bucket_name}: {type(exc).__name__}: {exc}") from exc
    echo(f"Deploying {project.name} to gs://{plan.bucket}/{plan.prefix}/ ({len(plan.uploads)} to upload, "
         f"{len(plan.deletes)} to delete, {plan.unchanged} unchanged)"
         + (" -- dry run, nothing changes" if dry_run else ""))
    for line in _lines(plan):
        echo(line)
    if dry_run or not plan.changes:
        if not plan.changes:
            echo("Nothing to do: the bucket already matches the project.")
        return plan
    bucket = client.bucket(plan.bucket)
    try:
        for change in plan.changes:
            blob = bucket.blob(change.name)
            if change.action == "upload":
                if change.local is not None:
                    blob.upload_from_filename(str(change.local))
                else:
                    blob.upload_from_string(change.data or b"")
            else:
                blob.delete()
    except Exception as exc:
        raise DopError(f"deploy stopped at {change.action} gs://{plan.bucket}/{change.name}: "
                       f"{type(exc).__name__}: {exc}; run it again to finish "
                       "(unchanged files are skipped)") from exc
    echo(f"Done: {len(plan.uploads)} uploaded, {len(plan.deletes)} deleted; nothing outside "
         f"gs://{plan.bucket}/{plan.prefix}/ was touched.")
    return plan
