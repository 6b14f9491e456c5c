"""``dop deploy``: sync a service project to a Cloud Composer environment's bucket, rsync-style.

What Composer needs goes under one prefix per project (default ``dags/<project name>``), so other
teams' DAGs in the same bucket are never touched: ``dop_project.yml``, ``dags/``, ``orchestration/``
and ``dbt/``. Composer mounts ``gs://<bucket>/dags`` at ``/home/airflow/gcs/dags`` and scans it
recursively, so Airflow reads ``dags/<project>/dags/dop_dags.py``, whose ``build_dags(__file__)``
finds ``dop_project.yml`` two folders up. A generated ``.airflowignore`` keeps Airflow's DAG scan out
of ``orchestration/`` and ``dbt/``.

Files whose checksum (MD5, else CRC32C, from the object's metadata) matches are skipped; objects
under the prefix with no local file are deleted; ``dry_run`` lists the changes (deletions first) and
makes none. google-cloud-storage is imported only here, when deploying; ``STORAGE_EMULATOR_HOST``
points it at an emulator (tests) and then anonymous credentials are used.

Nothing outside the project's own prefix is ever deleted or overwritten:

- the prefix is a project folder of its own: never empty, never the bucket's root nor a bare
  top-level folder (``dags``, ``data``) shared with others: at least two levels (``dags/<project>``);
- a prefix already holding objects must hold this project's ``dop_project.yml`` (uploaded first by
  every deploy), so a prefix naming another team's folder is refused before anything changes;
- every planned deletion is checked to lie under the prefix.

Only regular files inside the project are uploaded (read without following a link out of the
project: a link pointing outside is an error); dotfiles are skipped unless ``deploy.include`` in
``dop_project.yml`` lists them. A deploy killed at any point leaves every object whole (GCS objects
appear whole or not at all) and the next deploy finishes the job.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import mimetypes
import os
import pathlib
import re
import stat
from collections.abc import Callable, Iterator
from typing import Any

import attrs

from dop_core.config.models import PROJECT_FILE, Project
from dop_core.config.paths import OutsideProject, resolve_project_path
from dop_core.errors import DopError

#: what is deployed: the project file and these folders
DEPLOYED_FOLDERS = ("dags", "orchestration", "dbt")
#: never deployed, even when deploy.include names them: local state, caches, dbt build output
SKIPPED_PARTS = frozenset({".dop", "__pycache__", ".pytest_cache", "target", "logs", "dbt_packages", ".venv",
                           ".git"})
SKIPPED_SUFFIXES = (".pyc", ".pyo", ".duckdb", ".duckdb.wal", ".lock")
AIRFLOWIGNORE = ("# written by `dop deploy`: only dags/ holds DAG files\n"
                 "orchestration/\n"
                 "dbt/\n")
BUCKET_URL_EXPECTED = ("gs://<bucket>[/<folder>], as `gcloud composer environments describe ENV "
                       "--format='value(config.dagGcsPrefix)'` prints it (e.g. gs://europe-west2-env-1234-bucket/dags)")
#: a bucket name: 3-63 characters (222 with dots, 63 per dot-separated part), lowercase letters, digits,
#: dashes, underscores and dots, starting and ending with a letter or a digit
_BUCKET_PART = re.compile(r"[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?\Z")
_IP_ADDRESS = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}\Z")
#: a folder name in a prefix: no control characters, no URL or wildcard syntax
_FOLDER = re.compile(r"[^\x00-\x1f\x7f#?*\[\]\\]+\Z")


@attrs.frozen
class Change:
    action: str  # "upload" or "delete"
    name: str  # object name in the bucket
    reason: str  # "new", "changed", "removed locally"
    local: pathlib.Path | None = None
    data: bytes | None = None  # what is uploaded (read once, when planning)


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


def _bucket_name_problem(bucket: str) -> str | None:
    if not bucket:
        return "names no bucket"
    if len(bucket) > 222 or (len(bucket) > 63 and "." not in bucket):
        return f"names the bucket {bucket!r}, which is too long (at most 63 characters, or 222 with dots)"
    if len(bucket) < 3 or not all(_BUCKET_PART.match(part) for part in bucket.split(".")):
        return (f"names the bucket {bucket!r}, which is not a bucket name (3-63 lowercase letters, digits, "
                "dashes, underscores and dots, starting and ending with a letter or a digit)")
    if _IP_ADDRESS.match(bucket) or bucket.startswith("goog") or "google" in bucket:
        return f"names the bucket {bucket!r}, which GCS does not allow (an IP address, goog... or google)"
    return None


def _folder_problem(path: str) -> str | None:
    for part in path.split("/"):
        if part in ("", ".", ".."):
            return f"has an empty, '.' or '..' folder in {path!r}"
        if not _FOLDER.match(part):
            return f"has a folder name with a control character, #, ?, *, [, ] or \\ in {path!r}"
    return None


def parse_bucket(url: str) -> tuple[str, str]:
    """``gs://bucket[/base]`` -> ``(bucket, base)``; DopError if either is not valid."""
    if not isinstance(url, str) or not url.startswith("gs://"):
        raise DopError(f"--bucket {url!r} is not a gs:// URL; write {BUCKET_URL_EXPECTED}")
    bucket, _, base = url[len("gs://"):].partition("/")
    base = base.strip("/")
    problem = _bucket_name_problem(bucket) or (_folder_problem(base) if base else None)
    if problem:
        raise DopError(f"--bucket {url!r} {problem}; write {BUCKET_URL_EXPECTED}")
    return bucket, base


def project_prefix(project: Project, base: str, prefix: str | None) -> str:
    """The folder of the bucket the project goes to: ``base`` + ``prefix`` (default ``dags/<project>``)."""
    if prefix is None:
        # gs://BUCKET -> dags/<name>; gs://BUCKET/dags (Composer's dagGcsPrefix) -> dags/<name> too
        prefix = project.name if base else f"dags/{project.name}"
    elif not prefix.strip("/"):
        raise DopError(f"--prefix {prefix!r} names no folder: the project would share the bucket's root (or "
                       f"gs://.../{base}) with everyone else's files; give a folder of its own, e.g. "
                       f"--prefix {'' if base else 'dags/'}{project.name} (the default)")
    full = "/".join(p for p in (base, prefix.strip("/")) if p)
    problem = _folder_problem(full)
    if problem:
        raise DopError(f"the deploy prefix {problem}; write folder names such as dags/{project.name}")
    if full.count("/") < 1:
        raise DopError(f"refusing to deploy to {full}/, a top-level folder of the bucket that other teams share "
                       f"(dop deploy deletes what the project does not have there); deploy to a folder of the "
                       f"project's own, e.g. {full}/{project.name}")
    return full


def _skipped(relative: pathlib.PurePosixPath, include: tuple[str, ...]) -> bool:
    if any(part in SKIPPED_PARTS for part in relative.parts) or relative.name.endswith(SKIPPED_SUFFIXES):
        return True
    if any(part.startswith(".") for part in relative.parts):  # dotfiles: only those deploy.include lists
        text = relative.as_posix()
        parents = [p.as_posix() for p in relative.parents if p.as_posix() != "."]
        return not any(fnmatch.fnmatchcase(t, pattern) for pattern in include for t in (text, *parents))
    return False


def local_files(project: Project) -> dict[str, pathlib.Path]:
    """``relative posix path -> file`` of everything deployed: regular files only; DopError if a symbolic
    link points out of the project (its target is never read)."""
    root = project.root
    files: dict[str, pathlib.Path] = {}
    refused: list[str] = []
    orchestration = os.path.relpath(project.orchestration_dir, root)
    candidates = [root / PROJECT_FILE]
    for folder in dict.fromkeys((*DEPLOYED_FOLDERS, orchestration)):
        base = root / folder
        if folder.startswith("..") or not base.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(base):  # links to folders are listed, never entered
            candidates += [pathlib.Path(dirpath) / name for name in sorted(dirnames + filenames)]
            dirnames[:] = [d for d in dirnames if d not in SKIPPED_PARTS]
    for path in candidates:
        rel = pathlib.PurePosixPath(path.relative_to(root).as_posix())
        if _skipped(rel, project.deploy_include) or (not path.is_symlink() and not path.is_file()):
            continue  # folders are walked; sockets, pipes and devices are never uploaded
        try:
            real = resolve_project_path(project, path, what="file")
        except OutsideProject:
            refused.append(f"{rel} -> {os.path.realpath(path)}")
            continue
        if real.is_file():
            files[str(rel)] = real
        elif path.is_symlink() and real.is_dir():
            refused.append(f"{rel} -> {real} (a folder)")
    if refused:
        raise DopError("refusing to deploy symbolic links that point outside the project (or to folders): "
                       + ", ".join(refused) + "; dop deploy uploads the project's own files only: replace each "
                       "link with the file itself, or remove it")
    return dict(sorted(files.items()))


def read_regular(path: pathlib.Path) -> bytes:
    """The bytes of ``path``, which must be a regular file (read without following a final link)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        raise DopError(f"cannot read {path}: {exc.strerror}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise DopError(f"{path} is not a regular file; dop deploy uploads regular files only")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read()
    finally:
        os.close(fd)


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
    from dop_core.extras import GOOGLE_EXTRA

    GOOGLE_EXTRA.require("dop deploy (it uploads to Cloud Composer's bucket)")
    from google.cloud import storage

    if os.environ.get("STORAGE_EMULATOR_HOST"):
        from google.auth.credentials import AnonymousCredentials

        return storage.Client(project=os.environ.get("GOOGLE_CLOUD_PROJECT", "dop-local"),
                              credentials=AnonymousCredentials())
    return storage.Client()


def _owner_of(client: Any, bucket: str, prefix: str, remote: dict[str, Any]) -> str | None:
    """The ``name:`` of the project deployed at ``prefix`` (its ``dop_project.yml``), or None."""
    blob = remote.get(f"{prefix}/{PROJECT_FILE}")
    if blob is None:
        return None
    from dop_core.config.yaml import load_yaml

    try:
        data = load_yaml(client.bucket(bucket).blob(blob.name).download_as_bytes().decode("utf-8"),
                         f"gs://{bucket}/{blob.name}").data
    except Exception:
        return None
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) else None


def plan_deploy(project: Project, bucket_url: str, prefix: str | None = None, client: Any = None) -> Plan:
    bucket_name, base = parse_bucket(bucket_url)
    prefix = project_prefix(project, base, prefix)
    files = local_files(project)
    client = client or storage_client()
    remote = {blob.name: blob for blob in client.list_blobs(bucket_name, prefix=prefix + "/")}
    owner = _owner_of(client, bucket_name, prefix, remote) if remote else project.name
    if owner != project.name:
        whose = f"project {owner!r}" if owner else f"no {PROJECT_FILE} of project {project.name!r}"
        raise DopError(f"refusing to deploy to gs://{bucket_name}/{prefix}/: it holds {len(remote)} object(s) and "
                       f"{whose}, so they are someone else's (dop deploy would replace or delete them); choose "
                       f"the project's own folder with --prefix (default dags/{project.name}), or empty that "
                       "folder yourself if it really is this project's")
    wanted: dict[str, tuple[pathlib.Path | None, bytes]] = {
        f"{prefix}/{rel}": (path, read_regular(path)) for rel, path in files.items()}
    wanted.setdefault(f"{prefix}/.airflowignore", (None, AIRFLOWIGNORE.encode()))
    uploads: list[Change] = []
    unchanged = 0
    for name, (path, data) in wanted.items():
        blob = remote.get(name)
        if blob is not None and same_content(data, blob):
            unchanged += 1
            continue
        uploads.append(Change("upload", name, "new" if blob is None else "changed", path, data))
    # the project file first: a prefix holding anything of the project then always says whose it is
    uploads.sort(key=lambda c: c.name != f"{prefix}/{PROJECT_FILE}")
    deletes = [Change("delete", name, "removed locally") for name in sorted(set(remote) - set(wanted))]
    outside = [c.name for c in deletes if not c.name.startswith(prefix + "/")]
    if outside:
        raise DopError(f"refusing a plan that deletes outside gs://{bucket_name}/{prefix}/: " + ", ".join(outside))
    return Plan(bucket_name, prefix, deletes + uploads, unchanged)


def _lines(plan: Plan) -> Iterator[str]:
    for change in plan.changes:  # deletions first: what is lost is what to read
        yield f"  {change.action:6}  gs://{plan.bucket}/{change.name}  ({change.reason})"


def deploy_project(project: Project, bucket_url: str, prefix: str | None = None, dry_run: bool = False,
                   echo: Callable[[str], None] = print, client: Any = None) -> Plan:
    """Upload new and changed files, then delete removed ones (only under the project's prefix)."""
    bucket_name, _ = parse_bucket(bucket_url)
    try:
        client = client or storage_client()
        plan = plan_deploy(project, bucket_url, prefix, client)
    except DopError:
        raise
    except Exception as exc:
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
        for change in [*plan.uploads, *plan.deletes]:  # new files in place before old ones go
            blob = bucket.blob(change.name)
            if change.action == "upload":
                blob.upload_from_string(change.data or b"", content_type=_content_type(change.name))
            else:
                blob.delete()
    except Exception as exc:
        raise DopError(f"deploy stopped at {change.action} gs://{plan.bucket}/{change.name}: "
                       f"{type(exc).__name__}: {exc}; run it again to finish "
                       "(unchanged files are skipped)") from exc
    echo(f"Done: {len(plan.uploads)} uploaded, {len(plan.deletes)} deleted; nothing outside "
         f"gs://{plan.bucket}/{plan.prefix}/ was touched.")
    return plan


def _content_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"
